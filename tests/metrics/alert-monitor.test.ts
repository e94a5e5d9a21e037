import { afterEach, describe, expect, it, vi } from 'vitest';
import type { AlertEvent, AppEvents } from '../../addon/events/app-events.js';
import { EventBus } from '../../addon/events/bus.js';
import { AlertMonitor } from '../../addon/metrics/alert-monitor.js';
import { DEFAULT_ALERT_THRESHOLDS, type AlertSnapshot } from '../../addon/metrics/alert-rules.js';
import { systemClock } from '../../addon/platform/clock.js';
import { silentLogger } from '../../addon/platform/logger.js';

const MIN = 60_000;

function setup(cooldownMs = 30 * MIN) {
  let now = Date.parse('2026-03-10T12:00:00Z');
  let queue = 0;
  const bus = new EventBus<AppEvents>(silentLogger());
  const events: Array<['raised' | 'resolved', AlertEvent]> = [];
  bus.on('alert.raised', (a) => void events.push(['raised', a]));
  bus.on('alert.resolved', (a) => void events.push(['resolved', a]));
  const snapshot = (): AlertSnapshot => ({ now, destinations: [], last_hour: { completed: 0, failed: 0 }, queue_length: queue, running: [] });
  const clock = { now: () => now, sleep: systemClock.sleep };
  const monitor = new AlertMonitor({ bus, clock, logger: silentLogger(), snapshot, thresholds: () => DEFAULT_ALERT_THRESHOLDS, cooldownMs });
  return {
    monitor,
    events,
    setQueue: (n: number) => (queue = n),
    advance: (ms: number) => (now += ms),
  };
}

describe('alert monitor', () => {
  afterEach(() => vi.useRealTimers());

  it('raises once while a condition holds, updates its figures, and resolves once', async () => {
    const t = setup();
    t.setQueue(60);
    await t.monitor.evaluate();
    t.setQueue(70);
    t.advance(MIN);
    await t.monitor.evaluate();
    expect(t.events.map(([k, a]) => [k, a.id])).toEqual([['raised', 'queue_long']]);
    expect(t.monitor.list()).toMatchObject([{ id: 'queue_long', value: 70, resolved_at: null }]);
    t.setQueue(10);
    t.advance(MIN);
    await t.monitor.evaluate();
    await t.monitor.evaluate();
    expect(t.events.map(([k, a]) => [k, a.id])).toEqual([
      ['raised', 'queue_long'],
      ['resolved', 'queue_long'],
    ]);
    expect(t.events[1]![1].resolved_at).toBe('2026-03-10T12:02:00.000Z');
    expect(t.monitor.list()).toEqual([]);
  });

  it('a condition back within the cool-down is not raised again until the cool-down has passed', async () => {
    const t = setup(30 * MIN);
    t.setQueue(60);
    await t.monitor.evaluate();
    t.setQueue(0);
    await t.monitor.evaluate();
    t.setQueue(60);
    t.advance(10 * MIN);
    expect((await t.monitor.evaluate()).raised).toEqual([]);
    t.advance(20 * MIN);
    expect((await t.monitor.evaluate()).raised.map((a) => a.id)).toEqual(['queue_long']);
    expect(t.events.filter(([k]) => k === 'raised')).toHaveLength(2);
  });

  it('runs the rules on its interval and stops cleanly (fake timers)', async () => {
    vi.useFakeTimers();
    const t = setup();
    t.setQueue(60);
    const monitor = new AlertMonitor({
      bus: new EventBus<AppEvents>(silentLogger()),
      clock: systemClock,
      logger: silentLogger(),
      snapshot: () => ({ now: Date.now(), destinations: [], last_hour: { completed: 0, failed: 0 }, queue_length: 60, running: [] }),
      thresholds: () => DEFAULT_ALERT_THRESHOLDS,
      intervalMs: MIN,
    });
    monitor.start();
    await vi.advanceTimersByTimeAsync(MIN - 1);
    expect(monitor.list()).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(monitor.list().map((a) => a.id)).toEqual(['queue_long']);
    await monitor.stop();
    expect(vi.getTimerCount()).toBe(0);
  });
});
