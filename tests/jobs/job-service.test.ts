/**
 * JobService on its own: a scripted engine and transfer service stand in for downloads, so each
 * phase (download, merge, transfer) can be held open and paused, cancelled or held there. The
 * store is the real one in a temp dir.
 */
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { AppEvents } from '../../addon/events/app-events.js';
import { EventBus } from '../../addon/events/bus.js';
import type { DownloadEngine, RunHooks } from '../../addon/jobs/download-engine.js';
import { JobRepository } from '../../addon/jobs/job-repository.js';
import { JobService } from '../../addon/jobs/job-service.js';
import type { Job, JobStatus } from '../../addon/jobs/model.js';
import type { FinishedFile, TransferHooks, TransferService } from '../../addon/library/transfer-service.js';
import { systemClock } from '../../addon/platform/clock.js';
import { silentLogger } from '../../addon/platform/logger.js';
import { Store } from '../../addon/store/db.js';

interface Held<T> {
  job: Job;
  signal: AbortSignal;
  finish(value: T): void;
  fail(err: Error): void;
}

function deferred<T>(job: Job, signal: AbortSignal): { held: Held<T>; promise: Promise<T> } {
  let held!: Held<T>;
  const promise = new Promise<T>((resolve, reject) => {
    held = { job, signal, finish: resolve, fail: reject };
    signal.addEventListener('abort', () => reject(signal.reason), { once: true });
  });
  return { held, promise };
}

const OUTPUT: FinishedFile = { file: '/work/output.mp4', ext: 'mp4', size: 10, height: null };

function scriptedEngine() {
  const runs: Array<Held<FinishedFile> & { hooks: RunHooks }> = [];
  const removed: string[] = [];
  const finished = new Set<string>();
  const engine = {
    run(job: Job, signal: AbortSignal, hooks: RunHooks) {
      const { held, promise } = deferred<FinishedFile>(job, signal);
      runs.push({ ...held, hooks });
      // Like the real engine: a finished run leaves its output for a later transfer-only run.
      return promise.then((out) => (finished.add(job.id), out));
    },
    finishedOutput: async (id: string) => (finished.has(id) ? OUTPUT : null),
    removeWorkDir: async (id: string) => void removed.push(id),
  };
  return { engine: engine as unknown as DownloadEngine, runs, removed, finished };
}

function scriptedTransfers() {
  const deliveries: Array<Held<void> & { hooks: TransferHooks }> = [];
  const transfers = {
    knows: () => true,
    async deliver(job: Job, _file: FinishedFile, signal: AbortSignal, hooks: TransferHooks) {
      const { held, promise } = deferred<void>(job, signal);
      deliveries.push({ ...held, hooks });
      await hooks.attempt({ destination: { id: 'media', name: 'Media', kind: 'local' } as never, path: `${job.title}.mp4` });
      await promise;
      return { destination: { id: 'media' }, result: { relPath: `${job.title}.mp4`, location: 'media', method: 'link' }, localCopy: null };
    },
    removeFile: async () => undefined,
  };
  return { transfers: transfers as unknown as TransferService, deliveries };
}

const tick = () => new Promise((r) => setImmediate(r));
const stores: Store[] = [];
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close();
});

async function setup(opts: { maxConcurrent?: number; jobs?: Job[] } = {}) {
  const store = await Store.open(path.join(await mkdtemp(path.join(os.tmpdir(), 'jobs-')), 'db.json'), silentLogger());
  stores.push(store);
  if (opts.jobs) store.data.jobs.push(...opts.jobs);
  const bus = new EventBus<AppEvents>(silentLogger());
  const moves: Array<[string, JobStatus, JobStatus]> = [];
  bus.on('job.status', ({ job, previous }) => void moves.push([job.title, previous, job.status]));
  const e = scriptedEngine();
  const t = scriptedTransfers();
  const jobs = new JobService({
    repository: new JobRepository(store),
    bus,
    engine: e.engine,
    transfers: t.transfers,
    clock: systemClock,
    logger: silentLogger(),
    options: { maxConcurrent: opts.maxConcurrent ?? 1, defaultContainer: 'mp4', mediaDir: '/media' },
  });
  return { store, bus, jobs, moves, ...e, ...t };
}

