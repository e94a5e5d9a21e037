/**
 * The thin JobService's reads without the app: an in-memory store and an engine that never
 * finishes. Jobs handed out are frozen snapshots with the live figures laid over them; changes go
 * through the service, never through a returned object.
 */
import { describe, expect, it } from 'vitest';
import type { AppEvents } from '../../addon/events/app-events.js';
import { EventBus } from '../../addon/events/bus.js';
import type { DownloadEngine } from '../../addon/jobs/download-engine.js';
import { JobRepository, type JobStore } from '../../addon/jobs/job-repository.js';
import { JobService } from '../../addon/jobs/job-service.js';
import { ProgressTracker } from '../../addon/jobs/progress-tracker.js';
import type { TransferService } from '../../addon/library/transfer-service.js';
import { systemClock } from '../../addon/platform/clock.js';
import { silentLogger } from '../../addon/platform/logger.js';

function setup() {
  const store: JobStore = { data: { jobs: [], queue: { paused: false }, traffic: { day: '', bytes: 0 } }, changed: () => undefined };
  const progress = new ProgressTracker();
  const engine = { run: (_job: unknown, signal: AbortSignal) => new Promise((_r, reject) => signal.addEventListener('abort', () => reject(signal.reason))), finishedOutput: async () => null, removeWorkDir: async () => undefined };
  const jobs = new JobService({
    repository: new JobRepository(store),
    progress,
    bus: new EventBus<AppEvents>(silentLogger()),
    engine: engine as unknown as DownloadEngine,
    transfers: { knows: () => true } as unknown as TransferService,
    clock: systemClock,
    logger: silentLogger(),
    options: { maxConcurrent: 1, defaultContainer: 'mp4', mediaDir: '/media' },
  });
  return { store, progress, jobs };
}

describe('JobService views', () => {
  it('create returns the stored job frozen: changing it throws and the store keeps the original', () => {
    const s = setup();
    const job = s.jobs.create({ url: 'http://127.0.0.1:9/a.mp4', title: 'A' });
    expect(() => {
      job.title = 'changed';
    }).toThrow(TypeError);
    expect(s.jobs.get(job.id).title).toBe('A');
    expect(s.store.data.jobs[0]!.title).toBe('A');
  });

  it('list pages newest first with and without a status filter, the same as filtering every job', async () => {
    const s = setup();
    await s.jobs.pauseQueue();
    const created = Array.from({ length: 23 }, (_, i) => s.jobs.create({ url: `http://127.0.0.1:9/${i}.mp4`, title: `j${i}` }));
    for (const j of created.filter((_, i) => i % 3 === 0)) await s.jobs.pause(j.id);
    const all = [...s.store.data.jobs].reverse();
    for (const status of [undefined, 'paused', 'pending', 'failed'] as const) {
      const matching = all.filter((j) => !status || j.status === status);
      for (const [limit, offset] of [[5, 0], [5, 5], [50, 0], [4, 6], [3, 100]] as const) {
        const page = s.jobs.list({ status, limit, offset });
        expect(page.total).toBe(matching.length);
        expect(page.items.map((j) => j.title)).toEqual(matching.slice(offset, offset + limit).map((j) => j.title));
      }
    }
  });

  it('get, list and stats show the running job\'s live figures; the stored record keeps none of them', async () => {
    const s = setup();
    const running = s.jobs.create({ url: 'http://127.0.0.1:9/a.mp4', title: 'A' });
    const queued = s.jobs.create({ url: 'http://127.0.0.1:9/b.mp4', title: 'B' });
    await new Promise((r) => setImmediate(r));
    expect(s.jobs.get(running.id).status).toBe('downloading');
    s.progress.set(running.id, { bytes_done: 4096, progress: 40, speed: 1234 });
    expect(s.jobs.get(running.id)).toMatchObject({ bytes_done: 4096, progress: 40, speed: 1234 });
    const page = s.jobs.list({ limit: 10, offset: 0 });
    expect(page.items.map((j) => [j.title, j.bytes_done])).toEqual([['B', 0], ['A', 4096]]);
    expect(s.jobs.stats()).toMatchObject({ active: 1, speed: 1234, queue_length: 1 });
    expect(s.store.data.jobs.find((j) => j.id === running.id)!.bytes_done).toBe(0);
    // Pausing checkpoints the figures onto the record and forgets them.
    const paused = await s.jobs.pause(running.id);
    expect(paused).toMatchObject({ status: 'paused', bytes_done: 4096, progress: 40, speed: 0 });
    expect(s.progress.has(running.id)).toBe(false);
    expect(s.jobs.get(queued.id).status).toBe('downloading');
    await s.jobs.stop();
  });
});
