import { isIP } from 'node:net';
import type { Context, Middleware } from 'koa';
import type { AppMode, Principal, SessionRecord, User } from '../auth/model.js';
import type { AuthService } from '../auth/service.js';
import { safeEqual } from '../auth/secrets.js';
import { AppError } from '../errors.js';

/**
 * Who is calling, decided once per request from what the socket and headers prove:
 *
 * 1. Ingress: the peer address is a trusted proxy (the Supervisor, 172.30.32.2). Home Assistant
 *    has signed the user in; the user comes from X-Remote-User-Id/-Name/-Display-Name and acts
 *    as admin (an ingress panel is shown to Home Assistant admins only). These headers are
 *    ignored from any other address.
 * 2. `Authorization: Bearer <key>` (or `?token=` on /api/events, which EventSource needs): the
 *    API_KEY bootstrap key (admin) or a key from /api/keys with its role.
 * 3. The session cookie of a signed-in user (plain Docker); writes also need X-CSRF-Token.
 * 4. Plain Docker only, while no user, no key and no API_KEY exist: a request from 127.0.0.1 or
 *    ::1 that no proxy forwarded acts as admin, so `npm start` and curl work before setup.
 *
 * Trust decisions use the socket's address, never X-Forwarded-For (anyone can send that).
 */

export const SESSION_COOKIE = 'm3udl_session';
export const CSRF_COOKIE = 'm3udl_csrf';
export const CSRF_HEADER = 'x-csrf-token';

export interface RequestClient {
  /** The socket's peer address (IPv4-mapped IPv6 unwrapped). */
  ip: string | null;
  via: 'ingress' | 'direct';
  /** For ingress: the last X-Forwarded-For hop, which the Supervisor appends (the browser side). */
  forwarded_for: string | null;
  /** For ingress: the URL prefix Home Assistant serves the panel under. */
  ingress_path: string | null;
}

export interface AuthDeps {
  auth: AuthService;
  mode: AppMode;
  trustedProxies: ReadonlySet<string>;
  /** Host names besides localhost and IP literals that the pre-setup local trust accepts (allowed_hosts). */
  allowedHosts?: readonly string[];
}

/** The host name of the Host header (no port, no IPv6 brackets), lower case; null when absent. */
export function hostNameOf(ctx: Context): string | null {
  const host = (ctx.req.headers.host ?? '').trim().toLowerCase();
  if (!host) return null;
  const v6 = /^\[([^\]]+)\](?::\d+)?$/.exec(host);
  if (v6) return v6[1]!;
  return host.replace(/:\d+$/, '');
}

/**
 * DNS rebinding: a web page can make its own name resolve to 127.0.0.1 and then talk to this
 * server "from this machine". The browser still sends that name as Host, so before setup the
 * local trust is given only under localhost, an IP literal, or a name the owner allowed.
 */
export function isTrustedLocalHost(host: string | null, allowed: readonly string[] = []): boolean {
  if (host === null) return false;
  return host === 'localhost' || host.endsWith('.localhost') || isIP(host) !== 0 || allowed.includes(host);
}

/**
 * A browser tells where a request comes from: Sec-Fetch-Site, else Origin. Anything but this
 * server's own origin (or a request the user typed: `none`) is cross-site.
 */
export function isCrossSite(ctx: Context): boolean {
  const site = ctx.get('sec-fetch-site').toLowerCase();
  if (site) return site !== 'same-origin' && site !== 'none';
  const origin = ctx.get('origin');
  if (!origin) return false;
  try {
    const o = new URL(origin);
    return o.host.toLowerCase() !== (ctx.req.headers.host ?? '').toLowerCase();
  } catch {
    return true; // "null" (a sandboxed page, a file://) and garbage
  }
}

const LOOPBACK = new Set(['127.0.0.1', '::1']);
const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const FORWARDING_HEADERS = ['x-forwarded-for', 'forwarded', 'x-real-ip', 'x-forwarded-host'];
/** Routes that start a new session ignore an existing cookie (and so need no CSRF token). */
const SIGN_IN_PATHS = new Set(['/api/auth/login', '/api/auth/setup']);

export function normalizeAddress(address: string | undefined): string | null {
  if (!address) return null;
  return address.startsWith('::ffff:') ? address.slice(7) : address;
}

export function principalOf(ctx: Context): Principal | null {
  return (ctx.state.principal as Principal | undefined) ?? null;
}

export function clientOf(ctx: Context): RequestClient {
  return (ctx.state.client as RequestClient | undefined) ?? { ip: normalizeAddress(ctx.req.socket.remoteAddress), via: 'direct', forwarded_for: null, ingress_path: null };
}

export function sessionOf(ctx: Context): { session: SessionRecord; user: User; token: string } | null {
  return (ctx.state.session as { session: SessionRecord; user: User; token: string } | undefined) ?? null;
}

/**
 * The first value of a header. The Supervisor puts its own X-Remote-User-* first and forwards a
 * browser's differently-spelled copies after it, so a second value is never the one to trust.
 */
