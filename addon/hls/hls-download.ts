import { setMaxListeners } from 'node:events';
import { fetchSegmentFile } from './segment-request.js';
import { mkdir, open, readFile, readdir, rename, stat, truncate, unlink, writeFile, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { AppError, errorMessage } from '../errors.js';
import { HttpStatusError, redactUrl } from '../platform/http.js';
import { limitedRequest, type DownloadContext } from '../download/context.js';
import { fetchSmall, MemoryBudget } from '../download/fetch-to-file.js';
import { Journal } from '../download/journal.js';
import { KeyCache } from '../download/keys.js';
import { classifyError } from '../download/retry.js';
import { checkFetchedSegment, SizePattern } from './segment-check.js';
import { sniff } from '../download/sniff.js';
import { InitCache } from './init-cache.js';
import { initKey, planParts, startTimes, type Part } from './parts.js';
import type { TrackMeta } from '../tracks/track-meta.js';
import { withOffsetHeader } from '../tracks/webvtt.js';
import { chooseAudio, chooseSubtitles, type AudioLanguages, type SubtitleLanguages } from '../tracks/selection.js';
import { audioGroupOf, normalisePlaylistText, parsePlaylist, pickVariant, substituteVariables, subtitleGroupOf, type InitSection, type MediaPlaylist, type Playlist } from './playlist.js';

export type { TrackKind, TrackMeta } from '../tracks/track-meta.js';

export interface PlanTrack extends Partial<TrackMeta> {
  /** The main track's own audio when the stream names it as a rendition (an EXT-X-MEDIA without URI). */
  mainAudio?: { language: string | null; title: string | null; isDefault: boolean };
  /** 'main', 'audio', 'audio-2', 'subtitles-1'...: names work files and log lines. */
  name: string;
  url: string;
  /** The media playlist as fetched (HLS). */
  text?: string;
  /** The segment list (DASH): the engine downloads it like an HLS media playlist. */
  media?: MediaPlaylist;
  /** Subtitles: seconds to add to the cue times of each segment (DASH: its Period's start). */
  timeOffsets?: number[];
}

/** What a job downloads, fixed at its first start so a resume fetches exactly the same segments. */
export interface HlsPlan {
  version: 1;
  /** Which manifest the plan came from; absent on plans written before DASH (HLS). */
  source?: 'hls' | 'dash';
  tracks: PlanTrack[];
  variant: { height: number | null; bandwidth: number } | null;
  /** The media playlist has no EXT-X-ENDLIST: a live stream, recorded by addon/live/ (only asked-for with `allowLive`). */
  live?: boolean;
}

export interface HlsTrackResult extends TrackMeta {
  name: string;
  mainAudio?: PlanTrack['mainAudio'];
  /** Part files in order; more than one when the stream has discontinuities. */
  files: string[];
}

/** Plans written before tracks had a kind: 'main' is the video, anything else audio. */
export function trackMeta(track: PlanTrack): TrackMeta {
  return {
    kind: track.kind ?? (track.name === 'main' ? 'video' : 'audio'),
    language: track.language ?? null,
    title: track.title ?? null,
    isDefault: track.isDefault ?? false,
    forced: track.forced ?? false,
  };
}

export interface HlsResult {
  tracks: HlsTrackResult[];
  duration: number;
  /** Seconds the playlist itself declares missing (EXT-X-GAP): skipped, never fetched. */
  gapSeconds: number;
}

/** Where the plan came from, so expired signed URLs can be refreshed from the top. */
export interface HlsSource {
  /** The URL the job was created with (the master playlist, when there is one). */
  url: string;
  quality: string;
}

/** Statuses an expired signed URL (a CDN token) answers with. */
const EXPIRED_STATUSES = new Set([403, 410]);
/** Playlist refreshes one track may make; a token that expires every few segments still gets through. */
const MAX_REFRESHES = 100;

interface JournalEntry {
  t: number;
  i: number;
  p: number;
  size: number;
}

const PLAN_FILE = 'plan.json';
const COPY_BUFFER_BYTES = 1024 * 1024;
/**
 * Segment bodies a job may hold in memory on their way to the part file (spilling to a segment
 * file past it): a body that arrives in order goes from memory straight into the part file, so
 * each byte is written once. ten 2.4 MB segments fit.
 */
export const SEGMENT_MEMORY_BYTES = 32 * 1024 * 1024;

/**
 * Told how the part files grow, for a remux that reads them while the download runs
 * (jobs/streamed-remux.ts). Sizes only ever count journalled appends.
 */
export interface AppendObserver {
  /** Before any fetch: every track's part files and the bytes already in them (a resume). */
  start(tracks: ReadonlyArray<{ name: string; kind: TrackMeta['kind']; parts: ReadonlyArray<{ file: string; size: number }> }>): void;
  /** Part `p` of track `t` now holds `size` bytes. */
  appended(t: number, p: number, size: number): void;
}

/** A segment body still in memory into its part file: the same sniffing as appendSegment. */
async function appendBody(body: Buffer, out: FileHandle, describe: () => string): Promise<number> {
  const sniffed = sniff(body.subarray(0, Math.min(body.length, 64 * 1024)));
  if (sniffed.kind === 'text' || sniffed.kind === 'playlist') {
    throw new AppError('not_media', `${describe()} is not media: the server sent text (an error page?)`);
  }
  const media = body.subarray(sniffed.skip);
  let done = 0;
  while (done < media.length) done += (await out.write(media, done, media.length - done)).bytesWritten;
  return media.length;
}

/**
 * Appends a fetched segment to its part file through a reused buffer, dropping any disguise
 * prefix the sniffer finds and refusing text (an error page served as a segment).
 */
export async function appendSegment(file: string, out: FileHandle, buffer: Buffer, describe: () => string): Promise<number> {
  const input = await open(file, 'r');
  try {
    let position = 0;
    let written = 0;
    for (;;) {
      const { bytesRead } = await input.read(buffer, 0, buffer.length, position);
      if (bytesRead === 0) break;
      let start = 0;
      if (position === 0) {
        const sniffed = sniff(buffer.subarray(0, Math.min(bytesRead, 64 * 1024)));
        if (sniffed.kind === 'text' || sniffed.kind === 'playlist') {
          throw new AppError('not_media', `${describe()} is not media: the server sent text (an error page?)`);
        }
        start = sniffed.skip;
      }
      await out.write(buffer, start, bytesRead - start);
      written += bytesRead - start;
      position += bytesRead;
    }
    return written;
  } finally {
    await input.close();
  }
}

/**
 * Subtitle segments are small WebVTT documents: appended as they are, each ending in a blank
 * line so the joined file splits back into documents at every "WEBVTT" header.
 */
export async function appendText(file: string | Buffer, out: FileHandle, describe: () => string, offset: number): Promise<number> {
  let body = typeof file === 'string' ? await readFile(file) : file;
  const head = body.subarray(0, 64).toString('utf8').replace(/^\uFEFF/, '').trimStart();
  if (!head.startsWith('WEBVTT')) {
    throw new AppError('not_subtitles', `${describe()} is not WebVTT (only WebVTT subtitles are supported)`);
  }
  if (offset !== 0) body = Buffer.from(withOffsetHeader(body.toString('utf8'), offset));
  const text = Buffer.concat([body, Buffer.from('\n\n')]);
  await out.write(text);
  return text.length;
}

export async function fetchPlaylist(ctx: DownloadContext, url: string, what: string, imports?: Record<string, string>): Promise<{ playlist: Playlist; text: string; url: string }> {
  const { body, finalUrl } = await limitedRequest(ctx, url, what, (signal) => fetchSmall(ctx.http, url, ctx.headers, signal));
  const raw = body.toString('utf8');
  const playlist = parsePlaylist(raw, finalUrl, { ...(imports ? { imports } : {}), ...(ctx.maxPlaylistSegments ? { maxSegments: ctx.maxPlaylistSegments } : {}) });
  // Variables imported from the master are resolved now: the saved text must parse on its own.
  const text = imports && Object.keys(imports).length > 0 ? substituteVariables(normalisePlaylistText(raw), finalUrl, imports).text : raw;
  return { playlist, text, url: finalUrl };
}

export function checkMedia(playlist: Playlist, what: string, allowLive = false): MediaPlaylist {
  if (playlist.kind !== 'media') {
    throw new AppError('bad_playlist', `the ${what} is a master playlist where a media playlist was expected`);
  }
  if (playlist.iFramesOnly) {
    throw new AppError('iframe_only', `the ${what} is an I-frame-only (trick-play) playlist, not a playable stream`);
  }
  if (!playlist.endList && allowLive) return playlist;
  if (!playlist.endList) {
    throw new AppError('live_not_supported', 'the playlist has no #EXT-X-ENDLIST (a live stream) where a finished one was expected');
  }
  if (playlist.segments.length === 0) throw new AppError('empty_playlist', `the ${what} lists no segments`);
  return playlist;
}

/**
 * Reads the plan saved by an earlier run, or resolves it: fetch the playlist, pick the
 * variant by quality and the audio rendition it needs, and save both media playlists.
 */
export interface TrackRequest {
  url: string;
  quality: string;
  audioLanguages?: AudioLanguages;
  subtitleLanguages?: SubtitleLanguages;
}

export async function prepareHlsPlan(
  ctx: DownloadContext,
  request: TrackRequest,
  first?: { text: string; url: string },
  options: { allowLive?: boolean } = {},
): Promise<HlsPlan> {
  const allowLive = options.allowLive === true;
  const saved = await readSavedPlan(ctx);
  if (saved) return saved;
  const top = first
    ? { playlist: parsePlaylist(first.text, first.url, ctx.maxPlaylistSegments ? { maxSegments: ctx.maxPlaylistSegments } : {}), text: first.text, url: first.url }
    : await fetchPlaylist(ctx, request.url, 'playlist');
  const plan: HlsPlan = { version: 1, tracks: [], variant: null };
  if (top.playlist.kind === 'master') {
    const master = top.playlist;
    const variant = pickVariant(master.variants, request.quality);
    plan.variant = { height: variant.height, bandwidth: variant.bandwidth };
    const group = audioGroupOf(master, variant);
    const audioChoice = chooseAudio(group, request.audioLanguages ?? 'default');
    // A chosen rendition without a URI is the variant's own audio: it stays in the main track.
    const muxed = audioChoice.tracks.find((a) => a.uri === null) ?? null;
    const separate = audioChoice.tracks.filter((a) => a.uri !== null);
    if (!audioChoice.matched) {
      ctx.logger.warn({ asked: request.audioLanguages, offered: audioGroupOf(master, variant).map((a) => a.language) }, 'no audio in the languages asked for: keeping the default audio');
    }
    const offeredSubtitles = subtitleGroupOf(master, variant);
    const subtitles = chooseSubtitles(offeredSubtitles, request.subtitleLanguages ?? 'none');
    if (Array.isArray(request.subtitleLanguages) && subtitles.length === 0) {
      ctx.logger.warn({ asked: request.subtitleLanguages, offered: offeredSubtitles.map((s) => s.language) }, 'no subtitles in the languages asked for');
    }
    // The variant and every rendition playlist, fetched together (each under the connection caps).
    const [main, ...renditions] = await Promise.all([
      fetchPlaylist(ctx, variant.uri, 'variant playlist', master.variables),
      ...separate.map((a) => fetchPlaylist(ctx, a.uri!, `audio playlist "${a.name}"`, master.variables)),
      ...subtitles.map((s) => fetchPlaylist(ctx, s.uri, `subtitle playlist "${s.name}"`, master.variables)),
    ]);
    const mainMedia = checkMedia(main!.playlist, 'variant playlist', allowLive);
    if (!mainMedia.endList) plan.live = true;
    const anyDefault = audioChoice.tracks.some((a) => a.isDefault);
    plan.tracks.push({
      name: 'main',
      kind: 'video',
      url: main!.url,
      text: main!.text,
      ...(muxed ? { mainAudio: { language: muxed.language, title: muxed.name, isDefault: anyDefault ? muxed.isDefault : true } } : {}),
    });
    separate.forEach((a, n) => {
      const fetched = renditions[n]!;
      checkMedia(fetched.playlist, 'audio playlist', allowLive);
      plan.tracks.push({
        name: n === 0 ? 'audio' : `audio-${n + 1}`,
        kind: 'audio',
        url: fetched.url,
        text: fetched.text,
        language: a.language,
        title: a.name,
        isDefault: anyDefault ? a.isDefault : n === 0 && !muxed,
        forced: false,
      });
    });
    subtitles.forEach((s, n) => {
      const fetched = renditions[separate.length + n]!;
      const media = checkMedia(fetched.playlist, 'subtitle playlist', allowLive);
      // Subtitles in fragmented MP4 (IMSC/TTML or wvtt samples) are not plain WebVTT: say so, keep the film.
      if (media.segments.some((seg) => seg.init !== null || /\.(mp4|m4s|cmft)(\?|$)/i.test(seg.uri))) {
        ctx.logger.warn({ rendition: s.name, language: s.language }, 'subtitles packed in MP4 (IMSC/TTML or wvtt) are not supported yet: this track is left out');
        return;
      }
      plan.tracks.push({
        name: `subtitles-${n + 1}`,
        kind: 'subtitle',
        url: fetched.url,
        text: fetched.text,
        language: s.language,
        title: s.name,
        isDefault: s.isDefault,
        forced: s.forced,
      });
    });
    ctx.logger.info(
      {
        height: variant.height,
        bandwidth: variant.bandwidth,
        audio: audioChoice.tracks.map((a) => a.language ?? a.name),
        subtitles: subtitles.map((s) => `${s.language ?? s.name}${s.forced ? ' (forced)' : ''}`),
      },
      'variant chosen',
    );
  } else {
    const media = checkMedia(top.playlist, 'playlist', allowLive);
    plan.tracks.push({ name: 'main', kind: 'video', url: top.url, text: top.text });
    if (!media.endList) plan.live = true;
  }
  // A live plan is not saved: the recorder keeps its own state, and a restart resolves the
  // variant again (its playlist URL may carry a token that has expired).
  if (plan.live) return plan;
  await savePlan(ctx.workDir, plan);
  return plan;
}

/** The plan saved by an earlier run of this job, or null. */
export async function readSavedPlan(ctx: DownloadContext): Promise<HlsPlan | null> {
  try {
    return JSON.parse(await readFile(path.join(ctx.workDir, PLAN_FILE), 'utf8')) as HlsPlan;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') ctx.logger.warn({ err: errorMessage(err) }, 'saved plan unreadable; resolving again');
    return null;
  }
}

/** Written before the first segment is fetched: a resume after kill -9 downloads exactly this. */
export async function savePlan(workDir: string, plan: HlsPlan): Promise<void> {
  const planFile = path.join(workDir, PLAN_FILE);
  await mkdir(workDir, { recursive: true });
  await writeFile(`${planFile}.tmp`, JSON.stringify(plan));
  await rename(`${planFile}.tmp`, planFile);
}

interface TrackState {
  t: number;
  name: string;
  meta: TrackMeta;
  playlist: MediaPlaylist;
  parts: Part[];
  partOf: Int32Array;
  times: number[];
  next: number;
  done: Set<number>;
  handle: FileHandle | null;
  handlePart: number;
  size: number;
  chain: Promise<void>;
  /** Reused for every append of this track: no per-segment allocation at 100 MB/s. */
  copyBuffer: Buffer;
  /** Bytes per second of the segments so far, to spot one cut short without a Content-Length. */
  sizes: SizePattern;
  /** Playlist refreshes done (expired signed URLs); a request started before one retries without another. */
  refreshes: number;
  refreshing: Promise<void> | null;
  /** Fetched segments held in memory, next in line for the part file (their bytes are in the budget). */
  bodies: Map<number, Buffer>;
}

export function partPath(workDir: string, t: number, p: number): string {
  return path.join(workDir, `t${t}-p${p}.media`);
}

function segPath(workDir: string, t: number, i: number): string {
  return path.join(workDir, 'seg', `t${t}-${i}`);
}

async function sizeOf(file: string): Promise<number> {
  try {
    return (await stat(file)).size;
  } catch {
    return 0;
  }
}

/**
 * Fetches every segment of the plan with a pool of `ctx.concurrency` requests, appends the
 * contiguous prefix of each track into its part files, and journals each append. Resumes
 * from the journal: only segments that were in flight are fetched again.
 */
export async function downloadHls(ctx: DownloadContext, plan: HlsPlan, source?: HlsSource, observer?: AppendObserver, memoryBytes = SEGMENT_MEMORY_BYTES): Promise<HlsResult> {
  const { workDir } = ctx;
  await mkdir(path.join(workDir, 'seg'), { recursive: true });
  const journal = new Journal<JournalEntry>(path.join(workDir, 'journal.log'), { keepOpen: true });
  const entries = await journal.read();

  const tracks: TrackState[] = plan.tracks.map((track, t) => {
    const playlist = checkMedia(track.media ?? parsePlaylist(track.text ?? '', track.url), 'saved playlist');
    const parts = planParts(playlist.segments);
    const partOf = new Int32Array(playlist.segments.length);
    for (const part of parts) partOf.fill(part.index, part.first, part.last + 1);
    return {
      t,
      name: track.name,
      meta: trackMeta(track),
      playlist,
      parts,
      partOf,
      times: startTimes(playlist.segments),
      next: 0,
      done: new Set<number>(),
      handle: null,
      handlePart: -1,
      size: 0,
      chain: Promise.resolve(),
      copyBuffer: Buffer.allocUnsafe(COPY_BUFFER_BYTES),
      sizes: new SizePattern(),
      refreshes: 0,
      refreshing: null,
      bodies: new Map<number, Buffer>(),
    };
  });
  const memory = new MemoryBudget(memoryBytes);
  /** How bodies reached the part files: straight from memory, parked on disk first, or fetched to a file. */
  const paths = { memory: 0, parked: 0, file: 0 };

  // Restore: cut each track's current part back to the last journalled append.
  let bytesOnDisk = 0;
  const segFiles = new Set(await readdir(path.join(workDir, 'seg')));
  const partSizes: number[][] = tracks.map((track) => track.parts.map(() => 0));
  for (const track of tracks) {
    const last = entries.filter((e) => e.t === track.t).at(-1);
    track.next = last ? last.i + 1 : 0;
    for (const part of track.parts) {
      const file = partPath(workDir, track.t, part.index);
      if (last && part.index < last.p) {
        const size = await sizeOf(file);
        partSizes[track.t]![part.index] = size;
        bytesOnDisk += size;
      } else if (last && part.index === last.p) {
        await truncate(file, last.size);
        partSizes[track.t]![part.index] = last.size;
        bytesOnDisk += last.size;
      } else {
        await unlink(file).catch(() => undefined);
      }
    }
    for (let i = 0; i < track.playlist.segments.length; i++) {
      if (track.playlist.segments[i]!.gap && i >= track.next) {
        track.done.add(i);
        continue;
      }
      const name = `t${track.t}-${i}`;
      if (segFiles.has(`${name}.part`)) await unlink(segPath(workDir, track.t, i) + '.part');
      if (!segFiles.has(name)) continue;
      if (i < track.next) await unlink(segPath(workDir, track.t, i));
      else {
        track.done.add(i);
        bytesOnDisk += await sizeOf(segPath(workDir, track.t, i));
      }
    }
  }

  const segmentsTotal = tracks.reduce((n, tr) => n + tr.playlist.segments.length, 0);
  const totalDuration = tracks.reduce((d, tr) => d + tr.playlist.totalDuration, 0);
  const exactBytes = tracks.every((tr) => tr.playlist.segments.every((s) => s.byteRange))
    ? tracks.reduce((n, tr) => n + tr.playlist.segments.reduce((m, s) => m + (s.byteRange?.length ?? 0), 0), 0)
    : null;
  let segmentsDone = tracks.reduce((n, tr) => n + tr.next + tr.done.size, 0);
  let fetchedDuration = tracks.reduce((d, tr) => d + tr.playlist.segments.slice(0, tr.next).reduce((s, g) => s + g.duration, 0), 0);
  // Bytes of finished segments (received bytes of those in flight are not in it).
  let fetchedBytes = bytesOnDisk;
  // Sizes of segments still in flight, from their Content-Length as soon as the headers arrive:
  // the estimate (and so progress and ETA) moves from the first second, not the first finished segment.
  const inFlightSizes = new Map<number, { bytes: number; duration: number }>();
  let inFlightBytes = 0;
  let inFlightDuration = 0;
  const sizeKey = (t: number, i: number): number => t * 10_000_000 + i;
  const setInFlight = (key: number, value: { bytes: number; duration: number } | null): void => {
    const old = inFlightSizes.get(key);
    if (old) {
      inFlightBytes -= old.bytes;
      inFlightDuration -= old.duration;
      inFlightSizes.delete(key);
    }
    if (value) {
      inFlightSizes.set(key, value);
      inFlightBytes += value.bytes;
      inFlightDuration += value.duration;
    }
  };
  // Before any size is known: the variant's declared bandwidth (HLS BANDWIDTH, DASH @bandwidth).
  const declared = plan.variant && plan.variant.bandwidth > 0 ? Math.round((plan.variant.bandwidth / 8) * tracks[0]!.playlist.totalDuration) : null;
  const estimate = (): number | null => {
    if (exactBytes !== null) return exactBytes;
    const bytes = fetchedBytes + inFlightBytes;
    const duration = fetchedDuration + inFlightDuration;
    if (duration <= 0 || totalDuration <= 0) return declared;
    return Math.round((bytes / duration) * totalDuration);
  };
  ctx.progress.totals({ segmentsTotal, bytesTotal: estimate() });
  ctx.progress.segmentsDone(segmentsDone);
  ctx.progress.resumed(bytesOnDisk);
  observer?.start(
    tracks.map((track) => ({
      name: track.name,
      kind: track.meta.kind,
      parts: track.parts.map((p) => ({ file: partPath(workDir, track.t, p.index), size: partSizes[track.t]![p.index]! })),
    })),
  );

  const stop = new AbortController();
  const signal = AbortSignal.any([ctx.signal, stop.signal]);
  setMaxListeners(Math.max(50, ctx.concurrency * 4), signal);
  let failure: unknown = null;
  const fail = (err: unknown): void => {
    if (failure === null) failure = err;
    stop.abort(err);
  };

  const keys = new KeyCache(async (uri) => {
    const { body } = await limitedRequest(ctx, uri, 'key', (s) => fetchSmall(ctx.http, uri, ctx.headers, s, 64 * 1024), signal);
    return body;
  });
  const inits = new InitCache(ctx, signal);

  const describe = (track: TrackState, i: number): string =>
    `${track.name === 'main' ? '' : `${track.name} `}segment ${i + 1} of ${track.playlist.segments.length} (${redactUrl(track.playlist.segments[i]!.uri)})`;

  const append = async (track: TrackState, i: number): Promise<void> => {
    const p = track.partOf[i]!;
    const part = track.parts[p]!;
    if (track.handlePart !== p) {
      await track.handle?.close();
      const file = partPath(workDir, track.t, p);
      track.handle = await open(file, 'a');
      track.handlePart = p;
      track.size = (await track.handle.stat()).size;
    }
    const handle = track.handle!;
    // The init section goes first in every part file (a part may start with a gap segment).
    const seg = track.playlist.segments[i]!;
    if (seg.gap) {
      await journal.append({ t: track.t, i, p, size: track.size });
      return;
    }
    if (track.size === 0 && part.init) {
      const init = await readFile(await inits.file(part.init));
      await handle.write(init);
      track.size += init.length;
    }
    const file = segPath(workDir, track.t, i);
    const body = track.bodies.get(i);
    const source = body ?? file;
    track.size +=
      track.meta.kind === 'subtitle'
        ? await appendText(source, handle, () => describe(track, i), plan.tracks[track.t]!.timeOffsets?.[i] ?? 0)
        : body
          ? await appendBody(body, handle, () => describe(track, i))
          : await appendSegment(file, handle, track.copyBuffer, () => describe(track, i));
    await journal.append({ t: track.t, i, p, size: track.size });
    if (body) {
      track.bodies.delete(i);
      memory.release(body);
      wakeWorkers();
    } else {
      await unlink(file);
    }
    observer?.appended(track.t, p, track.size);
  };

  /** Every segment before `i` is fetched: `i` goes into the part file next, from memory. */
  const nextInLine = (track: TrackState, i: number): boolean => {
    for (let j = track.next; j < i; j++) if (!track.done.has(j)) return false;
    return true;
  };

  /** A body fetched ahead of a gap waits on disk, so a crash or a failure does not lose it. */
  const park = async (track: TrackState, i: number, body: Buffer): Promise<void> => {
    const dest = segPath(workDir, track.t, i);
    await writeFile(`${dest}.part`, body);
    await rename(`${dest}.part`, dest);
    memory.release(body);
  };

  const appendReady = async (track: TrackState): Promise<void> => {
    while (track.done.has(track.next)) {
      if (failure !== null) return;
      await append(track, track.next);
      track.done.delete(track.next);
      track.next++;
    }
  };

  // Interleave tracks by time so audio and video advance together.
  const tasks: Array<{ track: TrackState; i: number; at: number }> = [];
  let gapSeconds = 0;
  const gaps: number[] = [];
  for (const track of tracks) {
    for (let i = 0; i < track.playlist.segments.length; i++) {
      const seg = track.playlist.segments[i]!;
      if (seg.gap) {
        // Declared missing by the playlist itself: never fetched, never a failure.
        if (track.t === 0) {
          gapSeconds += seg.duration;
          gaps.push(i + 1);
        }
        if (i >= track.next) track.done.add(i);
        continue;
      }
      if (i >= track.next && !track.done.has(i)) tasks.push({ track, i, at: track.times[i]! });
    }
  }
  if (gaps.length > 0) {
    ctx.logger.warn({ segments: gaps.length, seconds: Math.round(gapSeconds * 10) / 10, first: gaps[0] }, `the playlist declares ${gaps.length} segment(s) missing (EXT-X-GAP, ${Math.round(gapSeconds)} s): skipped, the file has a gap there`);
  }

  /**
   * Signed URLs expire: fetch the playlist again from the top (the master when there is one) and
   * give every segment of the track its fresh URL, matched by media sequence number.
   */
  const refresh = (track: TrackState): Promise<void> => {
    if (track.refreshing) return track.refreshing;
    track.refreshes++;
    track.refreshing = (async () => {
      const fresh = await refreshedPlaylist(ctx, plan, track.name, source);
      const bySequence = new Map(fresh.segments.map((s) => [s.sequence, s]));
      let matched = 0;
      for (const seg of track.playlist.segments) {
        const now = bySequence.get(seg.sequence);
        if (!now) continue;
        matched++;
        seg.uri = now.uri;
        if (seg.key && now.key) seg.key = { ...seg.key, uri: now.key.uri };
        if (seg.init && now.init) seg.init = { ...seg.init, uri: now.init.uri };
      }
      ctx.logger.info({ track: track.name, matched, of: track.playlist.segments.length }, 'playlist refreshed for fresh segment URLs');
    })().finally(() => {
      track.refreshing = null;
    });
    return track.refreshing;
  };
  tasks.sort((a, b) => a.at - b.at || a.track.t - b.track.t);
  // Anything already on disk but not yet appended goes in first.
  for (const track of tracks) track.chain = appendReady(track).catch(fail);

  let cursor = 0;
  // The reorder window: bodies that arrived ahead of an earlier segment wait in memory, and each
  // one takes the place of a request, so fetched-but-not-appended plus in flight never exceeds
  // `concurrency`: a crash re-fetches at most that many segments.
  let active = 0;
  let waiting: Array<() => void> = [];
  const held = (): number => tracks.reduce((n, t) => n + t.bodies.size, 0);
  const wakeWorkers = (): void => {
    const w = waiting;
    waiting = [];
    for (const wake of w) wake();
  };
  signal.addEventListener('abort', wakeWorkers, { once: true });
  const worker = async (): Promise<void> => {
    while (failure === null && !signal.aborted) {
      while (held() + active >= ctx.concurrency && failure === null && !signal.aborted) {
        await new Promise<void>((resolve) => waiting.push(resolve));
      }
      if (failure !== null || signal.aborted) return;
      const task = tasks[cursor++];
      if (!task) return;
      const { track, i } = task;
      const seg = track.playlist.segments[i]!;
      let fetchedBody: Buffer | null = null;
      let fetchedSize = 0;
      const fetchSegment = async (): Promise<void> => {
        const key = seg.key ? await keys.get(seg.key.uri) : null;
        const dest = segPath(workDir, track.t, i);
        await limitedRequest(
          ctx,
          seg.uri,
          () => describe(track, i),
          async (s) => {
            const got = await fetchSegmentFile(
              ctx,
              seg,
              key,
              dest,
              s,
              (n) => ctx.progress.bytes(n),
              {
                memory,
                onHeaders: (length) => {
                  if (length === null || length <= 0) return;
                  // Network bytes of this segment count as fetched already; the rest is expected.
                  setInFlight(sizeKey(track.t, i), { bytes: length, duration: seg.duration });
                  ctx.progress.totals({ segmentsTotal, bytesTotal: estimate() });
                },
              },
            );
            const body = got.body ?? null;
            // A body cut short without a Content-Length ends "cleanly": check the bytes.
            const size = await checkFetchedSegment(body ?? dest, seg, key !== null, got, track.sizes, i, () => describe(track, i), () => {
              if (body) memory.release(body);
            });
            fetchedBody = body;
            fetchedSize = size;
          },
          signal,
        );
      };
      active++;
      try {
        const refreshesBefore = track.refreshes;
        try {
          await fetchSegment();
        } catch (err) {
          // 403/410 after other segments came through: most likely an expired signed URL.
          const expired = err instanceof HttpStatusError && EXPIRED_STATUSES.has(err.status) && segmentsDone > 0 && !ctx.signal.aborted;
          if (!expired) throw err;
          if (track.refreshes >= MAX_REFRESHES) throw err;
          if (track.refreshes === refreshesBefore) await refresh(track);
          else if (track.refreshing) await track.refreshing;
          try {
            await fetchSegment();
          } catch (again) {
            if (again instanceof HttpStatusError && EXPIRED_STATUSES.has(again.status)) {
              throw new AppError('segment_forbidden', `${describe(track, i)} failed: HTTP ${again.status} even after the playlist was fetched again for fresh URLs (the link or its token has expired for good, or a header such as Referer is missing)`, { cause: again });
            }
            throw again;
          }
        }
      } catch (err) {
        active--;
        wakeWorkers();
        setInFlight(sizeKey(track.t, i), null);
        if (classifyError(err, ctx.signal) === 'aborted' || (signal.aborted && failure !== null)) return;
        const code = err instanceof AppError ? err.code : 'segment_failed';
        const message = err instanceof AppError && err.code === 'segment_forbidden' ? err.message : `${describe(track, i)} failed: ${errorMessage(err)}`;
        fail(new AppError(code, message, { cause: err }));
        return;
      }
      active--;
      setInFlight(sizeKey(track.t, i), null);
      const body = fetchedBody as Buffer | null;
      if (!body) {
        paths.file++;
        wakeWorkers();
      }
      if (body) {
        // The gate keeps held + active within concurrency, so there is room for this one; parking
        // is the safety net should that ever not hold.
        if (nextInLine(track, i) || held() + active < ctx.concurrency) {
          track.bodies.set(i, body);
          paths.memory++;
        } else {
          paths.parked++;
          try {
            await park(track, i, body);
          } catch (err) {
            fail(err);
            return;
          }
        }
      }
      fetchedDuration += seg.duration;
      fetchedBytes += fetchedSize;
      segmentsDone++;
      ctx.progress.segmentsDone(segmentsDone);
      ctx.progress.totals({ segmentsTotal, bytesTotal: estimate() });
      track.done.add(i);
      track.chain = track.chain.then(() => appendReady(track)).catch(fail);
    }
  };

  await Promise.all(Array.from({ length: Math.max(1, Math.min(ctx.concurrency, tasks.length)) }, worker));
  await Promise.all(tracks.map((t) => t.chain));
  await journal.close();
  await Promise.all(tracks.map((t) => t.handle?.close()));
  // Stopped early (a failure, pause, cancel): what was fetched but not appended stays for the retry.
  for (const track of tracks) {
    for (const [i, body] of track.bodies) await park(track, i, body).catch(() => undefined);
    track.bodies.clear();
  }

  ctx.logger.debug({ fromMemory: paths.memory, parked: paths.parked, toFile: paths.file }, 'how segment bodies reached the part files');
  if (ctx.signal.aborted) throw ctx.signal.reason;
  if (failure !== null) throw failure;
  for (const track of tracks) {
    if (track.next !== track.playlist.segments.length) {
      throw new AppError('incomplete', `${track.name} track stopped at segment ${track.next} of ${track.playlist.segments.length}`);
    }
  }
  return {
    tracks: tracks.map((track) => ({
      name: track.name,
      ...track.meta,
      ...(plan.tracks[track.t]!.mainAudio ? { mainAudio: plan.tracks[track.t]!.mainAudio } : {}),
      files: track.parts.map((p) => partPath(workDir, track.t, p.index)),
    })),
    duration: tracks[0]!.playlist.totalDuration,
    gapSeconds,
  };
}

/** The track's media playlist fetched again from the top, for fresh (re-signed) segment URLs. */
async function refreshedPlaylist(ctx: DownloadContext, plan: HlsPlan, name: string, source: HlsSource | undefined): Promise<MediaPlaylist> {
  const saved = plan.tracks.find((t) => t.name === name)!;
  const top = await fetchPlaylist(ctx, source?.url ?? saved.url, 'playlist (refresh)');
  if (top.playlist.kind === 'media') {
    if (name !== 'main') throw new AppError('refresh_failed', `the playlist no longer lists the ${name} track`);
    return top.playlist;
  }
  const master = top.playlist;
  const variant =
    (plan.variant && master.variants.find((v) => v.bandwidth === plan.variant!.bandwidth && v.height === plan.variant!.height)) ||
    pickVariant(master.variants, source?.quality ?? 'best');
  // Renditions are found again by their name and language, as the plan chose them.
  const meta = trackMeta(saved);
  const group = meta.kind === 'subtitle' ? subtitleGroupOf(master, variant) : audioGroupOf(master, variant);
  const uri = name === 'main' ? variant.uri : group.find((r) => r.name === saved.title && r.language === (saved.language ?? null))?.uri;
  if (!uri) throw new AppError('refresh_failed', `the refreshed master playlist has no ${name} track`);
  const media = await fetchPlaylist(ctx, uri, `${name === 'main' ? 'variant' : name} playlist (refresh)`, master.variables);
  if (media.playlist.kind !== 'media') throw new AppError('refresh_failed', 'the refreshed playlist is not a media playlist');
  return media.playlist;
}
