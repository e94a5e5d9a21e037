import type { Middleware } from 'koa';
import { AppError } from '../errors.js';

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
/** The routes that take an upload (multipart/form-data) instead of JSON. */
const MULTIPART_ROUTES: Array<{ method: string; path: RegExp }> = [
  { method: 'POST', path: /^\/api\/sources\/?$/ },
  { method: 'PUT', path: /^\/api\/sources\/[^/]+\/file\/?$/ },
];

/**
 * API writes carry JSON (or, on the upload routes, multipart). A form or a `no-cors` fetch from
 * another site can only send text/plain, urlencoded or multipart without a preflight, so refusing
 * those types closes the "simple request" route to every JSON endpoint. A write without a body
 * and without a Content-Type (curl -X POST) stays fine.
 */
export function requireJsonBodies(): Middleware {
  return async (ctx, next) => {
    if (!UNSAFE.has(ctx.method) || !ctx.path.startsWith('/api/')) return next();
    const type = ctx.get('content-type');
    if (!type) return next();
    if (ctx.is('application/json', '+json')) return next();
    if (ctx.is('multipart/form-data') && MULTIPART_ROUTES.some((r) => r.method === ctx.method && r.path.test(ctx.path))) return next();
    throw new AppError('unsupported_media_type', `send the body as application/json (got ${type.split(';')[0]!.trim().slice(0, 60)})`, { httpStatus: 415 });
  };
}
