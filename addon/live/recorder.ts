import { mkdir, open, readdir, readFile, truncate, unlink, type FileHandle } from 'node:fs/promises';
import { fetchSegmentFile } from '../hls/segment-request.js';
import path from 'node:path';
import { AppError, errorMessage } from '../errors.js';
import { redactUrl } from '../platform/http.js';
import { limitedRequest, type DownloadContext } from '../download/context.js';
import { fetchSmall } from '../download/fetch-to-file.js';
import { Journal } from '../download/journal.js';
import { KeyCache } from '../download/keys.js';
import { classifyError } from '../download/retry.js';
import { appendSegment, appendText, fetchPlaylist } from '../hls/hls-download.js';
import { InitCache } from '../hls/init-cache.js';
import { checkFetchedSegment, SizePattern, TruncatedSegmentError } from '../hls/segment-check.js';
import { initKey } from '../hls/parts.js';
import { parsePlaylist, type MediaPlaylist, type Segment } from '../hls/playlist.js';
import type { RecordingEnd, RecordingGap, RecordingStatus } from './model.js';
import { isFinished, nextSegments, positionOf, reloadDelayMs, type StreamPosition } from './window.js';

/** When to stop, besides the end of the stream and the user's Stop. */
export interface RecordingLimits {
  /** Stream seconds (recorded + lost) to cover; null: until something else stops it. */
  durationS: number | null;
  /** Wall-clock end, ms since the epoch; null: none. */
  untilMs: number | null;
  /** max_recording_minutes: wall-clock length of the whole recording, seconds. */
  capS: number;
  /** split_minutes in seconds: a new file every this many recorded seconds; null: one file. */
  splitS: number | null;
  /** live_outage_tolerance_s: how long reload and segment errors (or a frozen playlist) are ridden out. */
  outageToleranceS: number;
}

export interface RecorderHooks {
  /** The first segment is on disk (once per recording, not again after a restart). */
  started(status: RecordingStatus): void;
  /** After every segment, gap and reload error. */
  progress(status: RecordingStatus): void;
}

/** Consecutive pieces that make one output file (all of them without split_minutes). */
export interface RecordedChunk {
  index: number;
  /** Piece files in order: a new one at every discontinuity, init change and gap. */
  pieces: string[];
  /** Wall-clock time its first segment was recorded, ms. */
  startedAt: number;
  seconds: number;
}

/** Where a piece sits in the stream: what a separate audio track is laid against (audio-timeline.ts). */
export interface PieceTime {
  file: string;
  chunk: number;
  /** Stream seconds (recorded + lost) before its first segment. */
  at: number;
  seconds: number;
  /** PROGRAM-DATE-TIME of its first segment, ms; null without one. */
  pdt: number | null;
}

export interface RecordingOutcome {
  chunks: RecordedChunk[];
  /** Every piece with content, in order. */
  timeline: PieceTime[];
  status: RecordingStatus;
  reason: RecordingEnd;
}

type Entry =
  | { k: 'p'; p: number; c: number; w: number; i: string }
  | { k: 's'; p: number; d: number; q: number; u: string; dur: number; size: number; t: number; w: number; e: number | null }
  | { k: 'g'; at: number; lost: number };

const JOURNAL = 'live-journal.log';
const RECENT_URIS = 200;
const COPY_BUFFER_BYTES = 1024 * 1024;
/**
 * A segment refused (404/403), or still cut short after its retries, this many times in a row
 * with later segments listed, is given up as a gap.
 */
const SEGMENT_REFUSALS = 3;
/** A reload that fails is retried after this, or the target duration when shorter. */
const ERROR_RELOAD_MS = 2000;

export function piecePath(workDir: string, p: number, ext: string): string {
  return path.join(workDir, `piece-${p}.${ext}`);
}

function round3(n: number): number {
  return Math.round(n * 1000) / 1000;
}

