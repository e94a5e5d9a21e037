import Router from '@koa/router';
import { z } from 'zod';
import type { NotificationsStatus, TestResult, TestTarget } from '../../notify/index.js';
import { TEST_TARGETS } from '../../notify/index.js';
import { allow } from '../access.js';
import { noteActivity } from '../audit.js';

/** What the routes need from the notifiers (addon/notify/index.ts implements it). */
export interface NotificationsApi {
  status(): NotificationsStatus;
  test(targets: readonly TestTarget[]): Promise<Partial<Record<TestTarget, TestResult>>>;
}

const testSchema = z.strictObject({
  target: z.enum([...TEST_TARGETS, 'all'], { error: `must be one of ${[...TEST_TARGETS, 'all'].join(', ')}` }).default('all'),
});

/**
 * GET /api/notifications/status: MQTT (connected, or why not), Home Assistant and Telegram.
 * POST /api/notifications/test {target?: mqtt|telegram|homeassistant|all}: sends a test
 * through each and reports what happened. Neither ever shows a password or a token.
 */
export function notificationRoutes(notifications: NotificationsApi): Router {
  const router = new Router({ prefix: '/api/notifications' });

  router.get('/status', allow('viewer'), (ctx) => {
    ctx.body = notifications.status();
  });

  router.post('/test', allow('operator'), async (ctx) => {
    const { target } = testSchema.parse(ctx.request.body ?? {});
    noteActivity(ctx, { action: 'notifications.test', target });
    const results = await notifications.test(target === 'all' ? TEST_TARGETS : [target]);
    ctx.body = { results };
  });

  return router;
}
