import Router from '@koa/router';
import { z } from 'zod';
import { keyView, type AuthService } from '../../auth/service.js';
import { allow } from '../access.js';
import { noteActivity } from '../audit.js';
import { principalOf } from '../auth.js';
import { roleSchema, strictObject } from './account-schemas.js';

const newKeySchema = z.strictObject({ name: z.string({ error: 'must be a string' }).trim().min(1, 'is required').max(100, 'is too long'), role: roleSchema.default('operator') }, strictObject);
const keyPatchSchema = z.strictObject({ name: z.string().trim().min(1, 'is required').max(100, 'is too long').optional(), role: roleSchema.optional() }, strictObject);

/** /api/keys: admins create keys (shown once), rename them, change their role, revoke them. */
export function keyRoutes(auth: AuthService): Router {
  const router = new Router({ prefix: '/api/keys' });

  router.get('/', allow('admin'), (ctx) => {
    ctx.body = { items: auth.listKeys() };
  });

  router.post('/', allow('admin'), async (ctx) => {
    const input = newKeySchema.parse(ctx.request.body ?? {});
    const created = await auth.createKey(input, principalOf(ctx)?.name ?? 'unknown');
    noteActivity(ctx, { action: 'key.created', target: created.name, details: { id: created.id, role: created.role, prefix: created.prefix } });
    ctx.status = 201;
    ctx.set('Cache-Control', 'no-store');
    ctx.set('Location', `/api/keys/${created.id}`);
    ctx.body = created;
  });

  router.patch('/:id', allow('admin'), async (ctx) => {
    const patch = keyPatchSchema.parse(ctx.request.body ?? {});
    const key = await auth.updateKey(ctx.params.id!, patch);
    noteActivity(ctx, { action: 'key.updated', target: key.name, details: { id: key.id, ...patch } });
    ctx.body = keyView(key);
  });

  router.delete('/:id', allow('admin'), async (ctx) => {
    const key = await auth.revokeKey(ctx.params.id!);
    noteActivity(ctx, { action: 'key.revoked', target: key.name, details: { id: key.id, prefix: key.prefix } });
    ctx.status = 204;
  });

  return router;
}
