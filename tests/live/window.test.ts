import { describe, expect, it } from 'vitest';
import { parsePlaylist, type MediaPlaylist } from '../../addon/hls/playlist.js';
import { isAfter, liveEdgeStart, nextSegments, positionOf, reloadDelayMs } from '../../addon/live/window.js';
import { liveRequestProblem } from '../../addon/live/request.js';

const BASE = 'http://127.0.0.1/live/index.m3u8';

/** A sliding-window playlist: `segs` as [sequence, uri?, discontinuityBefore?]. */
function playlist(opts: { seq: number; disc?: number; count: number; td?: number; dur?: number; pdtStart?: number; discAt?: number[]; prefix?: string; endList?: boolean }): MediaPlaylist {
  const lines = ['#EXTM3U', `#EXT-X-TARGETDURATION:${opts.td ?? 2}`, `#EXT-X-MEDIA-SEQUENCE:${opts.seq}`];
  if (opts.disc !== undefined) lines.push(`#EXT-X-DISCONTINUITY-SEQUENCE:${opts.disc}`);
  for (let i = 0; i < opts.count; i++) {
    if (opts.discAt?.includes(i)) lines.push('#EXT-X-DISCONTINUITY');
    if (opts.pdtStart !== undefined) lines.push(`#EXT-X-PROGRAM-DATE-TIME:${new Date(opts.pdtStart + i * (opts.dur ?? 2) * 1000).toISOString()}`);
    lines.push(`#EXTINF:${opts.dur ?? 2},`, `${opts.prefix ?? 's'}${opts.seq + i}.ts`);
  }
  if (opts.endList) lines.push('#EXT-X-ENDLIST');
  const p = parsePlaylist(lines.join('\n'), BASE);
  if (p.kind !== 'media') throw new Error('not media');
  return p;
}

