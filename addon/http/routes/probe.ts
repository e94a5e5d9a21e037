import Router from '@koa/router';
import { z } from 'zod';
import type { ProbeService } from '../../probe/probe-service.js';
import { allow } from '../access.js';
import { headers, httpUrl, strictObjectOptions } from '../validation.js';

const probeSchema = z.strictObject(
  {
    url: httpUrl,
    referer: httpUrl.optional(),
    headers: headers.optional(),
    /** The page the URL was found on (the browser extension): a title candidate, as on POST /api/downloads. */
    page_title: z.string({ error: 'must be a string' }).trim().max(500, 'is too long').optional(),
  },
  strictObjectOptions,
);

/** POST /api/probe: what a URL is (qualities, tracks, duration, size, live, DRM) before queueing it. */
export function probeRoutes(probe: ProbeService): Router {
  const router = new Router({ prefix: '/api' });
  router.post('/probe', allow('operator'), async (ctx) => {
    const input = probeSchema.parse(ctx.request.body ?? {});
    // A client that goes away stops the probe's requests.
    const controller = new AbortController();
    // (The response's close, not the request's: that one fires as soon as the body is read.)
    ctx.res.once('close', () => {
      if (!ctx.res.writableEnded) controller.abort();
    });
    ctx.set('Cache-Control', 'no-store');
    ctx.body = await probe.probe(input, controller.signal);
  });
  return router;
}
