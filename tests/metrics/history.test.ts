import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dayStart, emptyHistory, historyView, pruneHistory, recordOutcome, type Outcome } from '../../addon/metrics/history.js';

// Local days follow the process's time zone; pin one with a non-zero offset so day and hour
// boundaries differ, as they do for most users.
const TZ = process.env.TZ;
beforeAll(() => {
  process.env.TZ = 'America/Sao_Paulo'; // UTC-3, no DST since 2019
});
afterAll(() => {
  if (TZ === undefined) delete process.env.TZ;
  else process.env.TZ = TZ;
});

const at = (iso: string): number => Date.parse(iso);
const outcome = (iso: string, o: Partial<Outcome> = {}): Outcome => ({
  at: at(iso),
  status: 'completed',
  kind: 'hls',
  bytes: 1000,
  duration_s: 10,
  destination: 'default',
  source: null,
  reason: null,
  ...o,
});

describe('history rollups', () => {
  it('counts an outcome in its hour and in its local day, across both boundaries', () => {
    const h = emptyHistory();
    // 02:59 and 03:01 UTC are in different hours AND different local days (midnight in São Paulo is 03:00 UTC).
    recordOutcome(h, outcome('2026-03-10T02:59:00Z'));
    recordOutcome(h, outcome('2026-03-10T03:01:00Z', { status: 'failed', bytes: 0, duration_s: null, reason: 'segment_failed' }));
    recordOutcome(h, outcome('2026-03-10T03:30:00Z', { bytes: 500, duration_s: 5, source: 'src1', kind: 'direct' }));
    expect(h.hourly.map((b) => [b.start, b.completed, b.failed, b.bytes])).toEqual([
      ['2026-03-10T02:00:00.000Z', 1, 0, 1000],
      ['2026-03-10T03:00:00.000Z', 1, 1, 500],
    ]);
    expect(h.daily.map((b) => [b.start, b.completed, b.failed])).toEqual([
      ['2026-03-09T03:00:00.000Z', 1, 0],
      ['2026-03-10T03:00:00.000Z', 1, 1],
    ]);
    const day2 = h.daily[1]!;
    expect(day2.failures).toEqual({ segment_failed: 1 });
    expect(day2.by_source).toEqual({ src1: { completed: 1, failed: 0, bytes: 500, duration_s: 5 } });
    expect(day2.by_kind.direct).toEqual({ completed: 1, failed: 0, bytes: 500, duration_s: 5 });
    expect(day2.by_destination.default).toEqual({ completed: 1, failed: 1, bytes: 500, duration_s: 5 });
  });

  it('keeps buckets in time order when an outcome arrives late', () => {
    const h = emptyHistory();
    recordOutcome(h, outcome('2026-03-10T10:00:00Z'));
    recordOutcome(h, outcome('2026-03-10T08:00:00Z'));
    recordOutcome(h, outcome('2026-03-10T09:00:00Z'));
    expect(h.hourly.map((b) => b.start.slice(11, 13))).toEqual(['08', '09', '10']);
  });

  it('drops buckets older than 90 days and says whether it dropped any', () => {
    const h = emptyHistory();
    const now = at('2026-06-01T12:00:00Z');
    recordOutcome(h, outcome('2026-02-01T12:00:00Z'));
    recordOutcome(h, outcome('2026-05-31T12:00:00Z'));
    expect(pruneHistory(h, now)).toBe(true);
    expect(h.hourly).toHaveLength(1);
    expect(h.daily).toHaveLength(1);
    expect(pruneHistory(h, now)).toBe(false);
  });

  it('a 24h view is 24 continuous hours ending with the current one, with totals, rates and speed', () => {
    const h = emptyHistory();
    const now = at('2026-03-10T12:34:00Z');
    recordOutcome(h, outcome('2026-03-10T12:05:00Z', { bytes: 3000, duration_s: 10 }));
    recordOutcome(h, outcome('2026-03-10T11:05:00Z', { status: 'failed', bytes: 0, duration_s: null, reason: 'http_404' }));
    recordOutcome(h, outcome('2026-03-09T12:05:00Z')); // 24.5 h ago: outside
    const v = historyView(h, '24h', now);
    expect(v.bucket).toBe('hour');
    expect(v.points).toHaveLength(24);
    expect(v.points[23]!.start).toBe('2026-03-10T12:00:00.000Z');
    expect(v.points[0]!.start).toBe('2026-03-09T13:00:00.000Z');
    expect(v.points[23]).toMatchObject({ completed: 1, bytes: 3000, avg_speed: 300, success_rate: 1 });
    expect(v.points[22]).toMatchObject({ completed: 0, failed: 1, success_rate: 0, avg_speed: null });
    expect(v.points[10]).toMatchObject({ completed: 0, failed: 0, success_rate: null });
    expect(v.totals).toMatchObject({ completed: 1, failed: 1, bytes: 3000, success_rate: 0.5 });
    expect(v.failures).toEqual([{ reason: 'http_404', count: 1 }]);
  });

  it('a 90d view is one point per local day, oldest first, ending today', () => {
    const h = emptyHistory();
    const now = at('2026-03-10T12:00:00Z');
    recordOutcome(h, outcome('2026-03-10T04:00:00Z', { source: 'a' }));
    recordOutcome(h, outcome('2026-03-10T05:00:00Z', { source: 'b' }));
    recordOutcome(h, outcome('2026-03-09T05:00:00Z', { source: 'b' }));
    const v = historyView(h, '90d', now);
    expect(v.bucket).toBe('day');
    expect(v.points).toHaveLength(90);
    expect(v.points.at(-1)!.start).toBe(new Date(dayStart(now)).toISOString());
    expect(v.points.at(-1)!.completed).toBe(2);
    expect(v.top_sources.map((s) => [s.id, s.completed])).toEqual([['b', 2], ['a', 1]]);
  });
});
