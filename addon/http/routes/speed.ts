import Router from '@koa/router';
import { describeRule, speedSettingsSchema, type SpeedSettings, type SpeedState } from '../../speed/schedule.js';
import { allow } from '../access.js';
import { noteActivity } from '../audit.js';

/** What the routes need of the speed service. */
export interface SpeedApi {
  current(): { settings: SpeedSettings; state: SpeedState };
  update(settings: SpeedSettings): Promise<SpeedState>;
  setManual(change: { enabled?: boolean; limit_kbps?: number }): Promise<SpeedState>;
}

const manualSchema = speedSettingsSchema.pick({ enabled: true, limit_kbps: true }).partial().strict();

function view(speed: SpeedApi): unknown {
  const { settings, state } = speed.current();
  return { ...settings, schedule: settings.schedule.map((r) => ({ ...r, summary: describeRule(r) })), state };
}

/**
 * GET /api/speed-limit (viewer), PATCH the "Limit speed" switch and number (operator, like the
 * queue's pause), PUT the whole settings with the weekly schedule (admin, like other settings).
 */
export function speedRoutes(speed: SpeedApi): Router {
  const router = new Router({ prefix: '/api/speed-limit' });
  router.get('/', allow('viewer'), (ctx) => {
    ctx.body = view(speed);
  });
  router.patch('/', allow('operator'), async (ctx) => {
    const change = manualSchema.parse(ctx.request.body ?? {});
    await speed.setManual(change);
    noteActivity(ctx, { action: 'speed.changed', details: change });
    ctx.body = view(speed);
  });
  router.put('/', allow('admin'), async (ctx) => {
    const settings = speedSettingsSchema.strict().parse(ctx.request.body ?? {});
    await speed.update(settings);
    noteActivity(ctx, { action: 'speed.changed', details: { enabled: settings.enabled, limit_kbps: settings.limit_kbps, rules: settings.schedule.length } });
    ctx.body = view(speed);
  });
  return router;
}
