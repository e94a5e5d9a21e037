import type { Middleware } from 'koa';

const ALLOW_HEADERS = 'Authorization, Content-Type, X-CSRF-Token';
const ALLOW_METHODS = 'GET, HEAD, POST, PUT, PATCH, DELETE';

/**
 * CORS for the origins listed in cors_origins only (a browser extension, another dashboard).
 * Answers preflights without authentication (browsers send none) and never allows credentials:
 * such callers use API keys, not the session cookie. Requests from other origins get no CORS
 * headers, so browsers keep their responses from the calling page.
 */
export function cors(origins: readonly string[]): Middleware {
  const allowed = new Set(origins.map((o) => o.toLowerCase()));
  return async (ctx, next) => {
    const origin = ctx.get('origin');
    if (!origin || !(ctx.path === '/api' || ctx.path.startsWith('/api/'))) return next();
    ctx.vary('Origin');
    if (!allowed.has(origin.toLowerCase())) return next();
    ctx.set('Access-Control-Allow-Origin', origin);
    if (ctx.method === 'OPTIONS' && ctx.get('access-control-request-method')) {
      ctx.set('Access-Control-Allow-Methods', ALLOW_METHODS);
      ctx.set('Access-Control-Allow-Headers', ALLOW_HEADERS);
      ctx.set('Access-Control-Max-Age', '600');
      ctx.status = 204;
      return;
    }
    ctx.set('Access-Control-Expose-Headers', 'Location, Retry-After');
    return next();
  };
}
