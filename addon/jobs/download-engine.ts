import { setMaxListeners } from 'node:events';
import { mkdir, open, readdir, readFile, rename, rm, stat, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { AppError } from '../errors.js';
import type { Clock } from '../platform/clock.js';
import type { FfmpegRunner } from '../platform/ffmpeg.js';
import type { HttpClient } from '../platform/http.js';
import type { Logger } from '../platform/logger.js';
import { ConnectionLimits, type DownloadContext, type ProgressSink } from '../download/context.js';
import { downloadDirect, moveFile, probeUrl } from '../download/direct-download.js';
import { newRetryBudget, type ErrorClass, type RetryPolicy } from '../download/retry.js';
import { sniff, type MediaKind } from '../download/sniff.js';
import { prepareDashPlan } from '../dash/dash-plan.js';
import { looksLikeMpd } from '../dash/mpd.js';
import { downloadHls, prepareHlsPlan, readSavedPlan, type HlsResult, type HlsTrackResult } from '../hls/hls-download.js';
import { buildMergeArgs, concatList, type AudioTrackInput, type MergeInput } from '../hls/merge-args.js';
import { sidecarNames, writeSubtitles } from '../tracks/subtitle-files.js';
import type { RecordingStatus } from '../live/model.js';
import { finishedRecording, recordingLimits, runRecordingPhase, type RecordedFile, type RecordingOptions } from '../live/recording-phase.js';
import type { FinishedFile } from '../library/transfer-service.js';
import { PART_SUFFIX } from '../domain/media.js';
import type { Job, JobKind } from './model.js';

export interface EngineDeps {
  http: HttpClient;
  clock: Clock;
  retry: RetryPolicy;
  connections: ConnectionLimits;
  ffmpeg: FfmpegRunner;
  logger: Logger;
  tmpDir: string;
  segmentConcurrency: number;
  /** Size of the ranges a direct file is split into (tests use small ones). */
  chunkBytes?: number;
  /** Told of every request retry, by error class (metrics). */
  onRetry?: (errorClass: ErrorClass) => void;
  /** Playlists listing more segments are refused (max_playlist_segments). */
  maxPlaylistSegments?: number;
  /** max_recording_minutes and live_outage_tolerance_s; defaults 240 and 300. */
  live?: RecordingOptions;
}

/** How a running job tells its owner what happens; progress is hot, phase and kind are durable. */
export interface RunHooks extends ProgressSink {
  kind(kind: JobKind): void;
  phase(phase: 'merging'): void;
  /** Merge progress, 0..1. */
  mergeProgress(fraction: number): void;
  /** A live recording: fires when the user's Stop ends it (keeping what was recorded). */
  recordingStop?: AbortSignal;
  /** A live recording's first segment is on disk. */
  recordingStarted?(status: RecordingStatus): void;
  /** A live recording's figures changed (segment, gap, reload error). */
  recording?(status: RecordingStatus): void;
}

/**
 * The finished file in the job's work dir (`output.<ext>`); the transfer puts it in the library.
 * A recording carries its files (more than one when split) and its final state as well.
 */
export type RunResult = FinishedFile & { recording?: { files: RecordedFile[]; status: RecordingStatus } };

/** A subtitle file kept beside the finished one, as recorded in output.json. */
interface Sidecar {
  file: string;
  suffix: string;
  size: number;
}

/** Written next to the finished file, so a retry after a failed transfer skips download and merge. */
const OUTPUT_RECORD = 'output.json';

const MEDIA_EXTENSIONS: Record<string, MediaKind> = { mp4: 'mp4', m4v: 'mp4', mov: 'mp4', mkv: 'mkv', webm: 'mkv', ts: 'ts' };

export function workDirOf(tmpDir: string, jobId: string): string {
  return path.join(tmpDir, 'jobs', jobId);
}

function urlExtension(url: string): string {
  try {
    return path.extname(new URL(url).pathname).slice(1).toLowerCase();
  } catch {
    return '';
  }
}

export function requestHeaders(job: Pick<Job, 'headers' | 'referer'>): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(job.headers)) headers[name.toLowerCase()] = value;
  if (job.referer && !headers.referer) headers.referer = job.referer;
  return headers;
}

/**
 * Runs one job from URL to a finished file in its work dir: detect HLS or a plain file, fetch,
 * remux with ffmpeg where needed (to `output.<ext>.part`, renamed when complete), and record
 * `{file, ext, size, height}` in `output.json`. Naming and the move into the library are the
 * transfer's (library/transfer-service.ts); a run whose output is already recorded returns it
 * at once, so a retry after a failed transfer fetches nothing.
 */
