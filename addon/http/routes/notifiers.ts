import Router from '@koa/router';
import { newNotifierSchema, notifierPatchSchema, type NotifierConfig } from '../../notify/notifier-config.js';
import { allow } from '../access.js';
import { noteActivity } from '../audit.js';

/**
 * /api/notifiers: notification channels added in the panel (README "Notification channels").
 * Viewers read, operators send tests, admins add, change and delete. Secrets are write-only:
 * views say `settings.has_token`, never the token.
 */
export function notifierRoutes(notifiers: NotifierConfig): Router {
  const router = new Router({ prefix: '/api/notifiers' });

  router.get('/', allow('viewer'), (ctx) => {
    const items = notifiers.list();
    ctx.body = { items, total: items.length };
  });

  /** Each kind with the JSON Schema of its settings: the panel renders the form from it. */
  router.get('/kinds', allow('viewer'), (ctx) => {
    ctx.body = { items: notifiers.kinds() };
  });

  router.post('/', allow('admin'), async (ctx) => {
    const input = newNotifierSchema.parse(ctx.request.body ?? {});
    const created = await notifiers.create(input);
    noteActivity(ctx, { action: 'notifier.created', target: created.id, details: { name: created.name, kind: created.kind } });
    ctx.status = 201;
    ctx.set('Location', `/api/notifiers/${created.id}`);
    ctx.body = created;
  });

  router.get('/:id', allow('viewer'), (ctx) => {
    ctx.body = notifiers.get(ctx.params.id!);
  });

  router.patch('/:id', allow('admin'), async (ctx) => {
    const input = notifierPatchSchema.parse(ctx.request.body ?? {});
    const updated = await notifiers.update(ctx.params.id!, input);
    // Field names only: the values may be secrets.
    noteActivity(ctx, { action: 'notifier.updated', target: updated.id, details: { fields: Object.keys(input), settings: Object.keys(input.settings ?? {}) } });
    ctx.body = updated;
  });

  router.delete('/:id', allow('admin'), async (ctx) => {
    const removed = await notifiers.remove(ctx.params.id!);
    noteActivity(ctx, { action: 'notifier.deleted', target: removed.id, details: { name: removed.name, kind: removed.kind } });
    ctx.status = 204;
  });

  /** Sends a test message now and says exactly what the channel answered. */
  router.post('/:id/test', allow('operator'), async (ctx) => {
    const result = await notifiers.test(ctx.params.id!);
    noteActivity(ctx, { action: 'notifier.tested', target: ctx.params.id!, details: { ok: result.ok } });
    ctx.body = result;
  });

  return router;
}
