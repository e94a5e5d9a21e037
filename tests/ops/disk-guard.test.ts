import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DiskGuard, DISK_FULL, type QueueHolder } from '../../addon/ops/disk-guard.js';
import { silentLogger } from '../../addon/platform/logger.js';
import { startHlsOrigin, type HlsOrigin } from '../fakes/hls-origin.js';
import { ensureFixtures } from '../fixtures/media.js';
import { makeTestApp, waitFor, type TestApp } from '../helpers/app.js';
import { call } from '../helpers/http-call.js';

const MB = 1024 * 1024;

function fakeQueue() {
  const calls: string[] = [];
  const queue: QueueHolder = {
    holdQueue: async (reason) => void calls.push(`hold:${reason}`),
    releaseQueue: async (reason) => void calls.push(`release:${reason}`),
  };
  return { queue, calls };
}

describe('DiskGuard', () => {
  it('holds below the floor and releases only with a margin above it', async () => {
    let free = 500 * MB;
    let now = 0;
    const { queue, calls } = fakeQueue();
    const guard = new DiskGuard({ dirs: ['/media', '/data/tmp'], minFreeBytes: 400 * MB, probe: async () => free, queue, logger: silentLogger(), now: () => now });
    expect((await guard.check()).status).toBe('ok');
    free = 399 * MB;
    expect((await guard.check()).status).toBe('low');
    free = 405 * MB; // above the floor, inside the 5 % margin
    expect((await guard.check()).status).toBe('low');
    free = 430 * MB;
    now += 1000;
    expect((await guard.check()).status).toBe('ok');
    expect(calls).toEqual([`hold:${DISK_FULL}`, `release:${DISK_FULL}`]);
  });

  it('takes the smallest free space of the watched directories', async () => {
    const { queue } = fakeQueue();
    const guard = new DiskGuard({ dirs: ['/a', '/b'], minFreeBytes: 100, probe: async (d) => (d === '/a' ? 1000 : 50), queue, logger: silentLogger(), now: () => 0 });
    expect(await guard.check()).toMatchObject({ status: 'low', free_bytes: 50, dirs: [{ path: '/a', free_bytes: 1000 }, { path: '/b', free_bytes: 50 }] });
  });

  it('after ENOSPC stays held for a minute even if the probe sees room', async () => {
    let now = 0;
    const { queue, calls } = fakeQueue();
    const guard = new DiskGuard({ dirs: ['/m'], minFreeBytes: 100, probe: async () => 10_000, queue, logger: silentLogger(), now: () => now });
    await guard.check();
    await guard.reportFull('ENOSPC: no space left on device, write');
    expect(guard.state().status).toBe('low');
    now += 30_000;
    expect((await guard.check()).status).toBe('low');
    now += 31_000;
    expect((await guard.check()).status).toBe('ok');
    expect(calls).toEqual(['hold:disk_full', 'release:disk_full']);
  });

  it('is off with a floor of 0', async () => {
    const { queue, calls } = fakeQueue();
    const guard = new DiskGuard({ dirs: ['/m'], minFreeBytes: 0, probe: async () => 0, queue, logger: silentLogger(), now: () => 0 });
    expect((await guard.check()).status).toBe('ok');
    await guard.reportFull('ENOSPC');
    expect(calls).toEqual([]);
  });
});

describe('disk nearly full: the queue holds instead of failing downloads', () => {
  let origin: HlsOrigin;
  beforeAll(async () => {
    await ensureFixtures();
    origin = await startHlsOrigin({ perConnectionBytesPerSec: 60_000 });
  });
  afterAll(() => origin?.close());

  it('a download running when space runs short goes back to the queue and finishes once there is room', async () => {
    let free = 50_000 * MB;
    const app = await makeTestApp({ SEGMENT_CONCURRENCY: '2', MIN_FREE_SPACE_MB: '1000' }, { freeSpace: async () => free, diskCheckIntervalMs: 50 });
    try {
      const server = await app.listen(0, '127.0.0.1');
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const job = app.jobs.create({ url: origin.url('plain/index.m3u8'), title: 'held by the disk' });
      await waitFor(() => (app.jobs.get(job.id).segments_done >= 1 ? true : undefined), 30_000, 'first segment');
      free = 900 * MB;
      await waitFor(() => (app.jobs.get(job.id).status === 'pending' ? true : undefined), 10_000, 'job back in the queue');
      const held = app.jobs.get(job.id);
      expect(held.error).toBeNull();
      expect(held.segments_done).toBeGreaterThanOrEqual(1);
      const stats = await call(base, '/api/stats');
      expect(stats.body.queue_holds).toEqual([expect.objectContaining({ reason: 'disk_full', detail: expect.stringMatching(/below the 1000 MB floor/) })]);
      expect(stats.body.disk).toMatchObject({ status: 'low', min_free_bytes: 1000 * MB });
      const health = await call(base, '/api/health');
      expect(health.status).toBe(200);
      expect(health.body).toMatchObject({ status: 'degraded', checks: { disk: { status: 'degraded' }, queue: { holds: [expect.objectContaining({ reason: 'disk_full' })] } } });
      // Held means held: a scheduling pass (it runs synchronously) starts nothing, fails nothing.
      app.jobs.kick();
      expect(app.jobs.get(job.id).status).toBe('pending');
      expect(app.jobs.stats().active).toBe(0);
      free = 50_000 * MB;
      await waitFor(() => (['completed', 'failed'].includes(app.jobs.get(job.id).status) ? true : undefined), 60_000, 'download to finish');
      expect(app.jobs.get(job.id)).toMatchObject({ status: 'completed', error: null });
      const actions = app.activity.list({ limit: 10, offset: 0, action: 'queue' }).items.map((e) => e.action);
      expect(actions).toEqual(['queue.released', 'queue.held']);
    } finally {
      await app.dispose();
    }
  });

  it('with the floor above the free space at start, new downloads wait in the queue', async () => {
    origin.reset();
    // A floor no test machine has free: the configurable floor simulates a full disk.
    const app = await makeTestApp({ MIN_FREE_SPACE_MB: '10000000' });
    try {
      expect(app.disk.state().status).toBe('low');
      // create() runs the scheduling pass synchronously: had it started the job, it would be
      // active and downloading by now.
      const job = app.jobs.create({ url: origin.url('plain/index.m3u8'), title: 'waits' });
      expect(app.jobs.get(job.id).status).toBe('pending');
      expect(app.jobs.stats().active).toBe(0);
      expect(app.jobs.stats().queue_holds.map((h) => h.reason)).toEqual(['disk_full']);
      expect(origin.requests.count(/index\.m3u8$/)).toBe(0);
    } finally {
      await app.dispose();
    }
  });
});
