/**
 * Lays a separately recorded audio track (or a subtitle track's cues) onto the video's output
 * timeline. Pure.
 *
 * Both tracks are recorded as pieces, each starting at a known stream position (seconds recorded
 * plus lost before it, recorder.ts). The video's output drops what the video lost (its gaps join
 * end to end, as a discontinuity), so audio is mapped through the video's gaps: the audio heard
 * while the video was lost is cut out, and what the audio alone lost stays a hole of that length
 * (the next audio piece starts where it belongs, never earlier: no drift after an audio outage).
 * Each video part (split_minutes) gets the audio of its own span.
 */
import type { RecordingGap } from './model.js';

export interface TimedPiece {
  file: string;
  /** The part (split_minutes) a video piece belongs to; ignored for audio. */
  chunk: number;
  /** Stream seconds (recorded + lost) before the piece, in its own track's reckoning. */
  at: number;
  seconds: number;
}

export interface AudioPiece extends TimedPiece {
  /** The piece's first timestamp in its own file (seconds), to cut it with inpoint/outpoint; null when unknown. */
  start: number | null;
}

/** One stretch of an audio piece in a part's output. */
export interface AudioEntry {
  file: string;
  /** Seconds into the piece where the stretch begins and ends. */
  from: number;
  to: number;
  /** Output seconds, from the start of the part, where it plays. */
  outAt: number;
  /** The piece's first timestamp, for ffconcat's inpoint/outpoint; null: the piece is used whole. */
  start: number | null;
}

/** Stretches shorter than this (a rounding sliver) are left out. */
const SLIVER = 0.02;

/**
 * `offset`: seconds to add to an audio stream position to get the video's (audio's first piece
 * started `offset` s after the video's first piece). Returns the entries of each part by index.
 */
export function layAudio(video: VideoTimeline, audio: readonly AudioPiece[], offset: number): Map<number, AudioEntry[]> {
  const { gaps, outputOf, parts } = videoMap(video);
  const out = new Map<number, AudioEntry[]>([...parts.keys()].map((k) => [k, []]));
  for (const piece of audio) {
    const a = piece.at + offset;
    for (const [x, y] of outsideGaps(gaps, a, a + piece.seconds)) {
      const o = outputOf(x);
      for (const [k, span] of parts) {
        const s = Math.max(o, span.start);
        const e = Math.min(o + (y - x), span.end);
        if (e - s < SLIVER) continue;
        out.get(k)!.push({ file: piece.file, from: round3(x - a + (s - o)), to: round3(x - a + (e - o)), outAt: round3(s - span.start), start: piece.start });
      }
    }
  }
  for (const entries of out.values()) entries.sort((p, q) => p.outAt - q.outAt);
  return out;
}

export interface VideoTimeline {
  pieces: readonly TimedPiece[];
  gaps: readonly RecordingGap[];
}

export interface TimedCue {
  /** Seconds after the start of the video's first piece, on the stream's clock. */
  start: number;
  end: number;
  text: string;
}

/**
 * Subtitle cues (times on the stream's clock from the video's first piece) to each part's own
 * timeline: cues while the video was lost are dropped, cues after a video gap move up with the
 * video, a cue across a part boundary is cut there.
 */
export function placeCues(video: VideoTimeline, cues: readonly TimedCue[]): Map<number, TimedCue[]> {
  const { gaps, outputOf, parts } = videoMap(video);
  const out = new Map<number, TimedCue[]>([...parts.keys()].map((k) => [k, []]));
  for (const cue of cues) {
    for (const [x, y] of outsideGaps(gaps, cue.start, cue.end)) {
      const o = outputOf(x);
      for (const [k, span] of parts) {
        const s = Math.max(o, span.start);
        const e = Math.min(o + (y - x), span.end);
        if (e - s < SLIVER) continue;
        out.get(k)!.push({ start: round3(s - span.start), end: round3(e - span.start), text: cue.text });
      }
    }
  }
  return out;
}

/** The stretches of [from, to) outside the gaps (sorted, in stream time). */
function outsideGaps(gaps: ReadonlyArray<{ start: number; end: number }>, from: number, to: number): Array<[number, number]> {
  const kept: Array<[number, number]> = [];
  let cursor = from;
  for (const g of gaps) {
    if (g.end <= cursor) continue;
    if (g.start >= to) break;
    if (g.start > cursor) kept.push([cursor, g.start]);
    cursor = Math.max(cursor, g.end);
  }
  if (cursor < to) kept.push([cursor, to]);
  return kept;
}

/** The video's gaps in stream time, stream time to output time, and each part's output span. */
function videoMap(video: VideoTimeline): { gaps: Array<{ start: number; end: number }>; outputOf: (s: number) => number; parts: Map<number, { start: number; end: number }> } {
  // `at_s` is where each gap sits in the output.
  let lostBefore = 0;
  const gaps = video.gaps
    .filter((g) => g.track === undefined)
    .map((g) => {
      const start = g.at_s + lostBefore;
      lostBefore += g.lost_s;
      return { start, end: start + g.lost_s };
    });
  const outputOf = (s: number): number => s - gaps.filter((g) => g.end <= s + 1e-9).reduce((n, g) => n + (g.end - g.start), 0);
  const parts = new Map<number, { start: number; end: number }>();
  let t = 0;
  for (const piece of video.pieces) {
    const span = parts.get(piece.chunk) ?? { start: t, end: t };
    span.end = t + piece.seconds;
    parts.set(piece.chunk, span);
    t += piece.seconds;
  }
  return { gaps, outputOf, parts };
}

/**
 * The ffconcat list of one part's audio, and the seconds its first entry starts after the video
 * (for `-itsoffset`). Each entry's `duration` is the distance to the next one, so a hole stays a
 * hole; inpoint/outpoint cut a piece where its file's timestamps are known.
 */
export function audioConcat(entries: readonly AudioEntry[]): { list: string; offset: number } {
  const quote = (p: string): string => `'${p.replace(/'/g, "'\\''")}'`;
  const lines = ['ffconcat version 1.0'];
  entries.forEach((e, i) => {
    lines.push(`file ${quote(e.file)}`);
    if (e.start !== null) {
      if (e.from > 0) lines.push(`inpoint ${fixed(e.start + e.from)}`);
      lines.push(`outpoint ${fixed(e.start + e.to)}`);
    }
    const next = entries[i + 1];
    lines.push(`duration ${fixed(next ? next.outAt - e.outAt : e.to - e.from)}`);
  });
  lines.push('');
  return { list: lines.join('\n'), offset: entries[0]?.outAt ?? 0 };
}

function fixed(n: number): string {
  return Math.max(0, n).toFixed(6);
}

function round3(n: number): number {
  return Math.round(n * 1000) / 1000;
}
