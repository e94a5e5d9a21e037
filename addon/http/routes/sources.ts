import Router from '@koa/router';
import { unlink } from 'node:fs/promises';
import type { Context } from 'koa';
import { roleAtLeast } from '../../auth/model.js';
import { AppError } from '../../errors.js';
import { REDACTED } from '../../redact.js';
import { jobView } from '../../jobs/view.js';
import type { SourceService } from '../../sources/source-service.js';
import { allow } from '../access.js';
import { principalOf } from '../auth.js';
import { noteActivity } from '../audit.js';
import { receiveUpload } from '../multipart.js';
import {
  groupsQuerySchema,
  itemsQuerySchema,
  newSourceSchema,
  type NewSourceInput,
  pageQuerySchema,
  rulePreviewSchema,
  selectionSchema,
  sourcePatchSchema,
  syncQuerySchema,
  uploadSettingsSchema,
} from '../sources-validation.js';

/**
 * /api/sources: playlist sources, their syncs, items and downloads (README "Playlist sources").
 * Reading is for viewers; adding, changing, syncing and downloading for operators.
 */
/**
 * An Xtream account name is half of the credentials (job URLs redact it the same way): viewers see
 * that one is set, never what it is; operators, who edit sources, see it.
 */
function forCaller<T extends { username?: string | null }>(ctx: Context, view: T): T {
  const principal = principalOf(ctx);
  if (principal && roleAtLeast(principal.role, 'operator')) return view;
  return view.username ? { ...view, username: REDACTED } : view;
}

