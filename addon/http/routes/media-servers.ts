import Router from '@koa/router';
import type { MediaServerService } from '../../mediaservers/service.js';
import { mediaServerPatchSchema, mediaServerTestSchema, newMediaServerSchema } from '../../mediaservers/schema.js';
import { allow } from '../access.js';
import { noteActivity } from '../audit.js';

/**
 * /api/media-servers: Jellyfin, Emby, Plex and Kodi servers refreshed after downloads (README
 * "Media servers"). Viewers read, operators run the Test (it changes nothing), admins add,
 * change and delete. Secrets are write-only: views say `has_api_key`, never the key.
 */
export function mediaServerRoutes(servers: MediaServerService): Router {
  const router = new Router({ prefix: '/api/media-servers' });

  router.get('/', allow('viewer'), (ctx) => {
    const items = servers.list().map((s) => servers.view(s));
    ctx.body = { items, total: items.length };
  });

  /** Every kind with a JSON Schema of its settings, for the panel's form. */
  router.get('/kinds', allow('viewer'), (ctx) => {
    ctx.body = { items: servers.kinds() };
  });

  router.post('/', allow('admin'), async (ctx) => {
    const input = newMediaServerSchema.parse(ctx.request.body ?? {});
    const created = await servers.create(input);
    noteActivity(ctx, { action: 'media_server.created', target: created.id, details: { name: created.name, kind: created.kind } });
    ctx.status = 201;
    ctx.set('Location', `/api/media-servers/${created.id}`);
    ctx.body = servers.view(created);
  });

  router.get('/:id', allow('viewer'), (ctx) => {
    ctx.body = servers.view(servers.get(ctx.params.id!));
  });

  router.patch('/:id', allow('admin'), async (ctx) => {
    const input = mediaServerPatchSchema.parse(ctx.request.body ?? {});
    const updated = await servers.update(ctx.params.id!, input);
    noteActivity(ctx, { action: 'media_server.updated', target: updated.id, details: { fields: Object.keys(input) } });
    ctx.body = servers.view(updated);
  });

  router.delete('/:id', allow('admin'), async (ctx) => {
    const { name } = servers.get(ctx.params.id!);
    await servers.remove(ctx.params.id!);
    noteActivity(ctx, { action: 'media_server.deleted', target: ctx.params.id!, details: { name } });
    ctx.status = 204;
  });

  /** Connect, authenticate, and say where the server sees a sample file (path_map applied). */
  router.post('/:id/test', allow('operator'), async (ctx) => {
    const input = mediaServerTestSchema.parse(ctx.request.body ?? {});
    const result = await servers.test(ctx.params.id!, input.sample_path);
    noteActivity(ctx, { action: 'media_server.tested', target: ctx.params.id!, details: { ok: result.ok } });
    ctx.body = result;
  });

  return router;
}