describe('live window', () => {
  it('parses the live tags: target duration, media and discontinuity sequence, date-times, discontinuity numbers', () => {
    const p = playlist({ seq: 100, disc: 7, count: 4, discAt: [0, 2], pdtStart: Date.UTC(2026, 11, 6, 20) });
    expect(p.targetDuration).toBe(2);
    expect(p.mediaSequence).toBe(100);
    expect(p.discontinuitySequence).toBe(7);
    // RFC 8216 6.2.2: the tags before a segment's URI count, its own included.
    expect(p.segments.map((s) => s.discontinuity)).toEqual([8, 8, 9, 9]);
    expect(p.segments.map((s) => s.period)).toEqual([0, 0, 1, 1]);
    expect(p.segments[1]!.programDateTime).toBe(Date.UTC(2026, 11, 6, 20, 0, 2));
    expect(p.endList).toBe(false);
  });

  it('starts a first load three target durations from the live edge', () => {
    expect(liveEdgeStart(playlist({ seq: 0, count: 6 }))).toBe(3);
    expect(liveEdgeStart(playlist({ seq: 0, count: 6, td: 1, dur: 1 }))).toBe(3);
    expect(liveEdgeStart(playlist({ seq: 0, count: 2 }))).toBe(0);
    expect(nextSegments(playlist({ seq: 10, count: 6 }), null, 0, new Set()).fresh.map((s) => s.sequence)).toEqual([13, 14, 15]);
  });

  const cases: Array<{ name: string; last: [number, number]; next: Parameters<typeof playlist>[0]; wall?: number; fresh: number[]; lost: null | { seconds: number; segments: number | null; restarted: boolean } }> = [
    { name: 'unchanged reload', last: [0, 105], next: { seq: 100, count: 6 }, fresh: [], lost: null },
    { name: 'two new segments', last: [0, 105], next: { seq: 102, count: 6 }, fresh: [106, 107], lost: null },
    { name: 'outage within the window', last: [0, 105], next: { seq: 105, count: 6 }, fresh: [106, 107, 108, 109, 110], lost: null },
    { name: 'outage longer than the window: 4 missing segments of 2 s', last: [0, 105], next: { seq: 110, count: 6 }, fresh: [110, 111, 112, 113, 114, 115], lost: { seconds: 8, segments: 4, restarted: false } },
    {
      name: 'restart with a discontinuity sequence bump: measured by the clock',
      last: [0, 105],
      next: { seq: 0, disc: 1, count: 6, prefix: 'r' },
      wall: 30,
      fresh: [0, 1, 2, 3, 4, 5],
      lost: { seconds: 18, segments: null, restarted: true },
    },
    { name: 'restart without the bump (sloppy origin): new URIs at lower numbers', last: [0, 105], next: { seq: 3, count: 6, prefix: 'x' }, wall: 20, fresh: [6, 7, 8], lost: { seconds: 14, segments: null, restarted: true } },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const before = playlist({ seq: c.last[1] - 5, disc: c.last[0], count: 6 });
      const last = positionOf(before.segments.at(-1)!);
      const recent = new Set(before.segments.map((s) => s.uri));
      const step = nextSegments(playlist(c.next), last, c.wall ?? 0, recent);
      expect(step.fresh.map((s) => s.sequence)).toEqual(c.fresh);
      expect(step.lost).toEqual(c.lost);
    });
  }

  it('measures a gap by program date-times when both sides have them', () => {
    const t = Date.UTC(2026, 11, 6, 20);
    const before = playlist({ seq: 100, count: 6, pdtStart: t });
    const after = playlist({ seq: 109, count: 6, pdtStart: t + 9 * 2000 + 500 });
    const step = nextSegments(after, positionOf(before.segments.at(-1)!), 0, new Set());
    expect(step.lost).toEqual({ seconds: 6.5, segments: 3, restarted: false });
  });

  it('a URI already recorded is never fetched again, whatever its numbers say', () => {
    const before = playlist({ seq: 100, count: 6 });
    const last = positionOf(before.segments.at(-1)!);
    const renumbered = playlist({ seq: 200, count: 6, prefix: 's' });
    const recent = new Set(['http://127.0.0.1/live/s200.ts', 'http://127.0.0.1/live/s201.ts']);
    expect(nextSegments(renumbered, last, 0, recent).fresh.map((s) => s.sequence)).toEqual([202, 203, 204, 205]);
  });

  it('orders by media sequence; the discontinuity sequence decides only when it goes up', () => {
    const seg = (seq: number, disc: number) => ({ ...playlist({ seq, disc, count: 1 }).segments[0]! });
    const last = positionOf(seg(50, 3));
    expect(isAfter(seg(51, 3), last)).toBe(true);
    expect(isAfter(seg(50, 3), last)).toBe(false);
    expect(isAfter(seg(51, 2), last)).toBe(true); // sloppy discontinuity sequence: media sequence wins
    expect(isAfter(seg(0, 4), last)).toBe(true); // restarted origin, as the RFC asks
  });

  it('reloads after the target duration when the playlist changed, half of it when not (RFC 8216 6.3.4)', () => {
    expect(reloadDelayMs({ targetDuration: 6 }, true, 1000, 1500)).toBe(5500);
    expect(reloadDelayMs({ targetDuration: 6 }, false, 1000, 1500)).toBe(2500);
    expect(reloadDelayMs({ targetDuration: 2 }, true, 1000, 9000)).toBe(0);
  });

  it('checks a live request against the clock', () => {
    const now = Date.parse('2026-12-06T20:00:00Z');
    expect(liveRequestProblem({ until: '2026-12-06T19:00:00Z' }, now)).toEqual(['live.until', 'is in the past']);
    expect(liveRequestProblem({ start_at: '2026-12-06T21:00:00Z', until: '2026-12-06T20:30:00Z' }, now)).toEqual(['live.until', 'must be after start_at']);
    expect(liveRequestProblem({ duration_s: 60, until: '2026-12-06T21:00:00Z' }, now)?.[0]).toBe('live.duration_s');
    expect(liveRequestProblem({ start_at: '2026-12-06T21:00:00Z', duration_s: 60 }, now)).toBeNull();
  });
});