export class DownloadEngine {
  constructor(private readonly deps: EngineDeps) {}

  /** Parallel segment requests per HLS download; jobs that start from now on use the new value. */
  get segmentConcurrency(): number {
    return this.deps.segmentConcurrency;
  }

  /** A runtime settings change (PATCH /api/settings); running downloads keep theirs. */
  setSegmentConcurrency(n: number): void {
    this.deps.segmentConcurrency = n;
  }

  /** The finished file of an earlier run, when it is still there with its recorded size. */
  async finishedOutput(jobId: string): Promise<RunResult | null> {
    const workDir = workDirOf(this.deps.tmpDir, jobId);
    const recorded = await finishedRecording(workDir);
    if (recorded) {
      const first = recorded.files[0]!;
      return { file: first.file, ext: first.ext, size: first.size, height: first.height, started_at: first.started_at, recording: recorded };
    }
    try {
      const rec = JSON.parse(await readFile(path.join(workDir, OUTPUT_RECORD), 'utf8')) as { file?: unknown; ext?: unknown; size?: unknown; height?: unknown; sidecars?: unknown };
      if (typeof rec.file !== 'string' || rec.file.includes('/') || typeof rec.ext !== 'string' || typeof rec.size !== 'number') return null;
      const file = path.join(workDir, rec.file);
      const st = await stat(file);
      if (!st.isFile() || st.size !== rec.size) return null;
      const out: RunResult = { file, ext: rec.ext, size: rec.size, height: typeof rec.height === 'number' ? rec.height : null };
      if (Array.isArray(rec.sidecars) && rec.sidecars.length > 0) {
        out.sidecars = [];
        for (const s of rec.sidecars as Sidecar[]) {
          if (typeof s.file !== 'string' || s.file.includes('/') || typeof s.suffix !== 'string' || s.suffix.includes('/')) return null;
          if ((await stat(path.join(workDir, s.file))).size !== s.size) return null;
          out.sidecars.push({ file: path.join(workDir, s.file), suffix: s.suffix });
        }
      }
      return out;
    } catch {
      return null;
    }
  }

  async run(job: Job, signal: AbortSignal, hooks: RunHooks, extraLimits: ConnectionLimits | null = null): Promise<RunResult> {
    const workDir = workDirOf(this.deps.tmpDir, job.id);
    await mkdir(workDir, { recursive: true });
    const done = await this.finishedOutput(job.id);
    if (done) return done;
    // Every parallel request listens on the job's signal; that many listeners is by design.
    setMaxListeners(Math.max(50, this.deps.segmentConcurrency * 4), signal);
    const logger = this.deps.logger.child({ jobId: job.id });
    const ctx: DownloadContext = {
      http: this.deps.http,
      clock: this.deps.clock,
      retry: this.deps.retry,
      retryBudget: newRetryBudget(this.deps.retry),
      connections: extraLimits ?? this.deps.connections,
      concurrency: this.deps.segmentConcurrency,
      logger,
      signal,
      headers: requestHeaders(job),
      workDir,
      progress: hooks,
      onRetry: this.deps.onRetry,
      ...(this.deps.maxPlaylistSegments ? { maxPlaylistSegments: this.deps.maxPlaylistSegments } : {}),
    };

    let kind = job.kind === 'recording' ? 'hls' : job.kind;
    const saved = await readSavedPlan(ctx);
    if (saved) kind = saved.source ?? 'hls';
    let probe = null;
    if (kind !== 'hls' && kind !== 'dash') {
      probe = await probeUrl(ctx, job.url);
      kind = sniff(probe.head).kind === 'playlist' ? 'hls' : looksLikeMpd(probe.head.toString('utf8')) ? 'dash' : 'direct';
    }
    hooks.kind(kind);

    if (kind === 'hls' || kind === 'dash') {
      const first = probe?.complete ? { text: probe.head.toString('utf8'), url: probe.finalUrl } : undefined;
      const request = { url: job.url, quality: job.quality, audioLanguages: job.audio_languages, subtitleLanguages: job.subtitle_languages };
      const plan = saved ?? (kind === 'dash' ? await prepareDashPlan(ctx, request, first) : await prepareHlsPlan(ctx, request, first, { allowLive: true }));
      if (plan.live) return this.record(job, ctx, plan, hooks);
      // Expired signed URLs are refreshed through the HLS playlists; a DASH plan has none to re-read.
      const result = await downloadHls(ctx, plan, plan.source === 'dash' ? undefined : { url: job.url, quality: job.quality });
      hooks.phase('merging');
      return this.mergeTracks(job, workDir, result, plan.variant?.height ?? null, signal, hooks);
    }

    const direct = await downloadDirect(ctx, probe!, this.deps.chunkBytes);
    const head = Buffer.alloc(64 * 1024);
    const fh = await open(direct.file, 'r');
    const { bytesRead } = await fh.read(head, 0, head.length, 0).finally(() => fh.close());
    const sniffed = sniff(head.subarray(0, bytesRead));
    if (sniffed.kind === 'text' || sniffed.kind === 'playlist') {
      throw new AppError('not_media', 'the URL returned text, not a media file (an error page or a login page?)');
    }
    if (sniffed.kind === 'ts') {
      // MPEG-TS is a transport format; libraries and players want MP4/MKV.
      hooks.phase('merging');
      return this.finish(workDir, job.container, null, signal, async (output) => {
        await this.deps.ffmpeg.run(buildMergeArgs({ main: { path: direct.file, concat: false }, audio: null, container: job.container, output }), { signal });
      });
    }
    const fromUrl = urlExtension(job.url);
    const ext = MEDIA_EXTENSIONS[fromUrl] === sniffed.kind || (sniffed.kind === 'unknown' && fromUrl) ? fromUrl : sniffed.kind === 'mkv' ? 'mkv' : sniffed.kind === 'mp4' ? 'mp4' : fromUrl || 'bin';
    return this.finish(workDir, ext, null, signal, (output) => moveFile(direct.file, output));
  }