export function sourceRoutes(sources: SourceService, options: { uploadMaxBytes: number }): Router {
  const router = new Router({ prefix: '/api/sources' });

  router.get('/', allow('viewer'), (ctx) => {
    const items = sources.list().map((v) => forCaller(ctx, v));
    ctx.body = { items, total: items.length };
  });

  /** The kinds a source can be, each with a JSON Schema of its own fields (sources/kinds/). */
  router.get('/kinds', allow('viewer'), (ctx) => {
    const items = sources.kinds();
    ctx.body = { items, total: items.length };
  });

  router.post('/', allow('operator'), async (ctx) => {
    if (ctx.is('multipart/form-data')) {
      // A `file` source in one call: the list in the "file" part, settings as fields.
      const upload = await receiveUpload(ctx, { maxBytes: options.uploadMaxBytes, dir: sources.uploadsDir });
      try {
        if (!upload.file) throw new AppError('invalid_request', 'file: is required (a multipart part named "file")', { httpStatus: 400, field: 'file' });
        let settings: unknown = {};
        if (upload.fields.settings) {
          try {
            settings = JSON.parse(upload.fields.settings);
          } catch {
            throw new AppError('invalid_request', 'settings: must be JSON', { httpStatus: 400, field: 'settings' });
          }
        }
        const parsed = uploadSettingsSchema.parse({ ...(settings as object), ...(upload.fields.name ? { name: upload.fields.name } : {}) });
        const name = parsed.name ?? upload.file.name.replace(/\.m3u8?$/i, '');
        const created = await sources.create('file', { ...parsed, name });
        const attached = await sources.attachUpload(created.id, upload.file.path, upload.file);
        noteActivity(ctx, { action: 'source.created', target: attached.id, details: { name: attached.name, kind: 'file', bytes: upload.file.size } });
        ctx.status = 201;
        ctx.set('Location', `/api/sources/${attached.id}`);
        ctx.body = sources.view(attached);
      } catch (err) {
        if (upload.file) await unlink(upload.file.path).catch(() => undefined);
        throw err;
      }
      return;
    }
    const input = newSourceSchema.parse(ctx.request.body ?? {}) as NewSourceInput;
    const { kind, ...settings } = input;
    const created = await sources.create(kind, settings);
    noteActivity(ctx, { action: 'source.created', target: created.id, details: { name: created.name, kind } });
    ctx.status = 201;
    ctx.set('Location', `/api/sources/${created.id}`);
    ctx.body = sources.view(created);
  });

  router.get('/:id', allow('viewer'), (ctx) => {
    ctx.body = forCaller(ctx, sources.view(sources.get(ctx.params.id!)));
  });

  router.patch('/:id', allow('operator'), async (ctx) => {
    const patch = sourcePatchSchema.parse(ctx.request.body ?? {});
    noteActivity(ctx, { action: 'source.updated', target: ctx.params.id!, details: { name: sources.get(ctx.params.id!).name, fields: Object.keys(patch) } });
    ctx.body = sources.view(await sources.update(ctx.params.id!, patch));
  });

  router.delete('/:id', allow('operator'), async (ctx) => {
    noteActivity(ctx, { action: 'source.deleted', target: ctx.params.id!, details: { name: sources.get(ctx.params.id!).name } });
    await sources.remove(ctx.params.id!);
    ctx.status = 204;
  });

  /** Replaces the list of a `file` source (multipart, part "file"). */
  router.put('/:id/file', allow('operator'), async (ctx) => {
    const source = sources.get(ctx.params.id!);
    if (source.kind !== 'file') throw new AppError('invalid_request', `a ${source.kind} source takes no uploaded file`, { httpStatus: 400 });
    const upload = await receiveUpload(ctx, { maxBytes: options.uploadMaxBytes, dir: sources.uploadsDir });
    if (!upload.file) throw new AppError('invalid_request', 'file: is required (a multipart part named "file")', { httpStatus: 400, field: 'file' });
    try {
      ctx.body = sources.view(await sources.attachUpload(source.id, upload.file.path, upload.file));
      noteActivity(ctx, { action: 'source.file_uploaded', target: source.id, details: { name: source.name, bytes: upload.file.size } });
    } catch (err) {
      await unlink(upload.file.path).catch(() => undefined);
      throw err;
    }
  });

  router.post('/:id/sync', allow('operator'), async (ctx) => {
    const { dry_run } = syncQuerySchema.parse(ctx.query);
    const record = await sources.sync(ctx.params.id!, { trigger: 'manual', dryRun: dry_run });
    noteActivity(ctx, { action: 'source.synced', target: ctx.params.id!, details: { name: sources.get(ctx.params.id!).name, status: record.status, dry_run, queued: record.counts.queued } });
    ctx.body = record;
  });

  router.get('/:id/syncs', allow('viewer'), (ctx) => {
    ctx.body = sources.syncs(ctx.params.id!, pageQuerySchema.parse(ctx.query));
  });

  router.get('/:id/items', allow('viewer'), async (ctx) => {
    ctx.body = await sources.items(ctx.params.id!, itemsQuerySchema.parse(ctx.query));
  });

  router.get('/:id/groups', allow('viewer'), async (ctx) => {
    const { scope } = groupsQuerySchema.parse(ctx.query);
    const items = await sources.groups(ctx.params.id!, scope);
    ctx.body = { items, total: items.length };
  });

  router.post('/:id/downloads', allow('operator'), async (ctx) => {
    const selection = selectionSchema.parse(ctx.request.body ?? {});
    const result = await sources.download(ctx.params.id!, selection);
    noteActivity(ctx, { action: 'source.downloads', target: ctx.params.id!, details: { name: sources.get(ctx.params.id!).name, created: result.items.length, skipped: result.skipped.length } });
    ctx.status = result.items.length > 0 ? 201 : 200;
    ctx.body = { items: result.items.map(jobView), skipped: result.skipped };
  });

  // Operators only: a preview walks the whole catalogue (costly), and rules are an operator's tool.
  router.post('/:id/rules/preview', allow('operator'), async (ctx) => {
    const input = rulePreviewSchema.parse(ctx.request.body ?? {});
    const items = await sources.previewRules(ctx.params.id!, input);
    ctx.state.activity = false; // a preview changes nothing
    ctx.body = { items, total: items.length };
  });

  return router;
}
