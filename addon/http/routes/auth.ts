import Router from '@koa/router';
import { z } from 'zod';
import type { AppMode, MeResponse } from '../../auth/model.js';
import { FailureLimiter, LOGIN_LIMITS } from '../../auth/rate-limit.js';
import { SESSION_TTL_MS, userView, type AuthService } from '../../auth/service.js';
import { AppError } from '../../errors.js';
import type { ActivityLog } from '../../ops/activity.js';
import { allow } from '../access.js';
import { noteActivity, recordNow } from '../audit.js';
import { clearSessionCookies, clientOf, principalOf, SESSION_COOKIE, sessionOf, setSessionCookies } from '../auth.js';

export const usernameSchema = z
  .string({ error: 'must be a string' })
  .trim()
  .min(1, 'is required')
  .max(64, 'is too long (64 characters at most)')
  .regex(/^[A-Za-z0-9._@-]+$/, 'may contain letters, digits, and . _ @ - only');
export const passwordSchema = z.string({ error: 'must be a string' }).min(8, 'must be at least 8 characters').max(1024, 'is too long');

const credentialsSchema = z.strictObject({ username: usernameSchema, password: z.string({ error: 'must be a string' }).min(1, 'is required').max(1024) });
const setupSchema = z.strictObject({ username: usernameSchema, password: passwordSchema });
const passwordChangeSchema = z.strictObject({ current_password: z.string().min(1).max(1024), new_password: passwordSchema });

export interface AuthRouteDeps {
  auth: AuthService;
  activity: ActivityLog;
  mode: AppMode;
  now: () => number;
}

/**
 * Sign-in for plain Docker: first-run setup, login (rate limited), logout, and "who am I" for
 * the panel. Home Assistant ingress needs none of it; API keys neither.
 */
export function authRoutes(deps: AuthRouteDeps): Router {
  const router = new Router({ prefix: '/api/auth' });
  const limiter = new FailureLimiter(deps.now);

  router.get('/me', allow('public'), (ctx) => {
    const principal = principalOf(ctx);
    const client = clientOf(ctx);
    const body: MeResponse = {
      mode: deps.mode,
      authenticated: principal !== null,
      setup_required: deps.mode === 'standalone' && deps.auth.userCount() === 0,
      principal: principal ? { ...principal, via: client.via } : null,
      csrf_token: sessionOf(ctx)?.session.csrf ?? null,
      ingress_path: client.ingress_path,
    };
    ctx.set('Cache-Control', 'no-store');
    ctx.body = body;
  });

  router.post('/setup', allow('public'), async (ctx) => {
    const principal = principalOf(ctx);
    if (deps.mode === 'addon' && principal?.kind !== 'ingress') {
      throw new AppError('forbidden', 'in the add-on, Home Assistant signs users in; open the panel from the sidebar', { httpStatus: 403 });
    }
    const input = setupSchema.parse(ctx.request.body ?? {});
    const user = await deps.auth.setup(input);
    const { token, session } = await deps.auth.createSession(user, { ip: clientOf(ctx).ip, userAgent: ctx.get('user-agent') || null });
    setSessionCookies(ctx, token, session.csrf, { maxAgeMs: SESSION_TTL_MS });
    noteActivity(ctx, { action: 'auth.setup', target: user.username, actor: { kind: 'session', id: user.id, name: user.username, role: user.role } });
    ctx.status = 201;
    ctx.body = { user: userView(user), csrf_token: session.csrf };
  });

  router.post('/login', allow('public'), async (ctx) => {
    const input = credentialsSchema.parse(ctx.request.body ?? {});
    const client = clientOf(ctx);
    const keys: [string, (typeof LOGIN_LIMITS)['address']][] = [
      [`ip:${client.ip ?? '?'}`, LOGIN_LIMITS.address],
      [`user:${input.username.toLowerCase()}`, LOGIN_LIMITS.username],
    ];
    const wait = Math.max(...keys.map(([k, rule]) => limiter.retryAfter(k, rule)));
    if (wait > 0) {
      ctx.set('Retry-After', String(Math.ceil(wait / 1000)));
      throw new AppError('too_many_attempts', `too many failed sign-ins: try again in ${Math.ceil(wait / 60_000)} min`, { httpStatus: 429 });
    }
    const user = await deps.auth.verifyLogin(input.username, input.password);
    if (!user) {
      for (const [k, rule] of keys) limiter.fail(k, rule);
      recordNow(ctx, deps.activity, { action: 'auth.login_failed', target: input.username });
      throw new AppError('invalid_credentials', 'wrong username or password', { httpStatus: 401 });
    }
    limiter.reset(keys[1]![0]);
    const { token, session } = await deps.auth.createSession(user, { ip: client.ip, userAgent: ctx.get('user-agent') || null });
    setSessionCookies(ctx, token, session.csrf, { maxAgeMs: SESSION_TTL_MS });
    noteActivity(ctx, { action: 'auth.login', target: user.username, actor: { kind: 'session', id: user.id, name: user.username, role: user.role } });
    ctx.body = { user: userView(user), csrf_token: session.csrf };
  });

  router.post('/logout', allow('public'), async (ctx) => {
    const current = sessionOf(ctx);
    const cookie = ctx.cookies.get(SESSION_COOKIE);
    if (cookie) await deps.auth.revokeSession(cookie);
    clearSessionCookies(ctx);
    if (current) noteActivity(ctx, { action: 'auth.logout', target: current.user.username });
    else ctx.state.activity = false; // nobody was signed in: nothing changed
    ctx.status = 204;
  });

  router.post('/password', allow('viewer'), async (ctx) => {
    const current = sessionOf(ctx);
    if (!current) throw new AppError('invalid_request', 'only a signed-in user has a password to change', { httpStatus: 400 });
    const input = passwordChangeSchema.parse(ctx.request.body ?? {});
    await deps.auth.changePassword(current.user.id, input.current_password, input.new_password);
    // Other browsers signed in as this user are signed out; this one stays.
    await deps.auth.revokeOtherSessions(current.user.id, current.token);
    noteActivity(ctx, { action: 'auth.password_changed', target: current.user.username });
    ctx.status = 204;
  });

  return router;
}
