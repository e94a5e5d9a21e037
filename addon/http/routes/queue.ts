import Router from '@koa/router';
import type { JobService } from '../../jobs/job-service.js';
import { allow } from '../access.js';
import { noteActivity } from '../audit.js';

/**
 * The queue-level pause (also the "Pause queue" switch over MQTT): GET /api/queue,
 * POST /api/queue/pause, POST /api/queue/resume, each answering `{paused}`.
 */
export function queueRoutes(jobs: JobService): Router {
  const router = new Router({ prefix: '/api/queue' });
  const state = (): { paused: boolean } => ({ paused: jobs.isQueuePaused() });

  router.get('/', allow('viewer'), (ctx) => {
    ctx.body = state();
  });
  router.post('/pause', allow('operator'), async (ctx) => {
    noteActivity(ctx, { action: 'queue.paused' });
    await jobs.pauseQueue();
    ctx.body = state();
  });
  router.post('/resume', allow('operator'), async (ctx) => {
    noteActivity(ctx, { action: 'queue.resumed' });
    await jobs.resumeQueue();
    ctx.body = state();
  });
  return router;
}
