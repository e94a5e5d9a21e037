import { setMaxListeners } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdir, open, rm, stat, unlink, writeFile } from 'node:fs/promises';
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
import { MAX_COMPONENT_BYTES, PART_SUFFIX, titleFromUrl, uniqueName } from '../library/sanitize.js';
import type { Container, Job, JobKind } from './model.js';

export interface EngineDeps {
  http: HttpClient;
  clock: Clock;
  retry: RetryPolicy;
  connections: ConnectionLimits;
  ffmpeg: FfmpegRunner;
  logger: Logger;
  tmpDir: string;
  mediaDir: string;
  segmentConcurrency: number;
  /** Size of the ranges a direct file is split into (tests use small ones). */
  chunkBytes?: number;
}

/** How a running job tells its owner what happens; progress is hot, phase and kind are durable. */
export interface RunHooks extends ProgressSink {
  kind(kind: JobKind): void;
  phase(phase: 'merging'): void;
  /** Merge progress, 0..1. */
  mergeProgress(fraction: number): void;
}

export interface RunResult {
  /** Relative to the media dir. */
  filePath: string;
  size: number;
}

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
 * Runs one job from URL to a named file in the media dir: detect HLS or a plain file, fetch,
 * remux with ffmpeg where needed, then publish the file under its final name in one rename.
 */
export class DownloadEngine {
  /** Names handed out but not yet renamed into place, so two jobs never pick the same one. */
  private readonly reserved = new Set<string>();

  constructor(private readonly deps: EngineDeps) {}

  async run(job: Job, signal: AbortSignal, hooks: RunHooks, extraLimits: ConnectionLimits | null = null): Promise<RunResult> {
    const workDir = workDirOf(this.deps.tmpDir, job.id);
    await mkdir(workDir, { recursive: true });
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
    const title = job.title || titleFromUrl(job.url);

    let kind = job.kind;
    if (existsSync(path.join(workDir, 'plan.json'))) kind = 'hls';
    let probe = null;
    if (kind !== 'hls') {
      probe = await probeUrl(ctx, job.url);
      kind = sniff(probe.head).kind === 'playlist' ? 'hls' : 'direct';
    }
    hooks.kind(kind);

    if (kind === 'hls') {
      const first = probe?.complete ? { text: probe.head.toString('utf8'), url: probe.finalUrl } : undefined;
      const plan = await prepareHlsPlan(ctx, { url: job.url, quality: job.quality }, first);
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
      return this.publish(title, job.container, signal, async (output) => {
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
      return this.publish(title, job.container, signal, async (output) => {
        await this.deps.ffmpeg.run(buildMergeArgs({ main: { path: direct.file, concat: false }, audio: null, container: job.container, output }), { signal });
      });
    }
    const fromUrl = urlExtension(job.url);
    const ext = MEDIA_EXTENSIONS[fromUrl] === sniffed.kind || (sniffed.kind === 'unknown' && fromUrl) ? fromUrl : sniffed.kind === 'mkv' ? 'mkv' : sniffed.kind === 'mp4' ? 'mp4' : fromUrl || 'bin';
    return this.publish(title, ext, signal, (output) => moveFile(direct.file, output));
  }

  /**
   * Writes through `<name>.part` in the media dir and renames it into place, so a media
   * server scanning the folder never sees a half-written file.
   */
  private async publish(title: string, ext: Container | string, signal: AbortSignal, write: (output: string) => Promise<void>): Promise<RunResult> {
    await mkdir(this.deps.mediaDir, { recursive: true });
    const taken = (name: string): boolean =>
      this.reserved.has(name) || existsSync(path.join(this.deps.mediaDir, name)) || existsSync(path.join(this.deps.mediaDir, name + PART_SUFFIX));
    const name = uniqueName(title, ext, taken, MAX_COMPONENT_BYTES - Buffer.byteLength(PART_SUFFIX));
    this.reserved.add(name);
    const finalPath = path.join(this.deps.mediaDir, name);
    const partPath = finalPath + PART_SUFFIX;
    try {
      await write(partPath);
      if (signal.aborted) throw signal.reason;
      const { size } = await stat(partPath);
      await moveFile(partPath, finalPath);
      return { filePath: name, size };
    } catch (err) {
      await unlink(partPath).catch(() => undefined);
      throw err;
    } finally {
      this.reserved.delete(name);
    }
  }

  async removeWorkDir(jobId: string): Promise<void> {
    await rm(workDirOf(this.deps.tmpDir, jobId), { recursive: true, force: true });
  }
}