/**
 * Records a live media playlist into piece files in `ctx.workDir`, as it arrives, until the
 * stream ends, a limit is reached, `stop` fires (the user's Stop: keep what is recorded) or the
 * origin stays down longer than the outage tolerance. `ctx.signal` aborting (cancel, pause,
 * shutdown) throws; the journal then lets the next run continue where this one was.
 *
 * Reloads follow RFC 8216 6.3.4; each segment is fetched once, identified by its media sequence
 * (and discontinuity sequence); requests go through the same connection limits, retries, keys
 * and init sections as a VOD download. What rolled out of the window during an outage is a gap:
 * a new piece (a discontinuity in the output) and an entry in `status.gaps`.
 */
export async function recordLive(
  ctx: DownloadContext,
  media: { url: string; text?: string },
  limits: RecordingLimits,
  stop: AbortSignal,
  hooks: RecorderHooks,
  /** `text`: a WebVTT subtitle playlist; its segments are appended as documents (a .vtt piece). */
  options: { text?: boolean } = {},
): Promise<RecordingOutcome> {
  const mediaUrl = media.url;
  // The playlist the caller just loaded (to pick the variant) is the first load: no second request.
  let firstText = media.text ?? null;
  const { workDir, clock, logger } = ctx;
  await mkdir(path.join(workDir, 'seg'), { recursive: true });
  const journal = new Journal<Entry>(path.join(workDir, JOURNAL));
  const entries = await journal.read();

  // --- Restore what an earlier run recorded (after a crash, a restart or a pause).
  const pieces: Array<{ p: number; c: number; w: number; i: string; size: number; seconds: number; ext: string | null; at: number; pdt: number | null }> = [];
  const gaps: RecordingGap[] = [];
  let last: StreamPosition | null = null;
  let lastWall = 0;
  let recorded = 0;
  const recent: string[] = [];
  for (const e of entries) {
    // A piece starts where the stream stood when it was opened: what was recorded and lost before.
    if (e.k === 'p') pieces.push({ p: e.p, c: e.c, w: e.w, i: e.i, size: 0, seconds: 0, ext: null, at: round3(recorded + gaps.reduce((n, g) => n + g.lost_s, 0)), pdt: null });
    else if (e.k === 'g') gaps.push({ at_s: e.at, lost_s: e.lost });
    else {
      const piece = pieces.find((x) => x.p === e.p);
      if (!piece) continue;
      if (piece.seconds === 0 && e.e !== null) piece.pdt = e.e - e.dur * 1000;
      piece.size = e.size;
      piece.seconds += e.dur;
      recorded = e.t;
      lastWall = e.w;
      last = { discontinuity: e.d, sequence: e.q, uri: e.u, duration: e.dur, endsAt: e.e };
      recent.push(e.u);
    }
  }
  const files = new Set(await readdir(workDir));
  for (const piece of pieces) {
    piece.ext = ['ts', 'mp4', 'vtt'].find((x) => files.has(`piece-${piece.p}.${x}`)) ?? null;
    if (piece.ext) await truncate(piecePath(workDir, piece.p, piece.ext), piece.size);
  }
  for (const name of await readdir(path.join(workDir, 'seg'))) await unlink(path.join(workDir, 'seg', name)).catch(() => undefined);
  const kept = pieces.filter((x) => x.size > 0);
  const resumed = last !== null;
  let startedAt = kept[0]?.w ?? null;

  const status = (): RecordingStatus => ({
    recorded_s: round3(recorded),
    lost_s: round3(gaps.reduce((n, g) => n + g.lost_s, 0)),
    gaps: gaps.map((g) => ({ ...g })),
    target_s: targetSeconds(limits, startedAt ?? clock.now()),
    bitrate: Math.round(bitrate()),
    started_at: startedAt === null ? null : new Date(startedAt).toISOString(),
    ended: null,
    warning: null,
  });
  const recentSizes: Array<{ bytes: number; seconds: number }> = [];
  const bitrate = (): number => {
    const bytes = recentSizes.reduce((n, s) => n + s.bytes, 0);
    const seconds = recentSizes.reduce((n, s) => n + s.seconds, 0);
    return seconds > 0 ? (bytes * 8) / seconds : 0;
  };

  // --- Fetching, shared with VOD: connection limits and retries (limitedRequest), keys, init sections.
  const keys = new KeyCache(async (uri) => (await limitedRequest(ctx, uri, 'key', (s) => fetchSmall(ctx.http, uri, ctx.headers, s, 64 * 1024))).body);
  const inits = new InitCache(ctx);
  // The same whole-segment checks as VOD (hls/segment-check.ts): a cut, empty or HTML body is
  // fetched again, never appended.
  const sizes = new SizePattern();
  const copyBuffer = Buffer.allocUnsafe(COPY_BUFFER_BYTES);

  let current = kept.at(-1) ?? null;
  let handle: FileHandle | null = null;
  let forceNewPiece = false;
  let lastDiscontinuity = last?.discontinuity ?? null;
  const closeHandle = async (): Promise<void> => {
    await handle?.close();
    handle = null;
  };
  const newPiece = async (chunk: number, ext: string, init: Segment['init'], pdt: number | null): Promise<void> => {
    await closeHandle();
    const p = (pieces.at(-1)?.p ?? -1) + 1;
    const w = clock.now();
    const at = round3(recorded + gaps.reduce((n, g) => n + g.lost_s, 0));
    current = { p, c: chunk, w, i: initKey(init), size: 0, seconds: 0, ext, at, pdt };
    pieces.push(current);
    handle = await open(piecePath(workDir, p, ext), 'a');
    if (init) {
      const head = await readFile(await inits.file(init));
      await handle.write(head);
      current.size += head.length;
    }
    await journal.append({ k: 'p', p, c: chunk, w, i: current.i });
  };
  const chunkOf = (seconds: number): number => (limits.splitS ? Math.floor(seconds / limits.splitS + 1e-9) : 0);

  const fetchSegment = async (seg: Segment): Promise<void> => {
    const dest = path.join(workDir, 'seg', String(seg.sequence));
    const key = seg.key ? await keys.get(seg.key.uri) : null;
    let received = 0;
    const label = `live segment ${seg.sequence} (${redactUrl(seg.uri)})`;
    await limitedRequest(ctx, seg.uri, label, async (s) => {
      const got = await fetchSegmentFile(ctx, seg, key, dest, s, (n) => {
        received += n;
        ctx.progress.bytes(n);
      });
      await checkFetchedSegment(dest, seg, key !== null, got, sizes, seg.sequence, label);
    });
    const ext = options.text ? 'vtt' : seg.init ? 'mp4' : 'ts';
    const chunk = chunkOf(recorded);
    const continuing =
      !forceNewPiece && current !== null && current.c === chunk && current.ext === ext && seg.discontinuity === lastDiscontinuity && initKey(seg.init) === current.i;
    if (!continuing) {
      await newPiece(chunk, ext, seg.init, seg.programDateTime);
    } else if (handle === null) {
      // Continuing the piece an earlier run left (a restart that lost nothing).
      handle = await open(piecePath(workDir, current!.p, current!.ext!), 'a');
    }
    forceNewPiece = false;
    const piece = current!;
    piece.size += options.text ? await appendText(dest, handle!, () => `live subtitle segment ${seg.sequence}`, 0) : await appendSegment(dest, handle!, copyBuffer, () => `live segment ${seg.sequence}`);
    await unlink(dest);
    piece.seconds += seg.duration;
    recorded += seg.duration;
    last = positionOf(seg);
    lastDiscontinuity = seg.discontinuity;
    lastWall = clock.now();
    startedAt ??= piece.w;
    recent.push(seg.uri);
    if (recent.length > RECENT_URIS) recent.splice(0, recent.length - RECENT_URIS);
    recentSizes.push({ bytes: received, seconds: seg.duration });
    if (recentSizes.length > 10) recentSizes.shift();
    await journal.append({ k: 's', p: piece.p, d: seg.discontinuity, q: seg.sequence, u: seg.uri, dur: seg.duration, size: piece.size, t: round3(recorded), w: lastWall, e: last.endsAt });
  };

  let announced = resumed;
  const refused = new Map<string, number>();
  const runStart = clock.now();
  let lastProgressAt = runStart;
  let lastError: string | null = null;
  let reason: RecordingEnd | null = null;
  let playlist: MediaPlaylist | null = null;

  const finished = (): RecordingEnd | null => {
    if (stop.aborted) return 'stopped';
    const covered = recorded + gaps.reduce((n, g) => n + g.lost_s, 0);
    if (limits.durationS !== null && covered >= limits.durationS) return 'duration';
    const begun = startedAt ?? runStart;
    if (clock.now() - begun >= limits.capS * 1000 || covered >= limits.capS) return 'cap';
    return null;
  };

  try {
    while (reason === null) {
      reason = finished();
      if (reason) break;
      const loadStart = clock.now();
      let changed = false;
      try {
        const loaded = firstText !== null ? { playlist: parsePlaylist(firstText, mediaUrl) } : await fetchPlaylist(ctx, mediaUrl, 'live playlist');
        firstText = null;
        if (loaded.playlist.kind !== 'media') throw new AppError('bad_playlist', 'the live playlist turned into a master playlist');
        playlist = loaded.playlist;
        const wallGap = last === null ? 0 : (clock.now() - lastWall) / 1000;
        const step = nextSegments(playlist, last, wallGap, new Set(recent));
        if (step.lost) {
          const gap = { at_s: round3(recorded), lost_s: step.lost.seconds };
          gaps.push(gap);
          await journal.append({ k: 'g', at: gap.at_s, lost: gap.lost_s });
          forceNewPiece = true;
          logger.warn({ lostSeconds: gap.lost_s, atSeconds: gap.at_s, segments: step.lost.segments, restarted: step.lost.restarted }, 'live recording: segments rolled out of the window before they could be fetched; the gap is marked');
          hooks.progress(status());
        }
        for (let i = 0; i < step.fresh.length; i++) {
          const seg = step.fresh[i]!;
          if (ctx.signal.aborted) throw ctx.signal.reason;
          if (stop.aborted) break;
          try {
            await fetchSegment(seg);
            refused.delete(seg.uri);
          } catch (err) {
            // A segment the origin refuses for good (404, 403) while later ones exist would hold the
            // recording back until the window drops it or the tolerance runs out: after a few
            // reloads it is given up, as a marked gap of its duration. Anything else is an outage.
            const later = i < step.fresh.length - 1;
            const tries = (refused.get(seg.uri) ?? 0) + 1;
            const truncated = err instanceof TruncatedSegmentError;
            if (!later || (classifyError(err, ctx.signal) !== 'fatal' && !truncated) || err instanceof AppError) throw err;
            refused.set(seg.uri, tries);
            if (tries < SEGMENT_REFUSALS) throw err;
            refused.delete(seg.uri);
            const gap = { at_s: round3(recorded), lost_s: round3(seg.duration) };
            gaps.push(gap);
            await journal.append({ k: 'g', at: gap.at_s, lost: gap.lost_s });
            last = positionOf(seg);
            recent.push(seg.uri);
            forceNewPiece = true;
            logger.warn(
              { sequence: seg.sequence, err: errorMessage(err), tries },
              truncated
                ? 'live recording: a segment keeps arriving cut short (or as an error page) while later ones play; its bytes are not used, it is skipped and marked as a gap'
                : 'live recording: the origin keeps refusing a segment while later ones play; it is skipped and marked as a gap',
            );
            hooks.progress(status());
            continue;
          }
          changed = true;
          lastProgressAt = clock.now();
          lastError = null;
          if (!announced) {
            announced = true;
            hooks.started(status());
          }
          hooks.progress(status());
          reason = finished();
          if (reason) break;
        }
        if (reason) break;
        if (isFinished(playlist)) {
          reason = 'endlist';
          break;
        }
      } catch (err) {
        if (ctx.signal.aborted) throw ctx.signal.reason;
        if (err instanceof AppError && err.httpStatus === 422 && last === null) throw err; // DRM, not a playlist: no point waiting
        lastError = errorMessage(err);
        logger.warn({ err: lastError, errorClass: classifyError(err) }, 'live recording: reload or segment failed; retrying while the outage is tolerated');
        hooks.progress(status());
      }
      if (stop.aborted) {
        reason = 'stopped';
        break;
      }
      if (limits.untilMs !== null && loadStart >= limits.untilMs) {
        reason = 'until';
        break;
      }
      const now = clock.now();
      if (now - lastProgressAt > limits.outageToleranceS * 1000) {
        reason = 'outage';
        break;
      }
      let wait = playlist && lastError === null ? reloadDelayMs(playlist, changed, loadStart, now) : Math.max(0, loadStart + Math.min(ERROR_RELOAD_MS, (playlist?.targetDuration ?? 2) * 1000) - now);
      if (limits.untilMs !== null) wait = Math.min(wait, Math.max(0, limits.untilMs - now));
      try {
        await clock.sleep(wait, AbortSignal.any([ctx.signal, stop]));
      } catch {
        if (ctx.signal.aborted) throw ctx.signal.reason;
      }
    }
  } finally {
    await closeHandle();
  }

  const end = reason ?? 'stopped';
  const final = status();
  final.ended = end;
  if (recorded <= 0) {
    const why = end === 'outage' ? `the stream could not be loaded for ${limits.outageToleranceS} s${lastError ? ` (${lastError})` : ''}` : 'nothing was recorded before it ended';
    throw new AppError(end === 'outage' ? 'live_outage' : 'nothing_recorded', `the recording has no content: ${why}`);
  }
  const warnings: string[] = [];
  if (end === 'outage') warnings.push(`the origin was unreachable or frozen for more than ${limits.outageToleranceS} s${lastError ? ` (last error: ${lastError})` : ''}; what was recorded is filed`);
  if (end === 'cap') warnings.push(`stopped at max_recording_minutes (${Number((limits.capS / 60).toFixed(2))} min)`);
  if (final.lost_s > 0) warnings.push(`${final.lost_s} s of the stream were lost in ${gaps.length} gap${gaps.length === 1 ? '' : 's'}`);
  final.warning = warnings.length > 0 ? warnings.join('; ') : null;

  const chunks: RecordedChunk[] = [];
  const timeline: PieceTime[] = [];
  for (const piece of pieces) {
    if (piece.size <= 0 || !piece.ext || piece.seconds <= 0) continue;
    timeline.push({ file: piecePath(workDir, piece.p, piece.ext), chunk: piece.c, at: piece.at, seconds: round3(piece.seconds), pdt: piece.pdt });
    let chunk = chunks.find((c) => c.index === piece.c);
    if (!chunk) {
      chunk = { index: piece.c, pieces: [], startedAt: piece.w, seconds: 0 };
      chunks.push(chunk);
    }
    chunk.pieces.push(piecePath(workDir, piece.p, piece.ext));
    chunk.seconds = round3(chunk.seconds + piece.seconds);
  }
  logger.info({ reason: end, recordedSeconds: final.recorded_s, lostSeconds: final.lost_s, gaps: gaps.length, files: chunks.length }, 'live recording ended');
  return { chunks, timeline, status: final, reason: end };
}

/** The seconds a recording aims for: its duration, the time until `until`, or the cap. */
export function targetSeconds(limits: RecordingLimits, startedAt: number): number | null {
  const candidates = [limits.capS];
  if (limits.durationS !== null) candidates.push(limits.durationS);
  if (limits.untilMs !== null) candidates.push(Math.max(0, (limits.untilMs - startedAt) / 1000));
  return round3(Math.min(...candidates));
}
