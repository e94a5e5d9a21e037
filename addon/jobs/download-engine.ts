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
import { downloadHls, prepareHlsPlan, readSavedPlan, trackMeta, type AppendObserver, type HlsPlan, type HlsResult, type HlsTrackResult } from '../hls/hls-download.js';
import { buildMergeArgs, concatList, moovReserve, type AudioTrackInput, type MergeInput, type MergeSpec } from '../hls/merge-args.js';
import { mp4Problem, readMp4Layout } from '../download/mp4-layout.js';
import { StreamedRemux } from './streamed-remux.js';
import { sidecarNames, writeSubtitles } from '../tracks/subtitle-files.js';
import type { RecordingStatus } from '../live/model.js';
import { finishedRecording, recordingLimits, runRecordingPhase, type RecordedFile, type RecordingOptions } from '../live/recording-phase.js';
import type { FinishedFile } from '../library/transfer-service.js';
import { PART_SUFFIX } from '../domain/media.js';
import type { Job, JobKind } from './model.js';
import { firstResponseEvidence, type StreamEvidence } from '../probe/title-evidence.js';
import { mediaTitleOf } from '../titles/media-title.js';
import { titleMaySettle } from '../titles/title-rule.js';

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
  /** Remux HLS/DASH while it downloads (default true); false merges after the last segment. */
  streamRemux?: boolean;
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
  /**
   * A folder on the library's filesystem where the finished file may be written (the local
   * destination the job will go to), so filing it is a link or rename instead of a copy across
   * mounts; null or absent: the job's work dir.
   */
  outputDir?(file: { ext: string; height: number | null }): Promise<string | null>;
  /**
   * What the stream says its title is, as the download finds it: the first response's
   * Content-Disposition, a playlist's title, a file's title tag (from its first bytes, then from
   * the finished file). Called with more evidence as it comes; the runner settles the title.
   */
  titleEvidence?(evidence: StreamEvidence): void;
}

/** Where a remux writes: `<dir>/<name>.part`, renamed to `<dir>/<name>` once checked. */
interface OutputLocation {
  dir: string;
  name: string;
  /** Outside the work dir (a staging folder in the library's filesystem). */
  staged: boolean;
}

/** The streamed remux could not be trusted: the classic merge from the part files takes over. */
class StreamFallback extends Error {}

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
/** Names the staging folder a job's output is written to (so removing the job removes it there too). */
const STAGING_RECORD = 'staging.json';

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

