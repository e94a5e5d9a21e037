import { PassThrough } from 'node:stream';
import Router from '@koa/router';
import type { AppEvents } from '../../events/app-events.js';
import type { EventBus } from '../../events/bus.js';
import { jobView } from '../../jobs/view.js';
import { allow } from '../access.js';

const KEEPALIVE_MS = 15_000;

/**
 * Server-sent events: job added, status changes, progress (the service already limits
 * progress to about two a second per job) and removals; queue, destination and speed changes;
 * playlist source syncs (progress while one runs, then its outcome).
 */
export function eventRoutes(bus: EventBus<AppEvents>): Router {
  const router = new Router({ prefix: '/api' });

  router.get('/events', allow('viewer'), (ctx) => {
    const stream = new PassThrough();
    const send = (event: string, data: unknown): void => {
      stream.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    };
    const unsubscribe = [
      bus.on('job.added', ({ job }) => send('job.added', jobView(job))),
      bus.on('job.status', ({ job, previous }) => send('job.status', { ...jobView(job), previous })),
      // Same wire format as before job.updated existed: a job.status whose previous is the status.
      bus.on('job.updated', ({ job }) => send('job.status', { ...jobView(job), previous: job.status })),
      bus.on('job.progress', (progress) => send('job.progress', progress)),
      bus.on('job.removed', ({ id }) => send('job.removed', { id })),
      bus.on('queue.held', (hold) => send('queue.held', hold)),
      bus.on('queue.state', (state) => send('queue.state', state)),
      bus.on('destination.status', (change) => send('destination.status', change)),
      bus.on('speed.changed', (change) => send('speed.changed', change)),
      // Playlist sources: a running sync's phase and entries read, then its outcome (the record stays behind GET .../syncs).
      bus.on('sync.progress', (progress) => send('sync.progress', progress)),
      bus.on('sync.completed', ({ source, record, error, duration_ms }) =>
        send('sync.completed', { source, sync_id: record?.id ?? null, status: error ? 'failed' : 'completed', error, duration_ms, counts: record?.counts ?? null }),
      ),
    ];
    const keepalive = setInterval(() => stream.write(': keepalive\n\n'), KEEPALIVE_MS);
    const close = (): void => {
      clearInterval(keepalive);
      for (const off of unsubscribe) off();
      stream.end();
    };
    ctx.req.once('close', close);
    ctx.req.socket.setTimeout(0);
    ctx.req.socket.setNoDelay(true);
    ctx.set({ 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache', Connection: 'keep-alive', 'X-Accel-Buffering': 'no' });
    ctx.status = 200;
    stream.write('retry: 3000\n\n');
    ctx.body = stream;
  });

  return router;
}
