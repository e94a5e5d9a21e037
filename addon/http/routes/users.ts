import Router from '@koa/router';
import { z } from 'zod';
import { userView, type AuthService } from '../../auth/service.js';
import { badRequest } from '../../errors.js';
import { allow } from '../access.js';
import { noteActivity } from '../audit.js';
import { roleSchema, strictObject } from './account-schemas.js';
import { passwordSchema, usernameSchema } from './auth.js';

const newUserSchema = z.strictObject({ username: usernameSchema, password: passwordSchema, role: roleSchema.default('viewer') }, strictObject);
const userPatchSchema = z.strictObject(
  { username: usernameSchema.optional(), password: passwordSchema.optional(), role: roleSchema.optional(), disabled: z.boolean({ error: 'must be true or false' }).optional() },
  strictObject,
);

/** /api/users: admins manage the accounts of the plain-Docker sign-in. */
export function userRoutes(auth: AuthService): Router {
  const router = new Router({ prefix: '/api/users' });

  router.get('/', allow('admin'), (ctx) => {
    ctx.body = { items: auth.listUsers() };
  });

  router.get('/:id', allow('admin'), (ctx) => {
    ctx.body = userView(auth.getUser(ctx.params.id!));
  });

  router.post('/', allow('admin'), async (ctx) => {
    const input = newUserSchema.parse(ctx.request.body ?? {});
    const user = await auth.createUser(input);
    noteActivity(ctx, { action: 'user.created', target: user.username, details: { role: user.role } });
    ctx.status = 201;
    ctx.set('Location', `/api/users/${user.id}`);
    ctx.body = userView(user);
  });

  router.patch('/:id', allow('admin'), async (ctx) => {
    const patch = userPatchSchema.parse(ctx.request.body ?? {});
    if (Object.keys(patch).length === 0) throw badRequest('nothing to change: send username, password, role or disabled');
    const user = await auth.updateUser(ctx.params.id!, patch);
    const changed = Object.keys(patch).filter((k) => k !== 'password');
    noteActivity(ctx, {
      action: 'user.updated',
      target: user.username,
      details: { ...Object.fromEntries(changed.map((k) => [k, user[k as 'role' | 'disabled' | 'username']])), ...(patch.password ? { password: 'changed' } : {}) },
    });
    ctx.body = userView(user);
  });

  router.delete('/:id', allow('admin'), async (ctx) => {
    const user = await auth.deleteUser(ctx.params.id!);
    noteActivity(ctx, { action: 'user.deleted', target: user.username });
    ctx.status = 204;
  });

  return router;
}
