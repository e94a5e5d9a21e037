import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { systemClock } from '../../addon/platform/clock.js';
import { silentLogger } from '../../addon/platform/logger.js';
import type { SpeedSettings } from '../../addon/speed/schedule.js';
import { SPEED_HOLD, SpeedService } from '../../addon/speed/speed-service.js';
import { TokenBucket } from '../../addon/speed/token-bucket.js';

const TZ = process.env.TZ;
beforeAll(() => {
  process.env.TZ = 'UTC';
});
afterAll(() => {
  if (TZ === undefined) delete process.env.TZ;
  else process.env.TZ = TZ;
});
afterEach(() => vi.useRealTimers());

function setup(saved: unknown) {
  const holds: string[] = [];
  let stored = saved;
  const bucket = new TokenBucket(systemClock);
  const service = new SpeedService({
    clock: systemClock,
    logger: silentLogger(),
    bucket,
    defaultLimitKbps: 0,
    queue: {
      holdQueue: async (reason, detail) => void holds.push(`hold ${reason}: ${detail}`),
      releaseQueue: async (reason) => void holds.push(`release ${reason}`),
    },
    persistence: { load: () => stored, save: async (s) => void (stored = structuredClone(s)) },
  });
  return { service, bucket, holds, stored: () => stored };
}

const WEEKDAY_EVENING: SpeedSettings = {
  enabled: false,
  limit_kbps: 1024,
  schedule: [
    { name: 'Evening', days: [1, 2, 3, 4, 5], start: '18:00', end: '23:00', action: 'limit', limit_kbps: 2048, enabled: true },
    { name: 'Saturday', days: [6], start: '00:00', end: '24:00', action: 'pause', enabled: true },
  ],
};

describe('speed service', () => {
  it('follows the schedule through a week, with fake timers: limit, no limit, queue hold and release', async () => {
    vi.useFakeTimers({ now: new Date('2026-12-11T17:59:00Z') }); // Friday
    const { service, bucket, holds } = setup(WEEKDAY_EVENING);
    await service.start();
    expect(bucket.bytesPerSecond).toBeNull();
    await vi.advanceTimersByTimeAsync(60_000); // 18:00
    expect(bucket.bytesPerSecond).toBe(2048 * 1024);
    expect(service.current().state.source).toEqual({ kind: 'rule', name: 'Evening', index: 0 });
    await vi.advanceTimersByTimeAsync(5 * 3600_000); // 23:00
    expect(bucket.bytesPerSecond).toBeNull();
    expect(holds).toEqual([]);
    await vi.advanceTimersByTimeAsync(3600_000); // Saturday 00:00
    expect(holds).toEqual(['hold speed_schedule: Sat: pause the queue']);
    await vi.advanceTimersByTimeAsync(24 * 3600_000); // Sunday
    expect(holds).toEqual(['hold speed_schedule: Sat: pause the queue', `release ${SPEED_HOLD}`]);
    await service.stop();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('the manual switch and number apply at once, are saved, and survive a restart', async () => {
    vi.useFakeTimers({ now: new Date('2026-12-07T12:00:00Z') }); // Monday noon, no rule
    const first = setup(undefined);
    await first.service.start();
    expect(first.bucket.bytesPerSecond).toBeNull();
    await first.service.setManual({ enabled: true, limit_kbps: 512 });
    expect(first.bucket.bytesPerSecond).toBe(512 * 1024);
    await first.service.stop();
    const again = setup(first.stored());
    await again.service.start();
    expect(again.bucket.bytesPerSecond).toBe(512 * 1024);
    expect(again.service.current().settings).toMatchObject({ enabled: true, limit_kbps: 512 });
    await again.service.stop();
  });

  it('a new rule that starts sooner wakes the timer', async () => {
    vi.useFakeTimers({ now: new Date('2026-12-07T12:00:00Z') });
    const { service, bucket } = setup(WEEKDAY_EVENING);
    await service.start();
    await service.update({ ...WEEKDAY_EVENING, schedule: [{ name: 'Lunch', days: [1], start: '12:30', end: '13:00', action: 'limit', limit_kbps: 100, enabled: true }] });
    await vi.advanceTimersByTimeAsync(30 * 60_000);
    expect(bucket.bytesPerSecond).toBe(100 * 1024);
    await service.stop();
  });
});