  /**
   * Video, audio renditions and subtitles into one file: subtitles joined onto the video's
   * timeline as SubRip, embedded and/or kept as sidecars (`output.<lang>[.forced].srt`) that the
   * transfer puts beside the video. Shared by HLS and DASH.
   */
  async mergeTracks(job: Job, workDir: string, result: HlsResult, height: number | null, signal: AbortSignal, hooks: Pick<RunHooks, 'mergeProgress'>): Promise<RunResult> {
    const inputOf = async (track: HlsTrackResult, t: number): Promise<MergeInput> => {
      if (track.files.length === 1) return { path: track.files[0]!, concat: false };
      const list = path.join(workDir, `t${t}.ffconcat`);
      await writeFile(list, concatList(track.files));
      return { path: list, concat: true };
    };
    const main = result.tracks.find((t) => t.kind === 'video') ?? result.tracks[0]!;
    // An audio-only stream has no video: its first audio track is `main` and is mapped as audio.
    const audio = result.tracks.filter((t) => t.kind === 'audio');
    const subtitles = result.tracks.filter((t) => t.kind === 'subtitle');
    const anyDefault = audio.some((t) => t.isDefault) || main.mainAudio?.isDefault === true;
    const audioTracks: AudioTrackInput[] = [];
    for (const [n, track] of audio.entries()) {
      audioTracks.push({ input: await inputOf(track, result.tracks.indexOf(track)), language: track.language, title: track.title, isDefault: anyDefault ? track.isDefault : n === 0 && !main.mainAudio });
    }
    const subtitleFiles = await writeSubtitles(workDir, main.files[0]!, subtitles, (track) =>
      this.deps.logger.warn({ jobId: job.id, language: track.language, name: track.title }, 'a subtitle track has no cues: left out'),
    );
    const as = job.subtitles_as ?? 'embed';
    const embedded = as === 'sidecar' ? [] : subtitleFiles;
    const sidecars = as === 'embed' ? [] : sidecarNames(subtitleFiles);
    const mainInput = await inputOf(main, result.tracks.indexOf(main));
    return this.finish(
      workDir,
      job.container,
      height,
      signal,
      async (output) => {
        await this.deps.ffmpeg.run(buildMergeArgs({ main: mainInput, audio: null, audioTracks, mainAudio: main.mainAudio ?? null, subtitles: embedded, container: job.container, output }), {
          signal,
          onProgress: (t) => hooks.mergeProgress(result.duration > 0 ? Math.min(1, t / result.duration) : 0),
        });
      },
      sidecars,
    );
  }

