import Router from '@koa/router';
import { z } from 'zod';
import type { NotificationsStatus, TestResult } from '../../notify/index.js';
import { TEST_TARGETS } from '../../notify/index.js';
import { badRequest } from '../../errors.js';
import { allow } from '../access.js';
import { noteActivity } from '../audit.js';

/** What the routes need from the notifiers (addon/notify/index.ts implements it). */
export interface NotificationsApi {
  status(): NotificationsStatus;
  test(targets: readonly string[]): Promise<Record<string, TestResult>>;
  knows(target: string): boolean;
  allTargets(): string[];
}

const testSchema = z.strictObject({ target: z.string().min(1).max(100).default('all') });

/**
 * GET /api/notifications/status: MQTT (connected, or why not), Home Assistant, Telegram and the
 * notifiers added in the panel (`notifiers`).
 * POST /api/notifications/test {target?: mqtt|telegram|homeassistant|<notifier id>|all}: sends a
 * test through each and reports what happened. Neither ever shows a password or a token.
 */
export function notificationRoutes(notifications: NotificationsApi): Router {
  const router = new Router({ prefix: '/api/notifications' });

  router.get('/status', allow('viewer'), (ctx) => {
    ctx.body = notifications.status();
  });

  router.post('/test', allow('operator'), async (ctx) => {
    const { target } = testSchema.parse(ctx.request.body ?? {});
    if (!notifications.knows(target)) throw badRequest(`target: must be one of ${[...TEST_TARGETS, 'all'].join(', ')} or the id of a notifier`, 'target');
    noteActivity(ctx, { action: 'notifications.test', target });
    const results = await notifications.test(target === 'all' ? notifications.allTargets() : [target]);
    ctx.body = { results };
  });

  return router;
}
