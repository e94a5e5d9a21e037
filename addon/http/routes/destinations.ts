import Router from '@koa/router';
import type { DestinationService } from '../../library/destination-service.js';
import { destinationPatchSchema, newDestinationSchema } from '../../library/destination-schema.js';
import { allow } from '../access.js';
import { noteActivity } from '../audit.js';

/**
 * /api/destinations: library destinations (README "Library destinations"). Viewers read,
 * operators run checks and tests (they change nothing), admins add, change and delete.
 * Secrets are write-only: views say `has_password`, never the password.
 */
export function destinationRoutes(destinations: DestinationService): Router {
  const router = new Router({ prefix: '/api/destinations' });

  router.get('/', allow('viewer'), (ctx) => {
    const items = destinations.list().map((d) => destinations.view(d));
    ctx.body = { items, total: items.length };
  });

  router.post('/', allow('admin'), async (ctx) => {
    const input = newDestinationSchema.parse(ctx.request.body ?? {});
    const created = await destinations.create(input);
    noteActivity(ctx, { action: 'destination.created', target: created.id, details: { name: created.name, kind: created.kind } });
    ctx.status = 201;
    ctx.set('Location', `/api/destinations/${created.id}`);
    ctx.body = destinations.view(created);
  });

  /** The kinds a destination can be, each with a JSON Schema of its own fields: the panel renders its form from it. */
  router.get('/kinds', allow('viewer'), (ctx) => {
    const items = destinations.kinds();
    ctx.body = { items, total: items.length };
  });

  /** Checks every enabled destination now (what the 5-minute check does), then lists them. */
  router.post('/check', allow('operator'), async (ctx) => {
    await destinations.checkAll();
    ctx.state.activity = false;
    const items = destinations.list().map((d) => destinations.view(d));
    ctx.body = { items, total: items.length };
  });

  router.get('/:id', allow('viewer'), (ctx) => {
    ctx.body = destinations.view(destinations.get(ctx.params.id!));
  });

  router.put('/:id', allow('admin'), async (ctx) => {
    const input = newDestinationSchema.parse(ctx.request.body ?? {});
    const updated = await destinations.update(ctx.params.id!, input, 'replace');
    noteActivity(ctx, { action: 'destination.updated', target: updated.id, details: { name: updated.name, fields: Object.keys(input) } });
    ctx.body = destinations.view(updated);
  });

  router.patch('/:id', allow('admin'), async (ctx) => {
    const input = destinationPatchSchema.parse(ctx.request.body ?? {});
    const updated = await destinations.update(ctx.params.id!, input, 'patch');
    noteActivity(ctx, { action: 'destination.updated', target: updated.id, details: { name: updated.name, fields: Object.keys(input) } });
    ctx.body = destinations.view(updated);
  });

  router.delete('/:id', allow('admin'), async (ctx) => {
    const { name } = destinations.get(ctx.params.id!);
    await destinations.remove(ctx.params.id!);
    noteActivity(ctx, { action: 'destination.deleted', target: ctx.params.id!, details: { name } });
    ctx.status = 204;
  });

  /** Connect, write and delete a probe file, report free space and latency; updates the status. */
  router.post('/:id/test', allow('operator'), async (ctx) => {
    const result = await destinations.test(ctx.params.id!);
    noteActivity(ctx, { action: 'destination.tested', target: ctx.params.id!, details: { name: destinations.get(ctx.params.id!).name, ok: result.ok, status: result.status } });
    ctx.body = result;
  });

  return router;
}
