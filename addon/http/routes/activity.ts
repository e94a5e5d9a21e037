import Router from '@koa/router';
import { z } from 'zod';
import type { ActivityLog } from '../../ops/activity.js';
import type { LogBuffer } from '../../platform/log-buffer.js';
import { allow } from '../access.js';

const activityQuerySchema = z.object({
  limit: z.coerce.number({ error: 'must be a number' }).int().min(1).max(500).default(100),
  offset: z.coerce.number({ error: 'must be a number' }).int().min(0).default(0),
  action: z.string().max(100).optional(),
  actor: z.string().max(200).optional(),
  since: z.iso.datetime({ error: 'must be an ISO date-time', offset: true }).optional(),
});

const logQuerySchema = z.object({
  level: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal'], { error: 'must be trace, debug, info, warn, error or fatal' }).default('info'),
  limit: z.coerce.number({ error: 'must be a number' }).int().min(1).max(2000).default(200),
});

/**
 * /api/activity: who changed what, newest first (operators and admins).
 * /api/logs: the most recent system log lines at or above a level, newest first (admins): the
 * same redacted JSON lines stdout gets.
 */
export function activityRoutes(activity: ActivityLog, logs: LogBuffer): Router {
  const router = new Router({ prefix: '/api' });
  router.get('/activity', allow('operator'), (ctx) => {
    ctx.body = activity.list(activityQuerySchema.parse(ctx.query));
  });
  router.get('/logs', allow('admin'), (ctx) => {
    const items = logs.query(logQuerySchema.parse(ctx.query));
    ctx.body = { items, total: items.length };
  });
  return router;
}