  /**
   * A live stream: record it (addon/live/) until it ends, a limit, the user's Stop, or an outage
   * longer than the tolerance; a VOD playlist never gets here, whatever the request asked.
   */
  private async record(job: Job, ctx: DownloadContext, plan: Parameters<typeof runRecordingPhase>[2]['plan'], hooks: RunHooks): Promise<RunResult> {
    hooks.kind('recording');
    const options = this.deps.live ?? { maxRecordingMinutes: 240, outageToleranceS: 300 };
    // No shared 5xx budget for a recording: its outages are measured against
    // live_outage_tolerance_s, and a reload stuck in long backoffs would overrun it.
    const { retryBudget: _budget, ...live } = ctx;
    const result = await runRecordingPhase(
      live,
      { ffmpeg: this.deps.ffmpeg },
      { plan, container: job.container, limits: recordingLimits(job.live, options), stop: hooks.recordingStop ?? new AbortController().signal },
      {
        started: (status) => hooks.recordingStarted?.(status),
        progress: (status) => hooks.recording?.(status),
        merging: () => hooks.phase('merging'),
      },
    );
    const first = result.files[0]!;
    return { file: first.file, ext: first.ext, size: first.size, height: first.height, started_at: first.started_at, recording: result };
  }

  /**
   * `write` produces `output.<ext>.part` in the work dir; once it is complete it is renamed to
   * `output.<ext>` and recorded in output.json (the record is what a later run trusts).
   */
  private async finish(
    workDir: string,
    ext: string,
    height: number | null,
    signal: AbortSignal,
    write: (output: string) => Promise<void>,
    sidecarFiles: ReadonlyArray<{ path: string; suffix: string }> = [],
  ): Promise<RunResult> {
    const name = `output.${ext}`;
    const file = path.join(workDir, name);
    const part = file + PART_SUFFIX;
    try {
      await write(part);
      if (signal.aborted) throw signal.reason;
      const { size } = await stat(part);
      await this.verifyMedia(part, size, signal);
      await rename(part, file);
      const sidecars: Sidecar[] = [];
      for (const [n, s] of sidecarFiles.entries()) {
        const sidecarName = `sidecar-${n}${s.suffix}`;
        await rename(s.path, path.join(workDir, sidecarName));
        sidecars.push({ file: sidecarName, suffix: s.suffix, size: (await stat(path.join(workDir, sidecarName))).size });
      }
      const record = path.join(workDir, OUTPUT_RECORD);
      await writeFile(`${record}.tmp`, JSON.stringify({ file: name, ext, size, height, ...(sidecars.length > 0 ? { sidecars } : {}) }));
      await rename(`${record}.tmp`, record);
      // Segments, parts and journal are not needed any more: free the space while the transfer runs (or waits).
      const keep = new Set([name, OUTPUT_RECORD, ...sidecars.map((s) => s.file)]);
      for (const entry of await readdir(workDir)) {
        if (!keep.has(entry)) await rm(path.join(workDir, entry), { recursive: true, force: true });
      }
      const result: RunResult = { file, ext, size, height };
      if (sidecars.length > 0) result.sidecars = sidecars.map((s) => ({ file: path.join(workDir, s.file), suffix: s.suffix }));
      return result;
    } catch (err) {
      await unlink(part).catch(() => undefined);
      throw err;
    }
  }

  /**
   * Nothing is called completed unless it is media: an empty body, or bytes ffmpeg cannot read as
   * a container with at least one audio or video stream (random bytes, an HTML page served as a
   * playlist), fail the job with the reason. Reads about a second of the file, not all of it.
   */
  private async verifyMedia(file: string, size: number, signal: AbortSignal): Promise<void> {
    if (size === 0) throw new AppError('empty_body', 'the server sent an empty body (0 bytes): there is nothing to file');
    try {
      await this.deps.ffmpeg.run(['-v', 'error', '-i', file, '-t', '1', '-map', '0:v?', '-map', '0:a?', '-c', 'copy', '-f', 'null', '-'], { signal });
    } catch (err) {
      if (signal.aborted) throw signal.reason;
      const reason = err instanceof AppError ? err.message.replace(/^ffmpeg failed \([^)]*\): /, '').replaceAll(file, 'the file') : String(err);
      throw new AppError('not_media', `the download is not a media file (${size} bytes that ffmpeg cannot read as audio or video: ${reason.slice(0, 300)})`, { cause: err });
    }
  }

  async removeWorkDir(jobId: string): Promise<void> {
    await rm(workDirOf(this.deps.tmpDir, jobId), { recursive: true, force: true });
  }
}
