import type { Middleware } from 'koa';

const ALLOW_HEADERS = 'Authorization, Content-Type, X-CSRF-Token';
const ALLOW_METHODS = 'GET, HEAD, POST, PUT, PATCH, DELETE';

/**
 * A browser extension's own pages and worker: `chrome-extension://<32 letters a-p>` (Chromium
 * browsers), `moz-extension://<UUID>` (Firefox, a random one per install). No web page can send
 * such an Origin: browsers set it, scripts cannot. So the rule needs no extension id in the options.
 */
const EXTENSION_ORIGIN = /^(?:chrome-extension:\/\/[a-p]{32}|moz-extension:\/\/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/;

export function isExtensionOrigin(origin: string): boolean {
  return EXTENSION_ORIGIN.test(origin.toLowerCase());
}

/**
 * CORS for the origins listed in cors_origins (another dashboard) and for any browser
 * extension's origin (README "Browser extension": the CORS rule). Answers preflights without
 * authentication (browsers send none) and never allows credentials: such callers use API keys
 * (a bearer header), not the session cookie, so a response to a cookie-carrying request stays
 * unreadable to them. Requests from other origins get no CORS headers, so browsers keep their
 * responses from the calling page.
 */
export function cors(origins: readonly string[]): Middleware {
  const allowed = new Set(origins.map((o) => o.toLowerCase()));
  return async (ctx, next) => {
    const origin = ctx.get('origin');
    if (!origin || !(ctx.path === '/api' || ctx.path.startsWith('/api/'))) return next();
    ctx.vary('Origin');
    if (!allowed.has(origin.toLowerCase()) && !isExtensionOrigin(origin)) return next();
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
