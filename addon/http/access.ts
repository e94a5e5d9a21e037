import type Router from '@koa/router';
import type { Context, Middleware, Next } from 'koa';
import { roleAtLeast, type Role } from '../auth/model.js';
import { AppError } from '../errors.js';
import { principalOf } from './auth.js';

/** Who may call a route: a minimum role, or anyone ('public'). */
export type Access = Role | 'public';

type Tagged = Middleware & { access: Access };

/**
 * Declares a route's access; put it first in the route's middleware:
 * `router.post('/', allow('operator'), handler)`. The access table built from these tags is
 * checked before routing (so a 401 never depends on whether the route exists), and again here.
 */
export function allow(access: Access): Tagged {
  const mw = (async (ctx: Context, next: Next) => {
    if (access !== 'public') requireRole(ctx, access);
    return next();
  }) as Tagged;
  mw.access = access;
  return mw;
}

export interface RouteInfo {
  methods: string[];
  path: string;
  /** null: the route declared nothing (the default applies, and the access test complains). */
  access: Access | null;
  match(path: string): boolean;
}

/** Every route of the given routers with its declared access. */
export function routeTable(routers: Router[]): RouteInfo[] {
  const table: RouteInfo[] = [];
  for (const router of routers) {
    for (const layer of router.stack) {
      if (layer.methods.length === 0) continue; // router.use() middleware, not a route
      const tag = layer.stack.find((fn): fn is Tagged & typeof fn => typeof (fn as Partial<Tagged>).access === 'string') as Partial<Tagged> | undefined;
      table.push({ methods: [...layer.methods], path: String(layer.path), access: tag?.access ?? null, match: (p) => layer.match(p) });
    }
  }
  return table;
}

/** Reads are for viewers, anything else for admins, unless the route says otherwise. */
export function defaultAccess(method: string): Role {
  return method === 'GET' || method === 'HEAD' ? 'viewer' : 'admin';
}

/** The access a request needs: the matching route's declaration, else the default. */
export function requiredAccess(table: RouteInfo[], method: string, path: string): Access {
  for (const route of table) {
    if (route.methods.includes(method) && route.match(path)) return route.access ?? defaultAccess(method);
  }
  return defaultAccess(method);
}

export interface AccessOptions {
  table: RouteInfo[];
  /** Plain Docker with no credential of any kind yet: a 401 says "setup required". */
  setupRequired: () => boolean;
}

/** Every /api request: 401 without a principal, 403 when its role is too low. */
export function accessControl(opts: AccessOptions): Middleware {
  return async (ctx, next) => {
    if (ctx.method === 'OPTIONS' || !(ctx.path === '/api' || ctx.path.startsWith('/api/'))) return next();
    const access = requiredAccess(opts.table, ctx.method, ctx.path);
    if (access !== 'public') {
      if (!principalOf(ctx)) throw unauthorized(ctx, opts.setupRequired());
      requireRole(ctx, access);
    }
    return next();
  };
}

function unauthorized(ctx: Context, setupRequired: boolean): AppError {
  const authError = ctx.state.authError as string | undefined;
  if (setupRequired && !authError) {
    return new AppError(
      'setup_required',
      'no account exists yet: open the panel (or POST /api/auth/setup) to create the admin account; until then only requests from this machine (127.0.0.1) are let in',
      { httpStatus: 401 },
    );
  }
  ctx.set('WWW-Authenticate', 'Bearer');
  return new AppError('unauthorized', authError ?? 'sign in, or send Authorization: Bearer <API key>', { httpStatus: 401 });
}

export function requireRole(ctx: Context, role: Role): void {
  const principal = principalOf(ctx);
  if (!principal) throw unauthorized(ctx, false);
  if (!roleAtLeast(principal.role, role)) {
    throw new AppError('forbidden', `this needs the ${role} role (you are ${principal.role})`, { httpStatus: 403 });
  }
}
