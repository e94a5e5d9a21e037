import { afterEach, describe, expect, it, vi } from 'vitest';
import { silentLogger } from '../../addon/platform/logger.js';
import { scheduleProblem, SyncScheduler } from '../../addon/sources/scheduler.js';

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
