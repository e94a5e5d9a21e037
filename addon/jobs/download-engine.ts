import { setMaxListeners } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, rm, stat, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { AppError } from '../errors.js';
import type { Clock } from '../platform/clock.js';
import type { FfmpegRunner } from '../platform/ffmpeg.js';
import type { HttpClient } from '../platform/http.js';
import type { Logger } from '../platform/logger.js';
import { ConnectionLimits, type DownloadContext, type ProgressSink } from '../download/context.js';
import { downloadDirect, moveFile, probeUrl } from '../download/direct-download.js';
import type { RetryPolicy } from '../download/retry.js';
import { sniff, type MediaKind } from '../download/sniff.js';
import { downloadHls, prepareHlsPlan } from '../hls/hls-download.js';
import { buildMergeArgs, concatList, type MergeInput } from '../hls/merge-args.js';
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
      const rec = JSON.parse(await readFile(path.join(workDir, OUTPUT_RECORD), 'utf8')) as { file?: unknown; ext?: unknown; size?: unknown; height?: unknown };
      if (typeof rec.file !== 'string' || rec.file.includes('/') || typeof rec.ext !== 'string' || typeof rec.size !== 'number') return null;
      const file = path.join(workDir, rec.file);
      const st = await stat(file);
      if (!st.isFile() || st.size !== rec.size) return null;
      return { file, ext: rec.ext, size: rec.size, height: typeof rec.height === 'number' ? rec.height : null };
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
      connections: extraLimits ?? this.deps.connections,
      concurrency: this.deps.segmentConcurrency,
      logger,
      signal,
      headers: requestHeaders(job),
      workDir,
      progress: hooks,
    };

    let kind = job.kind === 'recording' ? 'hls' : job.kind;
    if (existsSync(path.join(workDir, 'plan.json'))) kind = 'hls';
    let probe = null;
    if (kind !== 'hls') {
      probe = await probeUrl(ctx, job.url);
      kind = sniff(probe.head).kind === 'playlist' ? 'hls' : 'direct';
    }
    hooks.kind(kind);

    if (kind === 'hls') {
      const first = probe?.complete ? { text: probe.head.toString('utf8'), url: probe.finalUrl } : undefined;
      const plan = await prepareHlsPlan(ctx, { url: job.url, quality: job.quality }, first, { allowLive: true });
      if (plan.live) return this.record(job, ctx, plan, hooks);
      const result = await downloadHls(ctx, plan);
      hooks.phase('merging');
      const inputs: Array<MergeInput | null> = await Promise.all(
        result.tracks.map(async (track, t) => {
          if (track.files.length === 1) return { path: track.files[0]!, concat: false };
          const list = path.join(workDir, `t${t}.ffconcat`);
          await writeFile(list, concatList(track.files));
          return { path: list, concat: true };
        }),
      );
      const main = inputs[0]!;
      const audio = result.tracks[1] ? inputs[1]! : null;
      return this.finish(workDir, job.container, plan.variant?.height ?? null, signal, async (output) => {
        await this.deps.ffmpeg.run(buildMergeArgs({ main, audio, container: job.container, output }), {
          signal,
          onProgress: (t) => hooks.mergeProgress(result.duration > 0 ? Math.min(1, t / result.duration) : 0),
        });
      });
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
   * A live stream: record it (addon/live/) until it ends, a limit, the user's Stop, or an outage
   * longer than the tolerance; a VOD playlist never gets here, whatever the request asked.
   */
  private async record(job: Job, ctx: DownloadContext, plan: Parameters<typeof runRecordingPhase>[2]['plan'], hooks: RunHooks): Promise<RunResult> {
    hooks.kind('recording');
    const options = this.deps.live ?? { maxRecordingMinutes: 240, outageToleranceS: 300 };
    const result = await runRecordingPhase(
      ctx,
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
  private async finish(workDir: string, ext: string, height: number | null, signal: AbortSignal, write: (output: string) => Promise<void>): Promise<RunResult> {
    const name = `output.${ext}`;
    const file = path.join(workDir, name);
    const part = file + PART_SUFFIX;
    try {
      await write(part);
      if (signal.aborted) throw signal.reason;
      const { size } = await stat(part);
      await rename(part, file);
      const record = path.join(workDir, OUTPUT_RECORD);
      await writeFile(`${record}.tmp`, JSON.stringify({ file: name, ext, size, height }));
      await rename(`${record}.tmp`, record);
      // Segments, parts and journal are not needed any more: free the space while the transfer runs (or waits).
      for (const entry of await readdir(workDir)) {
        if (entry !== name && entry !== OUTPUT_RECORD) await rm(path.join(workDir, entry), { recursive: true, force: true });
      }
      return { file, ext, size, height };
    } catch (err) {
      await unlink(part).catch(() => undefined);
      throw err;
    }
  }

  async removeWorkDir(jobId: string): Promise<void> {
    await rm(workDirOf(this.deps.tmpDir, jobId), { recursive: true, force: true });
  }
}
