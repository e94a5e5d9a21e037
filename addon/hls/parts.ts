import type { InitSection, Segment } from './playlist.js';

/**
 * A part is a run of segments that can be appended into one file and still be a valid
 * stream: same period (no discontinuity between them) and same init section. Each part
 * becomes one input of the final remux. Pure.
 */
export interface Part {
  index: number;
  first: number;
  last: number;
  init: InitSection | null;
}

export function initKey(init: InitSection | null): string {
  if (!init) return '';
  return init.byteRange ? `${init.uri}#${init.byteRange.offset}-${init.byteRange.length}` : init.uri;
}

export function planParts(segments: readonly Segment[]): Part[] {
  const parts: Part[] = [];
  let current: Part | null = null;
  let previous: Segment | null = null;
  for (const seg of segments) {
    const startsNew = !current || !previous || seg.period !== previous.period || initKey(seg.init) !== initKey(previous.init);
    if (startsNew) {
      current = { index: parts.length, first: seg.index, last: seg.index, init: seg.init };
      parts.push(current);
    } else {
      current!.last = seg.index;
    }
    previous = seg;
  }
  return parts;
}

/** Start time of every segment, to interleave the fetching of parallel tracks by time. */
export function startTimes(segments: readonly Segment[]): number[] {
  const times: number[] = [];
  let t = 0;
  for (const seg of segments) {
    times.push(t);
    t += seg.duration;
  }
  return times;
}
