import { setMaxListeners } from 'node:events';
import { mkdir, open, readFile, readdir, rename, stat, truncate, unlink, writeFile, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { AppError, errorMessage } from '../errors.js';
import { redactUrl } from '../platform/http.js';
import { limitedRequest, type DownloadContext } from '../download/context.js';
import { fetchSmall, fetchToFile } from '../download/fetch-to-file.js';
import { Journal } from '../download/journal.js';
import { KeyCache } from '../download/keys.js';
import { classifyError } from '../download/retry.js';
import { sniff } from '../download/sniff.js';
import { InitCache } from './init-cache.js';
import { planParts, startTimes, type Part } from './parts.js';
import { parsePlaylist, pickAudio, pickVariant, type MediaPlaylist, type Playlist } from './playlist.js';

/** What a job downloads, fixed at its first start so a resume fetches exactly the same segments. */
export interface HlsPlan {
  version: 1;
  tracks: Array<{ name: 'main' | 'audio'; url: string; text: string }>;
  variant: { height: number | null; bandwidth: number } | null;
  /** The media playlist has no EXT-X-ENDLIST: a live stream, recorded by addon/live/ (only asked-for with `allowLive`). */
  live?: boolean;
}

export interface HlsTrackResult {
  name: 'main' | 'audio';
  /** Part files in order; more than one when the stream has discontinuities. */
  files: string[];
}

export interface HlsResult {
  tracks: HlsTrackResult[];
  duration: number;
}

interface JournalEntry {
  t: number;
  i: number;
  p: number;
  size: number;
}

const PLAN_FILE = 'plan.json';
const COPY_BUFFER_BYTES = 1024 * 1024;

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

export async function fetchPlaylist(ctx: DownloadContext, url: string, what: string): Promise<{ playlist: Playlist; text: string; url: string }> {
  const { body, finalUrl } = await limitedRequest(ctx, url, what, (signal) => fetchSmall(ctx.http, url, ctx.headers, signal));
  const text = body.toString('utf8');
  return { playlist: parsePlaylist(text, finalUrl), text, url: finalUrl };
}

export function checkMedia(playlist: Playlist, what: string, allowLive = false): MediaPlaylist {
  if (playlist.kind !== 'media') {
    throw new AppError('bad_playlist', `the ${what} is a master playlist where a media playlist was expected`);
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
export async function prepareHlsPlan(
  ctx: DownloadContext,
  request: { url: string; quality: string },
  first?: { text: string; url: string },
  options: { allowLive?: boolean } = {},
): Promise<HlsPlan> {
  const allowLive = options.allowLive === true;
  const planFile = path.join(ctx.workDir, PLAN_FILE);
  try {
    return JSON.parse(await readFile(planFile, 'utf8')) as HlsPlan;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') ctx.logger.warn({ err: errorMessage(err) }, 'saved HLS plan unreadable; resolving again');
  }
  const top = first
    ? { playlist: parsePlaylist(first.text, first.url), text: first.text, url: first.url }
    : await fetchPlaylist(ctx, request.url, 'playlist');
  const plan: HlsPlan = { version: 1, tracks: [], variant: null };
  if (top.playlist.kind === 'master') {
    const variant = pickVariant(top.playlist.variants, request.quality);
    const audio = pickAudio(top.playlist, variant);
    plan.variant = { height: variant.height, bandwidth: variant.bandwidth };
    const main = await fetchPlaylist(ctx, variant.uri, 'variant playlist');
    const media = checkMedia(main.playlist, 'variant playlist', allowLive);
    plan.tracks.push({ name: 'main', url: main.url, text: main.text });
    if (!media.endList) plan.live = true;
    if (audio?.uri) {
      const audioTrack = await fetchPlaylist(ctx, audio.uri, 'audio playlist');
      checkMedia(audioTrack.playlist, 'audio playlist', allowLive);
      plan.tracks.push({ name: 'audio', url: audioTrack.url, text: audioTrack.text });
    }
    ctx.logger.info({ height: variant.height, bandwidth: variant.bandwidth, audio: audio?.name ?? null }, 'variant chosen');
  } else {
    const media = checkMedia(top.playlist, 'playlist', allowLive);
    plan.tracks.push({ name: 'main', url: top.url, text: top.text });
    if (!media.endList) plan.live = true;
  }
  // A live plan is not saved: the recorder keeps its own state, and a restart resolves the
  // variant again (its playlist URL may carry a token that has expired).
  if (plan.live) return plan;
  await mkdir(ctx.workDir, { recursive: true });
  await writeFile(`${planFile}.tmp`, JSON.stringify(plan));
  await rename(`${planFile}.tmp`, planFile);
  return plan;
}

interface TrackState {
  t: number;
  name: 'main' | 'audio';
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
export async function downloadHls(ctx: DownloadContext, plan: HlsPlan): Promise<HlsResult> {
  const { workDir } = ctx;
  await mkdir(path.join(workDir, 'seg'), { recursive: true });
  const journal = new Journal<JournalEntry>(path.join(workDir, 'journal.log'));
  const entries = await journal.read();

  const tracks: TrackState[] = plan.tracks.map((track, t) => {
    const playlist = checkMedia(parsePlaylist(track.text, track.url), 'saved playlist');
    const parts = planParts(playlist.segments);
    const partOf = new Int32Array(playlist.segments.length);
    for (const part of parts) partOf.fill(part.index, part.first, part.last + 1);
    return {
      t,
      name: track.name,
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
    };
  });

  // Restore: cut each track's current part back to the last journalled append.
  let bytesOnDisk = 0;
  const segFiles = new Set(await readdir(path.join(workDir, 'seg')));
  for (const track of tracks) {
    const last = entries.filter((e) => e.t === track.t).at(-1);
    track.next = last ? last.i + 1 : 0;
    for (const part of track.parts) {
      const file = partPath(workDir, track.t, part.index);
      if (last && part.index < last.p) {
        bytesOnDisk += await sizeOf(file);
      } else if (last && part.index === last.p) {
        await truncate(file, last.size);
        bytesOnDisk += last.size;
      } else {
        await unlink(file).catch(() => undefined);
      }
    }
    for (let i = 0; i < track.playlist.segments.length; i++) {
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
  let fetchedBytes = bytesOnDisk;
  const estimate = (): number | null => {
    if (exactBytes !== null) return exactBytes;
    if (fetchedDuration <= 0 || totalDuration <= 0) return null;
    return Math.round((fetchedBytes / fetchedDuration) * totalDuration);
  };
  ctx.progress.totals({ segmentsTotal, bytesTotal: estimate() });
  ctx.progress.segmentsDone(segmentsDone);
  ctx.progress.resumed(bytesOnDisk);

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
    `${track.name === 'audio' ? 'audio ' : ''}segment ${i + 1} of ${track.playlist.segments.length} (${redactUrl(track.playlist.segments[i]!.uri)})`;

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
    if (i === part.first && track.size === 0 && part.init) {
      const init = await readFile(await inits.file(part.init));
      await handle.write(init);
      track.size += init.length;
    }
    const file = segPath(workDir, track.t, i);
    track.size += await appendSegment(file, handle, track.copyBuffer, () => describe(track, i));
    await journal.append({ t: track.t, i, p, size: track.size });
    await unlink(file);
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
  for (const track of tracks) {
    for (let i = track.next; i < track.playlist.segments.length; i++) {
      if (!track.done.has(i)) tasks.push({ track, i, at: track.times[i]! });
    }
  }
  tasks.sort((a, b) => a.at - b.at || a.track.t - b.track.t);
  // Anything already on disk but not yet appended goes in first.
  for (const track of tracks) track.chain = appendReady(track).catch(fail);

  let cursor = 0;
  const worker = async (): Promise<void> => {
    while (failure === null && !signal.aborted) {
      const task = tasks[cursor++];
      if (!task) return;
      const { track, i } = task;
      const seg = track.playlist.segments[i]!;
      try {
        const key = seg.key ? await keys.get(seg.key.uri) : null;
        await limitedRequest(
          ctx,
          seg.uri,
          describe(track, i),
          (s) =>
            fetchToFile(ctx.http, {
              url: seg.uri,
              headers: ctx.headers,
              byteRange: seg.byteRange,
              decrypt: key && seg.key ? { key, iv: seg.key.iv } : null,
              signal: s,
              dest: segPath(workDir, track.t, i),
              onBytes: (n) => {
                fetchedBytes += n;
                ctx.progress.bytes(n);
              },
            }),
          signal,
        );
      } catch (err) {
        if (classifyError(err, ctx.signal) === 'aborted' || (signal.aborted && failure !== null)) return;
        const code = err instanceof AppError ? err.code : 'segment_failed';
        fail(new AppError(code, `${describe(track, i)} failed: ${errorMessage(err)}`, { cause: err }));
        return;
      }
      fetchedDuration += seg.duration;
      segmentsDone++;
      ctx.progress.segmentsDone(segmentsDone);
      ctx.progress.totals({ segmentsTotal, bytesTotal: estimate() });
      track.done.add(i);
      track.chain = track.chain.then(() => appendReady(track)).catch(fail);
    }
  };

  await Promise.all(Array.from({ length: Math.max(1, Math.min(ctx.concurrency, tasks.length)) }, worker));
  await Promise.all(tracks.map((t) => t.chain));
  await Promise.all(tracks.map((t) => t.handle?.close()));

  if (ctx.signal.aborted) throw ctx.signal.reason;
  if (failure !== null) throw failure;
  for (const track of tracks) {
    if (track.next !== track.playlist.segments.length) {
      throw new AppError('incomplete', `${track.name} track stopped at segment ${track.next} of ${track.playlist.segments.length}`);
    }
  }
  return {
    tracks: tracks.map((track) => ({ name: track.name, files: track.parts.map((p) => partPath(workDir, track.t, p.index)) })),
    duration: tracks[0]!.playlist.totalDuration,
  };
}