function firstValue(ctx: Context, name: string): string | null {
  const value = ctx.req.headersDistinct[name]?.[0]?.trim();
  return value ? utf8(value) : null;
}

/** Header bytes arrive as latin1; Home Assistant sends names as UTF-8. */
function utf8(value: string): string {
  if (!/[\u0080-\u00ff]/.test(value)) return value;
  const decoded = Buffer.from(value, 'latin1').toString('utf8');
  return decoded.includes('\ufffd') ? value : decoded;
}

function bearerToken(ctx: Context): string | null {
  const header = ctx.get('authorization');
  const bearer = /^Bearer\s+(.+)$/i.exec(header)?.[1]?.trim();
  if (bearer) return bearer;
  if (ctx.path === '/api/events' && typeof ctx.query.token === 'string' && ctx.query.token) return ctx.query.token;
  return null;
}

export function authenticate(deps: AuthDeps): Middleware {
  return async (ctx, next) => {
    const ip = normalizeAddress(ctx.req.socket.remoteAddress);
    const ingress = ip !== null && deps.trustedProxies.has(ip);
    const forwarded = ingress ? (ctx.get('x-forwarded-for').split(',').pop()?.trim() || null) : null;
    const ingressPath = ingress ? firstValue(ctx, 'x-ingress-path') : null;
    ctx.state.client = { ip, via: ingress ? 'ingress' : 'direct', forwarded_for: forwarded, ingress_path: ingressPath } satisfies RequestClient;

    if (ingress) {
      const id = firstValue(ctx, 'x-remote-user-id');
      const name = firstValue(ctx, 'x-remote-user-name');
      const display = firstValue(ctx, 'x-remote-user-display-name');
      ctx.state.principal = { kind: 'ingress', id: id ?? 'homeassistant', name: name ?? id ?? 'Home Assistant', display_name: display, role: 'admin' } satisfies Principal;
      return next();
    }

    const token = bearerToken(ctx);
    if (token) {
      const principal = deps.auth.authenticateKey(token);
      if (principal) ctx.state.principal = principal;
      else ctx.state.authError = 'invalid API key';
      return next();
    }

    const cookie = ctx.cookies.get(SESSION_COOKIE);
    if (cookie && !SIGN_IN_PATHS.has(ctx.path)) {
      const found = deps.auth.resolveSession(cookie);
      if (found) {
        if (UNSAFE.has(ctx.method)) {
          const sent = ctx.get(CSRF_HEADER);
          if (!sent || !safeEqual(sent, found.session.csrf)) {
            throw new AppError('csrf_failed', `cookie-authenticated writes need the ${CSRF_HEADER} header (from /api/auth/me or the ${CSRF_COOKIE} cookie)`, { httpStatus: 403 });
          }
        }
        ctx.state.session = { ...found, token: cookie };
        ctx.state.principal = { kind: 'session', id: found.user.id, name: found.user.username, display_name: null, role: found.user.role } satisfies Principal;
        return next();
      }
      ctx.state.authError = 'your session has expired: sign in again';
    }

    if (deps.mode === 'standalone' && ip !== null && LOOPBACK.has(ip) && !FORWARDING_HEADERS.some((h) => ctx.get(h)) && deps.auth.isUnconfigured()) {
      const host = hostNameOf(ctx);
      if (!isTrustedLocalHost(host, deps.allowedHosts)) {
        ctx.state.authError = `requests for host "${host ?? ''}" are not trusted before setup (a guard against DNS rebinding): open the panel as http://localhost:<port> or by IP address, or add the name to allowed_hosts`;
        return next();
      }
      if (UNSAFE.has(ctx.method) && isCrossSite(ctx)) {
        throw new AppError('cross_site_refused', 'a cross-site request cannot change anything here (before setup, only this machine\'s own pages and tools are trusted)', { httpStatus: 403 });
      }
      ctx.state.principal = { kind: 'local', id: 'local', name: 'local', display_name: 'this machine (before setup)', role: 'admin' } satisfies Principal;
    }
    return next();
  };
}

export interface CookieOptions {
  maxAgeMs: number;
}

/** Sets the session cookie (HttpOnly) and the CSRF cookie (readable by the panel's script). */
export function setSessionCookies(ctx: Context, token: string, csrf: string, opts: CookieOptions): void {
  const common = { sameSite: 'strict' as const, secure: ctx.secure, path: '/', overwrite: true, maxAge: opts.maxAgeMs };
  ctx.cookies.set(SESSION_COOKIE, token, { ...common, httpOnly: true });
  ctx.cookies.set(CSRF_COOKIE, csrf, { ...common, httpOnly: false });
}

export function clearSessionCookies(ctx: Context): void {
  const common = { sameSite: 'strict' as const, secure: ctx.secure, path: '/', overwrite: true, expires: new Date(0) };
  ctx.cookies.set(SESSION_COOKIE, '', { ...common, httpOnly: true });
  ctx.cookies.set(CSRF_COOKIE, '', { ...common, httpOnly: false });
}