describe('JobService: scheduling', () => {
  it('runs one job at a time by priority, then age; a finished download frees its slot for the next while it transfers', async () => {
    const s = await setup({ maxConcurrent: 1 });
    s.jobs.create({ url: 'http://o/1', title: 'low-first', priority: 'low' });
    // Alone in the queue, it starts at the next pass.
    await tick();
    s.jobs.create({ url: 'http://o/2', title: 'medium', priority: 'medium' });
    s.jobs.create({ url: 'http://o/3', title: 'high', priority: 'high' });
    await tick();
    expect(s.runs.map((r) => r.job.title)).toEqual(['low-first']);
    s.runs[0]!.finish(OUTPUT);
    await tick();
    // low-first is transferring (no download slot): high starts.
    expect(s.runs.map((r) => r.job.title)).toEqual(['low-first', 'high']);
    expect(s.deliveries.map((d) => d.job.title)).toEqual(['low-first']);
    s.deliveries[0]!.finish();
    s.runs[1]!.finish(OUTPUT);
    await tick();
    expect(s.runs.map((r) => r.job.title)).toEqual(['low-first', 'high', 'medium']);
    expect(s.moves.filter(([t]) => t === 'low-first').map(([, a, b]) => `${a}>${b}`)).toEqual(['pending>downloading', 'downloading>transferring', 'transferring>completed']);
  });

  it('jobs created in one burst (a sync) are scheduled together: the highest priority starts first, in one pass', async () => {
    const s = await setup({ maxConcurrent: 1 });
    s.jobs.create({ url: 'http://o/1', title: 'low', priority: 'low' });
    s.jobs.create({ url: 'http://o/2', title: 'high', priority: 'high' });
    expect(s.runs).toEqual([]);
    await tick();
    expect(s.runs.map((r) => r.job.title)).toEqual(['high']);
  });

  it('a queue hold sends the running download back to the queue and starts nothing until released', async () => {
    const s = await setup({ maxConcurrent: 2 });
    const a = s.jobs.create({ url: 'http://o/a', title: 'a' });
    await tick();
    await s.jobs.holdQueue('disk_full', 'test');
    expect(s.jobs.get(a.id).status).toBe('pending');
    const b = s.jobs.create({ url: 'http://o/b', title: 'b' });
    expect(s.jobs.get(b.id).status).toBe('pending');
    expect(s.runs).toHaveLength(1);
    await s.jobs.releaseQueue('disk_full');
    await tick();
    expect(s.runs.map((r) => r.job.title)).toEqual(['a', 'a', 'b']);
  });

  it('the queue pause holds downloads but lets a merge finish', async () => {
    const s = await setup({ maxConcurrent: 2 });
    const a = s.jobs.create({ url: 'http://o/a', title: 'a' });
    const m = s.jobs.create({ url: 'http://o/m', title: 'm' });
    await tick();
    s.runs[1]!.hooks.phase('merging');
    await tick();
    await s.jobs.pauseQueue();
    expect([s.jobs.get(a.id).status, s.jobs.get(m.id).status]).toEqual(['pending', 'merging']);
    s.runs[1]!.finish(OUTPUT);
    await tick();
    s.deliveries[0]!.finish();
    await tick();
    expect(s.jobs.get(m.id).status).toBe('completed');
    expect(s.runs).toHaveLength(2);
    await s.jobs.resumeQueue();
    await tick();
    expect(s.runs.map((r) => r.job.title)).toEqual(['a', 'm', 'a']);
  });
});

