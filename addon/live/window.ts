import type { MediaPlaylist, Segment } from '../hls/playlist.js';

/**
 * The sliding window of a live media playlist, as a recorder sees it between two reloads. Pure:
 * which segments are new, what was lost in between, and when to reload (RFC 8216 6.3.4).
 */

/** Where a recording stands in the stream: the last segment it appended. */
export interface StreamPosition {
  /** Discontinuity sequence number of the segment (EXT-X-DISCONTINUITY-SEQUENCE + tags before it). */
  discontinuity: number;
  /** Media sequence number. */
  sequence: number;
  uri: string;
  duration: number;
  /** Program date-time of the segment's end, ms since the epoch; null without PROGRAM-DATE-TIME. */
  endsAt: number | null;
}

export function positionOf(seg: Segment): StreamPosition {
  return {
    discontinuity: seg.discontinuity,
    sequence: seg.sequence,
    uri: seg.uri,
    duration: seg.duration,
    endsAt: seg.programDateTime === null ? null : seg.programDateTime + seg.duration * 1000,
  };
}

/**
 * Segments are ordered by media sequence number, which never goes down in a conforming stream.
 * An origin that restarts its numbering bumps the discontinuity sequence (RFC 8216 6.2.2), so a
 * higher discontinuity number with a lower media sequence is new as well. Servers are sloppy with
 * the discontinuity sequence, so it only decides when the media sequence went backwards.
 */
export function isAfter(seg: Segment, last: StreamPosition): boolean {
  return seg.sequence > last.sequence || seg.discontinuity > last.discontinuity;
}

export interface WindowStep {
  /** Segments to fetch, in order. */
  fresh: Segment[];
  /**
   * Content between the last position and the first fresh segment that is no longer in the
   * window (an outage longer than the window, or a restarted origin); null when none was lost.
   */
  lost: { seconds: number; segments: number | null; restarted: boolean } | null;
}

/**
 * The hold-back a live client starts behind the end (RFC 8216 6.3.3: not less than three target
 * durations from the end): the start index of the first segment to record on a first load.
 */
export function liveEdgeStart(playlist: MediaPlaylist): number {
  const segs = playlist.segments;
  if (segs.length === 0) return 0;
  const holdBack = 3 * playlist.targetDuration;
  let covered = 0;
  let i = segs.length;
  while (i > 0 && covered < holdBack - 1e-6) {
    i--;
    covered += segs[i]!.duration;
  }
  return Math.min(i, Math.max(0, segs.length - 3));
}

/**
 * What to fetch after a reload. `last` null: a first load, starting at the live edge.
 * `wallGapSeconds` is the real time since the last new segment arrived: the estimate of what a
 * restarted origin cost when neither sequence numbers nor date-times can say. `recentUris` tells
 * a stale playlist (already seen) from an origin that restarted with lower numbers.
 */
export function nextSegments(playlist: MediaPlaylist, last: StreamPosition | null, wallGapSeconds: number, recentUris: ReadonlySet<string>): WindowStep {
  const segs = playlist.segments;
  if (last === null) return { fresh: segs.slice(liveEdgeStart(playlist)), lost: null };
  // A URI fetched in the last few windows is never fetched again, whatever its numbers say.
  let fresh = segs.filter((s) => isAfter(s, last) && !recentUris.has(s.uri));
  let restarted = false;
  if (fresh.length === 0 && segs.length > 0 && !segs.some((s) => recentUris.has(s.uri)) && !segs.some((s) => s.sequence === last.sequence && s.discontinuity === last.discontinuity)) {
    // Every number is behind us and nothing is familiar: the origin restarted its numbering
    // without the discontinuity sequence the RFC asks for. Pick up at its live edge.
    restarted = true;
    fresh = segs.slice(liveEdgeStart(playlist));
  }
  if (fresh.length === 0) return { fresh, lost: null };
  const first = fresh[0]!;
  if (!restarted && first.sequence === last.sequence + 1) return { fresh, lost: null };
  // Something is missing. Date-times measure it best, then the count of missing numbers, then the clock.
  const freshSeconds = fresh.reduce((n, s) => n + s.duration, 0);
  let seconds: number;
  let segments: number | null = null;
  if (last.endsAt !== null && first.programDateTime !== null && first.programDateTime >= last.endsAt) {
    seconds = (first.programDateTime - last.endsAt) / 1000;
    if (!restarted && first.sequence > last.sequence) segments = first.sequence - last.sequence - 1;
  } else if (!restarted && first.sequence > last.sequence + 1) {
    segments = first.sequence - last.sequence - 1;
    seconds = segments * averageDuration(segs, last.duration);
  } else {
    restarted = true;
    seconds = Math.max(0, wallGapSeconds - freshSeconds);
  }
  if (seconds <= 0 && segments === 0) return { fresh, lost: null };
  return { fresh, lost: { seconds: round3(seconds), segments, restarted } };
}

function averageDuration(segs: readonly Segment[], fallback: number): number {
  if (segs.length === 0) return fallback;
  return segs.reduce((n, s) => n + s.duration, 0) / segs.length;
}

function round3(n: number): number {
  return Math.round(n * 1000) / 1000;
}

/**
 * RFC 8216 6.3.4: after a load that changed the playlist, wait at least the target duration
 * before the next; after an unchanged one, half of it. Counted from when the last load began.
 */
export function reloadDelayMs(playlist: Pick<MediaPlaylist, 'targetDuration'>, changed: boolean, loadStartedAt: number, now: number): number {
  const interval = (changed ? playlist.targetDuration : playlist.targetDuration / 2) * 1000;
  return Math.max(0, loadStartedAt + interval - now);
}

/** The playlist can only grow from here on: a VOD, or an EVENT that has ended. */
export function isFinished(playlist: Pick<MediaPlaylist, 'endList' | 'playlistType'>): boolean {
  return playlist.endList || playlist.playlistType === 'VOD';
}
