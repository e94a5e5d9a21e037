import type { Context, Middleware } from 'koa';
import type { ActivityLog, Actor } from '../ops/activity.js';
import { clientOf, principalOf } from './auth.js';

/** What a route tells the audit middleware about the change it made. */
export interface ActivityNote {
  action: string;
  target?: string | null;
  details?: Record<string, unknown>;
  /** Who, when the request had no principal yet (login, setup). */
  actor?: Actor;
}

/** Describe the change this request makes; recorded when the request succeeds (`ctx.state.activity = false`: nothing changed). */
export function noteActivity(ctx: Context, note: ActivityNote): void {
  ctx.state.activity = note;
}

/** Record now, whatever the outcome (failed logins). */
export function recordNow(ctx: Context, log: ActivityLog, note: ActivityNote): void {
  const client = clientOf(ctx);
  const principal = principalOf(ctx);
  log.record({
    actor: note.actor ?? (principal ? { kind: principal.kind, id: principal.id, name: principal.name, role: principal.role } : { kind: 'system', id: 'anonymous', name: 'anonymous' }),
    action: note.action,
    target: note.target ?? null,
    ip: client.ip,
    via: client.via,
    forwarded_for: client.forwarded_for,
    ...(note.details ? { details: note.details } : {}),
  });
}

/**
 * Every state-changing /api request that succeeds goes to the activity log: who (the principal),
 * what (the route's note, else "METHOD /route/:pattern"), when, from where. Request bodies are
 * never copied: a route's note names only what is safe to show.
 */
export function audit(log: ActivityLog): Middleware {
  return async (ctx, next) => {
    await next();
    if (ctx.method === 'GET' || ctx.method === 'HEAD' || ctx.method === 'OPTIONS') return;
    if (!ctx.path.startsWith('/api/') || ctx.status >= 400) return;
    const note = ctx.state.activity as ActivityNote | false | undefined;
    if (note === false) return;
    const route = (ctx as Context & { _matchedRoute?: string })._matchedRoute;
    if (!note && !route) return;
    recordNow(ctx, log, note ?? { action: `${ctx.method} ${route}`, target: (ctx.params as Record<string, string> | undefined)?.id ?? null });
  };
}
