import Router from '@koa/router';
import { z } from 'zod';
import { AppError } from '../../errors.js';
import { jobView } from '../../jobs/view.js';
import { PRIORITIES } from '../../jobs/model.js';
import { liveRequestSchema } from '../../live/request.js';
import type { SeriesRules } from '../../live/series-rules.js';
import type { SourceService } from '../../sources/source-service.js';
import { allow } from '../access.js';
import { noteActivity } from '../audit.js';
import { strictObjectOptions } from '../validation.js';

const channelQuerySchema = z.object({
  q: z.string().trim().max(200, 'is too long').optional(),
  group: z.string().max(500, 'is too long').optional(),
  source_id: z.string().max(100, 'is too long').optional(),
  limit: z.coerce.number({ error: 'must be a number' }).int().min(1).max(500).default(100),
  offset: z.coerce.number({ error: 'must be a number' }).int().min(0).default(0),
});

const ruleSchema = z.strictObject(
  {
    channel_id: z.string({ error: 'must be a channel id' }).trim().min(1, 'is required').max(100),
    title: z.string({ error: 'must be a string' }).trim().min(1, 'is required').max(500, 'is too long'),
  },
  strictObjectOptions,
);

const recordSchema = z.strictObject(
  {
    live: liveRequestSchema.optional(),
    title: z.string().trim().max(500, 'is too long').optional(),
    priority: z.enum(PRIORITIES, { error: `must be one of ${PRIORITIES.join(', ')}` }).optional(),
    /** A programme of the guide, by its start (GET /api/channels/:id/guide): recorded with the padding options. */
    programme: z.strictObject({ start: z.string().trim().max(64).refine((s) => Number.isFinite(Date.parse(s)), 'must be an ISO time') }, strictObjectOptions).optional(),
  },
  strictObjectOptions,
);

/**
 * /api/channels: the live channels playlist sources list (README "Live recording"), and
 * recording one now or between two times.
 */
export function channelRoutes(sources: SourceService, rules?: SeriesRules): Router {
  const router = new Router({ prefix: '/api/channels' });
  if (rules) {
    // Series recordings: "record every airing of <title> on <channel>".
    router.get('/rules', allow('viewer'), async (ctx) => {
      const items = await rules.list();
      ctx.body = { items, total: items.length };
    });
    router.post('/rules', allow('operator'), async (ctx) => {
      const input = ruleSchema.parse(ctx.request.body ?? {});
      const { rule, queued } = await rules.add(input);
      noteActivity(ctx, { action: 'channel.rule_added', target: rule.id, details: { title: rule.title, channel: rule.channel_name } });
      ctx.status = 201;
      ctx.body = { rule, queued: queued.map(jobView) };
    });
    router.delete('/rules/:id', allow('operator'), async (ctx) => {
      // Named in the activity log like every other change (read before it is gone).
      const rule = (await rules.list()).find((r) => r.id === ctx.params.id);
      await rules.remove(ctx.params.id!);
      noteActivity(ctx, { action: 'channel.rule_removed', target: ctx.params.id!, ...(rule ? { details: { title: rule.title, channel: rule.channel_name } } : {}) });
      ctx.status = 204;
    });
  }

  router.get('/', allow('viewer'), async (ctx) => {
    const page = await sources.channels(channelQuerySchema.parse(ctx.query));
    // The URL and headers may carry an account: the panel needs neither.
    ctx.body = { ...page, items: page.items.map(({ url: _url, headers: _headers, ...rest }) => rest) };
  });

  router.get('/:id/guide', allow('viewer'), async (ctx) => {
    const { hours } = z.object({ hours: z.coerce.number({ error: 'must be a number' }).min(1).max(14 * 24).default(24) }).parse(ctx.query);
    const items = await sources.channelGuide(ctx.params.id!, hours);
    ctx.body = { items, total: items.length };
  });

  router.post('/:id/record', allow('operator'), async (ctx) => {
    const input = recordSchema.parse(ctx.request.body ?? {});
    if (input.programme && input.live) throw new AppError('invalid_request', 'live: give a programme or live times, not both', { httpStatus: 400, field: 'live' });
    const job = await sources.recordChannel(ctx.params.id!, input);
    noteActivity(ctx, { action: 'channel.record', target: job.id, details: { title: job.title } });
    ctx.status = 201;
    ctx.set('Location', `/api/downloads/${job.id}`);
    ctx.body = jobView(job);
  });

  return router;
}
