import { Readable } from 'node:stream';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { HttpClient } from '../../addon/platform/http.js';
import { silentLogger } from '../../addon/platform/logger.js';
import { scheduleProblem, SyncScheduler } from '../../addon/sources/scheduler.js';
import { makeTestApp } from '../helpers/app.js';

describe('scheduleProblem (node-cron validation)', () => {
  it.each([
    ['0 */6 * * *', null],
    ['*/15 * * * *', null],
    ['30 3 * * 1-5', null],
    ['0 4 1 * *', null],
    ['* * * * * *', /five fields/],
    ['0 */6 * *', /five fields/],
    ['61 * * * *', /invalid cron expression/],
    ['0 25 * * *', /invalid cron expression/],
    ['every day', /five fields/],
  ])('%s', (expr, problem) => {
    const p = scheduleProblem(expr);
    if (problem === null) expect(p).toBeNull();
    else expect(p).toMatch(problem);
  });
});

describe('SyncScheduler (fake timers)', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('fires on schedule, never overlaps a run still going, and stop() leaves nothing behind', async () => {
    vi.useFakeTimers({ now: new Date('2026-03-01T10:00:00') });
    const calls: Array<{ id: string; at: number }> = [];
    let running = 0;
    let maxRunning = 0;
    let release: (() => void) | null = null;
    const scheduler = new SyncScheduler(async (id) => {
      calls.push({ id, at: Date.now() });
      running++;
      maxRunning = Math.max(maxRunning, running);
      await new Promise<void>((r) => (release = r));
      running--;
    }, silentLogger());
    scheduler.set('a', '*/5 * * * *');
    scheduler.start();
    expect(scheduler.nextRun('a')?.getTime()).toBe(new Date('2026-03-01T10:05:00').getTime());

    await vi.advanceTimersByTimeAsync(5 * 60_000 + 100);
    expect(calls.map((c) => new Date(c.at).toTimeString().slice(0, 5))).toEqual(['10:05']);
    // The sync takes 12 minutes: the 10:10 and 10:15 ticks find it running and are skipped.
    await vi.advanceTimersByTimeAsync(12 * 60_000);
    expect(calls).toHaveLength(1);
    release!();
    await vi.advanceTimersByTimeAsync(3 * 60_000);
    expect(calls).toHaveLength(2); // 10:20
    expect(maxRunning).toBe(1);
    release!();

    // A second source on its own schedule; removing a schedule stops its ticks.
    scheduler.set('b', '0 * * * *');
    scheduler.set('a', null);
    expect(scheduler.nextRun('a')).toBeNull();
    await vi.advanceTimersByTimeAsync(60 * 60_000);
    expect(calls.slice(2).map((c) => c.id)).toEqual(['b']);
    release!();

    scheduler.stop();
    const before = calls.length;
    await vi.advanceTimersByTimeAsync(24 * 60 * 60_000);
    expect(calls.length).toBe(before);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('changing a schedule replaces the task; the same expression keeps it', async () => {
    vi.useFakeTimers({ now: new Date('2026-03-01T10:00:00') });
    const calls: number[] = [];
    const scheduler = new SyncScheduler(async () => void calls.push(Date.now()), silentLogger());
    scheduler.start();
    scheduler.set('a', '0 12 * * *');
    scheduler.set('a', '0 12 * * *');
    scheduler.set('a', '30 10 * * *');
    await vi.advanceTimersByTimeAsync(3 * 60 * 60_000);
    expect(calls.map((t) => new Date(t).toTimeString().slice(0, 5))).toEqual(['10:30']);
    scheduler.stop();
  });
});

describe('SourceService on a cron schedule (fake timers, whole app)', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('syncs when the schedule fires, skips ticks while a sync is still running, and stops cleanly', async () => {
    let hold: Promise<void> | null = null;
    let requests = 0;
    const list = Buffer.from('#EXTM3U\n#EXTINF:-1 group-title="Filmes",Bacurau (2019)\nhttp://p.example/movie/u/p/1.mp4\n');
    const http: HttpClient = {
      async get(req) {
        requests++;
        if (hold) await hold;
        return { status: 200, headers: {}, url: req.url, body: Readable.from([list]) };
      },
      close() {},
    };
    const app = await makeTestApp({}, { http });
    try {
      vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'], now: new Date('2026-03-01T10:00:00') });
      const source = await app.sources.create('m3u', { name: 'Agendada', url: 'http://p.example/list.m3u', schedule: '*/10 * * * *' });
      expect(app.sources.view(source).next_sync_at).toBe(new Date('2026-03-01T10:10:00').toISOString());
      let release!: () => void;
      hold = new Promise<void>((r) => (release = r));

      await vi.advanceTimersByTimeAsync(10 * 60_000 + 100);
      await vi.waitFor(() => expect(requests).toBe(1));
      expect(app.sources.isSyncing(source.id)).toBe(true);
      // Three more ticks while the provider is stuck: none starts a second sync.
      await vi.advanceTimersByTimeAsync(30 * 60_000);
      expect(requests).toBe(1);
      release();
      hold = null;
      await vi.waitFor(() => expect(app.sources.syncs(source.id, { limit: 10, offset: 0 }).items[0]?.status).toBe('completed'));
      expect(app.sources.syncs(source.id, { limit: 10, offset: 0 }).items[0]).toMatchObject({ trigger: 'schedule', counts: { new: 1 } });

      await vi.advanceTimersByTimeAsync(10 * 60_000);
      await vi.waitFor(() => expect(app.sources.syncs(source.id, { limit: 10, offset: 0 }).total).toBe(2));
      expect(requests).toBe(2);

      // Disabled: no more syncs.
      await app.sources.update(source.id, { enabled: false });
      await vi.advanceTimersByTimeAsync(60 * 60_000);
      expect(requests).toBe(2);
    } finally {
      vi.useRealTimers();
      await app.dispose();
    }
  });
});