describe('JobService: pause, resume and cancel in each phase', () => {
  const phases = {
    downloading: async () => undefined,
    merging: async (s: Awaited<ReturnType<typeof setup>>) => {
      s.runs.at(-1)!.hooks.phase('merging');
      await tick();
    },
    transferring: async (s: Awaited<ReturnType<typeof setup>>) => {
      s.runs.at(-1)!.finish(OUTPUT);
      await tick();
    },
  };

  for (const [phase, reach] of Object.entries(phases)) {
    it(`pause while ${phase}: paused, and resume queues it again`, async () => {
      const s = await setup();
      const job = s.jobs.create({ url: 'http://o/x', title: 'x' });
      await tick();
      await reach(s);
      expect(s.jobs.get(job.id).status).toBe(phase);
      expect((await s.jobs.pause(job.id)).status).toBe('paused');
      expect(s.jobs.stats().active).toBe(0);
      await s.jobs.resume(job.id);
      await tick();
      expect(s.jobs.get(job.id).status).toBe(phase === 'transferring' ? 'transferring' : 'downloading');
    });

    it(`cancel while ${phase}: cancelled, work files removed, never started again`, async () => {
      const s = await setup();
      const job = s.jobs.create({ url: 'http://o/x', title: 'x' });
      await tick();
      await reach(s);
      expect((await s.jobs.cancel(job.id)).status).toBe('cancelled');
      expect(s.removed).toContain(job.id);
      s.jobs.kick();
      expect(s.jobs.stats().active).toBe(0);
    });
  }

  it('refuses to resume what is not paused and to cancel what is completed', async () => {
    const s = await setup();
    const job = s.jobs.create({ url: 'http://o/x', title: 'x' });
    await tick();
    await expect(s.jobs.resume(job.id)).rejects.toMatchObject({ httpStatus: 409 });
    await phases.transferring(s);
    s.deliveries[0]!.finish();
    await tick();
    await expect(s.jobs.cancel(job.id)).rejects.toMatchObject({ httpStatus: 409 });
  });
});

describe('JobService: after a crash', () => {
  const stored = (id: string, status: JobStatus, transfer = false): Job =>
    ({
      id,
      url: `http://o/${id}`,
      title: id,
      status,
      priority: 'medium',
      headers: {},
      retry_count: 0,
      progress: 40,
      speed: 1000,
      eta_s: 5,
      created_at: new Date(0).toISOString(),
      updated_at: new Date(0).toISOString(),
      transfer: transfer ? { destination_id: 'media', destination_name: 'Media', destination_kind: 'local', path: 'x', bytes_total: 10, attempts: 1, waiting_since: null, next_attempt_at: null } : null,
    }) as Job;

  it('interrupted jobs go back to the queue keeping their place; a downloaded one only transfers again', async () => {
    const s = await setup({ maxConcurrent: 1, jobs: [stored('was-downloading', 'downloading'), stored('was-transferring', 'transferring', true), stored('paused', 'paused')] });
    s.finished.add('was-transferring');
    await s.jobs.start();
    await tick();
    expect(s.jobs.get('was-downloading')).toMatchObject({ status: 'downloading', speed: 0 });
    expect(s.runs.map((r) => r.job.id)).toEqual(['was-downloading']);
    await tick();
    expect(s.deliveries.map((d) => d.job.id)).toEqual(['was-transferring']);
    expect(s.jobs.get('paused').status).toBe('paused');
    // The restart itself is not announced as status changes: nobody listens yet at start.
    expect(s.moves.filter(([, a]) => a !== 'pending')).toEqual([]);
  });

  it('a transfer whose downloaded file is gone downloads again', async () => {
    const s = await setup({ maxConcurrent: 1, jobs: [stored('lost', 'transferring', true)] });
    await s.jobs.start();
    await tick();
    expect(s.deliveries).toHaveLength(0);
    expect(s.jobs.get('lost')).toMatchObject({ status: 'downloading', transfer: null });
  });
});

describe('JobService: progress events', () => {
  it('a trailing progress event that is overdue (timers ran late) is dropped when a newer one goes out', async () => {
    const s = await setup();
    const at: number[] = [];
    s.bus.on('job.progress', () => void at.push(Date.now()));
    s.jobs.create({ url: 'http://o/x', title: 'x' });
    await tick();
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'], now: 1_000_000 });
    try {
      const hooks = s.runs[0]!.hooks;
      hooks.totals({ segmentsTotal: 10, bytesTotal: 1000 }); // leading edge: out at once
      vi.setSystemTime(1_000_200);
      hooks.bytes(10); // within 500 ms: a trailing event is due at 1_000_500
      vi.setSystemTime(1_000_700); // the event loop was busy: that timer has not run yet
      hooks.bytes(10); // a new leading edge
      await vi.advanceTimersByTimeAsync(1000); // the late timer runs now
      expect(at).toEqual([1_000_000, 1_000_700]);
    } finally {
      vi.useRealTimers();
    }
  });
});