/** The title tag of a downloaded file, read with positioned reads (never the whole file). */
async function fileMediaTitle(file: string, head: Buffer, size: number): Promise<string | null> {
  const fh = await open(file, 'r');
  try {
    return await mediaTitleOf(head, async (offset, length) => {
      const buf = Buffer.alloc(Math.max(0, Math.min(length, size - offset)));
      const { bytesRead } = await fh.read(buf, 0, buf.length, offset);
      return buf.subarray(0, bytesRead);
    }, size);
  } finally {
    await fh.close();
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
      const rec = JSON.parse(await readFile(path.join(workDir, OUTPUT_RECORD), 'utf8')) as { file?: unknown; dir?: unknown; ext?: unknown; size?: unknown; height?: unknown; sidecars?: unknown };
      if (typeof rec.file !== 'string' || rec.file.includes('/') || typeof rec.ext !== 'string' || typeof rec.size !== 'number') return null;
      if (rec.dir !== undefined && (typeof rec.dir !== 'string' || !path.isAbsolute(rec.dir))) return null;
      const file = path.join(typeof rec.dir === 'string' ? rec.dir : workDir, rec.file);
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
    // The title's evidence in the first response (headers, first bytes): no request of its own.
    if (probe && hooks.titleEvidence) {
      const evidence = await firstResponseEvidence(kind, probe, null).catch(() => null);
      if (evidence) hooks.titleEvidence(evidence);
    }

    if (kind === 'hls' || kind === 'dash') {
      const first = probe?.complete ? { text: probe.head.toString('utf8'), url: probe.finalUrl } : undefined;
      const request = { url: job.url, quality: job.quality, audioLanguages: job.audio_languages, subtitleLanguages: job.subtitle_languages };
      const plan = saved ?? (kind === 'dash' ? await prepareDashPlan(ctx, request, first) : await prepareHlsPlan(ctx, request, first, { allowLive: true }));
      if (plan.live) return this.record(job, ctx, plan, hooks);
      const height = plan.variant?.height ?? null;
      const location = await this.outputLocation(job, workDir, height, hooks, logger);
      let streamed: StreamedRemux | null = null;
      let inputOf: number[] = [];
      const observer: AppendObserver | undefined =
        this.deps.streamRemux === false
          ? undefined
          : {
              start: (tracks) => {
                const started = this.startStreamedRemux(job, plan, tracks, location, hooks);
                if (started) ({ remux: streamed, inputOf } = started);
              },
              appended: (t, _p, size) => {
                const n = inputOf[t];
                if (n !== undefined && n >= 0) streamed?.appended(n, size);
              },
            };
      let result: HlsResult;
      try {
        // Expired signed URLs are refreshed through the HLS playlists; a DASH plan has none to re-read.
        result = await downloadHls(ctx, plan, plan.source === 'dash' ? undefined : { url: job.url, quality: job.quality }, observer);
      } catch (err) {
        const remux = streamed as StreamedRemux | null;
        if (remux) {
          await remux.abort();
          await unlink(path.join(location.dir, location.name + PART_SUFFIX)).catch(() => undefined);
        }
        throw err;
      }
      hooks.phase('merging');
      const remux = streamed as StreamedRemux | null;
      if (remux) {
        try {
          return await this.finish(
            workDir,
            job.container,
            height,
            signal,
            async (output) => {
              // Final size of every input, in ffmpeg's order.
              const sizes: number[] = [];
              for (const [t, track] of result.tracks.entries()) {
                const n = inputOf[t] ?? -1;
                if (n >= 0) sizes[n] = (await stat(track.files[0]!)).size;
              }
              logger.debug('last segment appended: waiting for the remux to finish');
              const problem = await remux.finish(sizes);
              logger.debug({ problem }, 'remux finished');
              if (signal.aborted) throw signal.reason;
              if (problem) throw new StreamFallback(problem);
              const layoutProblem = job.container === 'mp4' ? await this.mp4LayoutProblem(output) : null;
              if (layoutProblem) throw new StreamFallback(layoutProblem);
            },
            [],
            location,
            true,
          );
        } catch (err) {
          if (!(err instanceof StreamFallback)) throw err;
          logger.warn({ reason: err.message }, 'the remux made while downloading is not usable: remuxing again from the downloaded parts');
        }
      }
      return this.mergeTracks(job, workDir, result, height, signal, hooks, location);
    }

    const direct = await downloadDirect(ctx, probe!, this.deps.chunkBytes);
    const head = Buffer.alloc(64 * 1024);
    const fh = await open(direct.file, 'r');
    const { bytesRead } = await fh.read(head, 0, head.length, 0).finally(() => fh.close());
    const sniffed = sniff(head.subarray(0, bytesRead));
    if (hooks.titleEvidence && titleMaySettle(job.title_from) && (sniffed.kind === 'mp4' || sniffed.kind === 'mkv')) {
      // A tag the first bytes did not hold (an MP4 whose moov follows the media data): read where
      // the structure points, from the file now on disk (a few bounded reads, no request).
      const mediaTitle = await fileMediaTitle(direct.file, head.subarray(0, bytesRead), direct.size).catch((err: unknown) => {
        logger.debug({ err }, 'could not read the title tag of the downloaded file');
        return null;
      });
      if (mediaTitle) hooks.titleEvidence({ mediaTitle });
    }
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
  async mergeTracks(
    job: Job,
    workDir: string,
    result: HlsResult,
    height: number | null,
    signal: AbortSignal,
    hooks: Pick<RunHooks, 'mergeProgress'>,
    location?: OutputLocation,
  ): Promise<RunResult> {
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
        const spec: MergeSpec = { main: mainInput, audio: null, audioTracks, mainAudio: main.mainAudio ?? null, subtitles: embedded, container: job.container, output };
        const onProgress = (t: number): void => hooks.mergeProgress(result.duration > 0 ? Math.min(1, t / result.duration) : 0);
        if (job.container !== 'mp4') {
          await this.deps.ffmpeg.run(buildMergeArgs(spec), { signal, onProgress });
          return;
        }
        // The index goes into room reserved at the front: one pass, no +faststart rewrite. If the
        // room was too small (more samples than the estimate), ffmpeg leaves no index: once more with +faststart.
        await this.deps.ffmpeg.run(buildMergeArgs({ ...spec, moovSize: moovReserve(result.duration, audioTracks.length) }), { signal, onProgress });
        const problem = await this.mp4LayoutProblem(output);
        if (problem) {
          this.deps.logger.warn({ jobId: job.id, problem }, 'the room reserved for the MP4 index was not enough: remuxing with +faststart');
          await this.deps.ffmpeg.run(buildMergeArgs(spec), { signal, onProgress });
        }
      },
      sidecars,
      location,
      true,
    );
  }

  /**
   * Starts ffmpeg on the growing part files when the tracks allow it: a video track plus
   * separate audio renditions, each one part (no discontinuity), no subtitles to join. Returns
   * the remux and, per plan track, its ffmpeg input number (-1: not an input).
   */
  private startStreamedRemux(
    job: Job,
    plan: HlsPlan,
    tracks: Parameters<AppendObserver['start']>[0],
    location: OutputLocation,
    hooks: Pick<RunHooks, 'mergeProgress'>,
  ): { remux: StreamedRemux; inputOf: number[] } | null {
    if (tracks.length === 0 || tracks.some((t) => t.parts.length !== 1 || t.kind === 'subtitle')) return null;
    const mainIndex = tracks.findIndex((t) => t.kind === 'video');
    if (mainIndex < 0) return null;
    const audioIndexes = tracks.map((t, i) => (t.kind === 'audio' ? i : -1)).filter((i) => i >= 0);
    const order = [mainIndex, ...audioIndexes];
    const inputOf = tracks.map((_, t) => order.indexOf(t));
    const meta = (t: number) => trackMeta(plan.tracks[t]!);
    const mainAudio = plan.tracks[mainIndex]!.mainAudio ?? null;
    const anyDefault = audioIndexes.some((t) => meta(t).isDefault) || mainAudio?.isDefault === true;
    const duration = plan.tracks[mainIndex]!.media?.totalDuration ?? null;
    const output = path.join(location.dir, location.name + PART_SUFFIX);
    const remux = StreamedRemux.start(
      this.deps.ffmpeg,
      order.map((t) => tracks[t]!.parts[0]!),
      (inputs: string[]) => {
        const audioTracks: AudioTrackInput[] = audioIndexes.map((t, n) => ({
          input: { path: inputs[1 + n]!, concat: false },
          language: meta(t).language,
          title: meta(t).title,
          isDefault: anyDefault ? meta(t).isDefault : n === 0 && !mainAudio,
        }));
        const spec: MergeSpec = { main: { path: inputs[0]!, concat: false }, audio: null, audioTracks, mainAudio, subtitles: [], container: job.container, output };
        // Without a known duration (an HLS plan keeps the playlist text) the reserve is sized from the playlist below.
        const seconds = duration ?? this.planDuration(plan, mainIndex);
        return buildMergeArgs(job.container === 'mp4' ? { ...spec, moovSize: moovReserve(seconds, audioTracks.length) } : spec);
      },
      (t: number) => {
        const seconds = duration ?? this.planDuration(plan, mainIndex);
        hooks.mergeProgress(seconds > 0 ? Math.min(1, t / seconds) : 0);
      },
    );
    this.deps.logger.debug({ jobId: job.id, inputs: order.length, output }, 'remuxing while downloading');
    return { remux, inputOf };
  }

  private readonly durations = new WeakMap<HlsPlan, number>();

  /** The main track's duration from its saved playlist (parsed once per plan). */
  private planDuration(plan: HlsPlan, t: number): number {
    const known = this.durations.get(plan);
    if (known !== undefined) return known;
    const track = plan.tracks[t]!;
    let seconds = track.media?.totalDuration ?? 0;
    if (!track.media && track.text) {
      for (const m of track.text.matchAll(/#EXTINF:\s*([\d.]+)/g)) seconds += Number(m[1]);
    }
    this.durations.set(plan, seconds);
    return seconds;
  }

  /** Why a remuxed MP4 is not whole and moov-first, or null; reads box headers and the index only. */
  private async mp4LayoutProblem(file: string): Promise<string | null> {
    try {
      const layout = await readMp4Layout(file);
      return mp4Problem(layout, layout.fileSize);
    } catch (err) {
      return err instanceof Error ? err.message : String(err);
    }
  }

  /**
   * The job's work dir, or a staging folder the owner names on the library's filesystem (a
   * local destination): then the remux output is already where it goes and filing it is a link.
   */
  private async outputLocation(job: Job, workDir: string, height: number | null, hooks: RunHooks, logger: Logger): Promise<OutputLocation> {
    const ext = job.container;
    let dir: string | null = null;
    try {
      dir = (await hooks.outputDir?.({ ext, height })) ?? null;
      if (dir !== null) {
        await mkdir(dir, { recursive: true });
        await writeFile(path.join(workDir, STAGING_RECORD), JSON.stringify({ dir, name: `${job.id}.${ext}` }));
      }
    } catch (err) {
      logger.warn({ dir, err: err instanceof Error ? err.message : String(err) }, 'cannot write the output into the library folder: it is written to the work dir and copied');
      dir = null;
    }
    if (dir === null || !path.isAbsolute(dir)) return { dir: workDir, name: `output.${ext}`, staged: false };
    return { dir, name: `${job.id}.${ext}`, staged: true };
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
    location: OutputLocation = { dir: workDir, name: `output.${ext}`, staged: false },
    remuxed = false,
  ): Promise<RunResult> {
    const name = location.name;
    const file = path.join(location.dir, name);
    const part = file + PART_SUFFIX;
    try {
      await write(part);
      if (signal.aborted) throw signal.reason;
      const { size } = await stat(part);
      if (remuxed && ext === 'mp4') await this.verifyRemuxedMp4(part, size);
      else await this.verifyMedia(part, size, signal);
      await rename(part, file);
      const sidecars: Sidecar[] = [];
      for (const [n, s] of sidecarFiles.entries()) {
        const sidecarName = `sidecar-${n}${s.suffix}`;
        await rename(s.path, path.join(workDir, sidecarName));
        sidecars.push({ file: sidecarName, suffix: s.suffix, size: (await stat(path.join(workDir, sidecarName))).size });
      }
      const record = path.join(workDir, OUTPUT_RECORD);
      await writeFile(`${record}.tmp`, JSON.stringify({ file: name, ...(location.staged ? { dir: location.dir } : {}), ext, size, height, ...(sidecars.length > 0 ? { sidecars } : {}) }));
      await rename(`${record}.tmp`, record);
      // Segments, parts and journal are not needed any more: free the space while the transfer runs (or waits).
      const keep = new Set([name, OUTPUT_RECORD, STAGING_RECORD, ...sidecars.map((s) => s.file)]);
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
   * The cheap check of an MP4 ffmpeg itself muxed (it exited 0, and a streamed remux was fed every
   * journalled byte): ftyp first, the index (moov) before the media, the boxes ending exactly at
   * the end of the file, at least one audio or video track in the index. Reads the box headers
   * and the index at the front, not the media; the old check read a second of it through ffmpeg.
   */
  private async verifyRemuxedMp4(file: string, size: number): Promise<void> {
    if (size === 0) throw new AppError('empty_body', 'the remux produced an empty file');
    const problem = await this.mp4LayoutProblem(file);
    if (problem) throw new AppError('not_media', `the remuxed file is not a complete MP4 (${problem})`);
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
    const workDir = workDirOf(this.deps.tmpDir, jobId);
    // A staged output lives in the library's filesystem: by now it is linked (or copied) to its
    // final name, or not wanted any more.
    try {
      const staging = JSON.parse(await readFile(path.join(workDir, STAGING_RECORD), 'utf8')) as { dir?: unknown; name?: unknown };
      if (typeof staging.dir === 'string' && path.isAbsolute(staging.dir) && typeof staging.name === 'string' && !staging.name.includes('/')) {
        await rm(path.join(staging.dir, staging.name), { force: true });
        await rm(path.join(staging.dir, staging.name + PART_SUFFIX), { force: true });
      }
    } catch {
      // nothing staged
    }
    await rm(workDir, { recursive: true, force: true });
  }
}
