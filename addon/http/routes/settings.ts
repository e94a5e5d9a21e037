import Router from '@koa/router';
import { namingPreview, namingPreviewSchema } from '../../library/naming-preview.js';
import { settingsPatchSchema, type RuntimeSettings } from '../../ops/settings.js';
import { allow } from '../access.js';
import { noteActivity } from '../audit.js';

/**
 * /api/settings (README "Settings"): operators and admins read the effective runtime settings
 * (never a secret), admins change the editable ones. /api/naming/preview renders naming templates
 * with the server's own code; it changes nothing, so viewers may call it.
 */
export function settingsRoutes(settings: RuntimeSettings): Router {
  const router = new Router({ prefix: '/api' });

  router.get('/settings', allow('operator'), (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    ctx.body = settings.view();
  });

  router.patch('/settings', allow('admin'), async (ctx) => {
    const patch = settingsPatchSchema.parse(ctx.request.body ?? {});
    const changes = await settings.update(patch);
    const reset = Object.entries(patch)
      .filter(([, v]) => v === null)
      .map(([k]) => k);
    if (Object.keys(changes).length === 0 && reset.length === 0) ctx.state.activity = false;
    else noteActivity(ctx, { action: 'settings.updated', target: 'settings', details: { changes, ...(reset.length ? { reset } : {}) } });
    ctx.body = settings.view();
  });

  router.post('/naming/preview', allow('viewer'), (ctx) => {
    const input = namingPreviewSchema.parse(ctx.request.body ?? {});
    ctx.state.activity = false; // a preview changes nothing
    const items = namingPreview(input);
    ctx.body = { items, total: items.length };
  });

  return router;
}
