import { createHash, timingSafeEqual } from 'node:crypto';
import type { Middleware } from 'koa';
import { AppError } from '../errors.js';

const digest = (s: string): Buffer => createHash('sha256').update(s).digest();

/**
 * With an API key configured, every /api route but /api/health needs `Authorization: Bearer
 * <key>`. EventSource cannot send headers, so /api/events also takes `?token=`.
 */
export function apiKeyAuth(apiKey: string | undefined): Middleware {
  if (!apiKey) return async (_ctx, next) => next();
  const expected = digest(apiKey);
  return async (ctx, next) => {
    if (!ctx.path.startsWith('/api') || ctx.path === '/api/health') return next();
    const header = ctx.get('authorization');
    const bearer = /^Bearer\s+(.+)$/i.exec(header)?.[1]?.trim();
    const token = bearer ?? (ctx.path === '/api/events' && typeof ctx.query.token === 'string' ? ctx.query.token : undefined);
    if (!token || !timingSafeEqual(digest(token), expected)) {
      ctx.set('WWW-Authenticate', 'Bearer');
      throw new AppError('unauthorized', token ? 'invalid API key' : 'missing API key: send Authorization: Bearer <key>', { httpStatus: 401 });
    }
    return next();
  };
}
