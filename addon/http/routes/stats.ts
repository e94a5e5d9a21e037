import { timingSafeEqual, createHash } from 'node:crypto';
import Router from '@koa/router';
import { z } from 'zod';
import { roleAtLeast } from '../../auth/model.js';
import { AppError } from '../../errors.js';
import { HISTORY_RANGES } from '../../metrics/history.js';
import type { StatsApi } from '../../metrics/stats-queries.js';
import { allow } from '../access.js';
import { principalOf } from '../auth.js';

const rangeQuery = z.object({ range: z.enum(HISTORY_RANGES, { error: `range must be one of ${HISTORY_RANGES.join(', ')}` }).default('7d') });

function parseRange(query: unknown, fallback: (typeof HISTORY_RANGES)[number]): (typeof HISTORY_RANGES)[number] {
  const parsed = rangeQuery.safeParse({ range: (query as { range?: unknown }).range ?? fallback });
  if (!parsed.success) throw new AppError('invalid_request', parsed.error.issues[0]!.message, { httpStatus: 400, field: 'range' });
  return parsed.data.range;
}

/** GET /api/stats/history, /downloads, /destinations, /users and /api/alerts (viewer). */
export function statsRoutes(stats: StatsApi): Router {
  const router = new Router({ prefix: '/api' });
  router.get('/stats/history', allow('viewer'), (ctx) => {
    ctx.body = stats.history(parseRange(ctx.query, '7d'));
  });
  router.get('/stats/downloads', allow('viewer'), (ctx) => {
    ctx.body = stats.downloads(parseRange(ctx.query, '30d'));
  });
  router.get('/stats/destinations', allow('viewer'), (ctx) => {
    const items = stats.destinations(parseRange(ctx.query, '30d'));
    ctx.body = { items, total: items.length };
  });
  router.get('/stats/users', allow('viewer'), (ctx) => {
    const items = stats.users(parseRange(ctx.query, '30d'));
    ctx.body = { items, total: items.length };
  });
  router.get('/alerts', allow('viewer'), (ctx) => {
    const items = stats.alerts();
    ctx.body = { items, total: items.length };
  });
  return router;
}

export interface MetricsEndpoint {
  enabled: boolean;
  /** The metrics_token option: a bearer token good for /metrics only. */
  token: string | undefined;
  contentType(): string;
  text(): Promise<string>;
}

function sameSecret(a: string, b: string): boolean {
  // Hash first so the comparison takes the same time whatever the lengths.
  return timingSafeEqual(createHash('sha256').update(a).digest(), createHash('sha256').update(b).digest());
}

/**
 * GET /metrics for Prometheus: a viewer (API key, session, ingress) or the metrics token. Off
 * unless metrics_enabled; 404 then, so a scrape job fails loudly rather than reading nothing.
 */
export function metricsRoutes(metrics: MetricsEndpoint): Router {
  const router = new Router();
  router.get('/metrics', allow('public'), async (ctx) => {
    if (!metrics.enabled) throw new AppError('metrics_disabled', 'metrics are off: set the metrics_enabled option to true', { httpStatus: 404 });
    const bearer = /^Bearer\s+(.+)$/i.exec(ctx.get('authorization'))?.[1]?.trim();
    const principal = principalOf(ctx);
    const byToken = metrics.token !== undefined && bearer !== undefined && sameSecret(bearer, metrics.token);
    if (!byToken && !(principal && roleAtLeast(principal.role, 'viewer'))) {
      ctx.set('WWW-Authenticate', 'Bearer');
      throw new AppError('unauthorized', 'send Authorization: Bearer <API key or metrics_token>', { httpStatus: 401 });
    }
    ctx.set('Content-Type', metrics.contentType());
    ctx.set('Cache-Control', 'no-store');
    ctx.body = await metrics.text();
  });
  return router;
}
