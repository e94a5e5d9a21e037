import path from 'node:path';
import { AppError, errorMessage } from '../errors.js';
import type { ContentType } from '../domain/content.js';
import type { Clock } from '../platform/clock.js';
import type { Logger } from '../platform/logger.js';
import type { DestinationService } from './destination-service.js';
import { isRetryable } from './destinations/errors.js';
import { transferFile, type TransferResult } from './destinations/transfer.js';
import type { JobTransfer } from './job-transfer.js';
import type { Destination } from './destinations/types.js';
import { DEFAULT_DESTINATION_ID, type DestinationRecord } from './model.js';
import { pathForJob, recordingDate, type JobNamingData } from './naming.js';
import { titleFromUrl } from './sanitize.js';

/**
 * What a transfer needs to know about a job (jobs/model.ts's Job has all of it): the library
 * names and routes files without depending on jobs/, which depends on it.
 */
export interface TransferJob {
  id: string;
  url: string;
  title: string;
  quality: string;
  content_type: ContentType | null;
  file_path: string | null;
  show?: string | null | undefined;
  year?: number | null | undefined;
  season?: number | null | undefined;
  episode?: number | null | undefined;
  episode_title?: string | null | undefined;
  tmdb_id?: number | null | undefined;
  destination?: string | null | undefined;
  transfer?: JobTransfer | null | undefined;
  /** Subtitle sidecars delivered beside file_path (relative paths). */
  sidecar_paths?: string[] | undefined;
  /** A recording's channel and start name it (`{channel}`, `{date}`). */
  live?: { channel?: string | null | undefined } | null | undefined;
  recording?: { started_at: string | null } | null | undefined;
  started_at?: string | null | undefined;
  created_at?: string | undefined;
}

/** A finished download in the job's work dir, ready to go to the library. */
export interface FinishedFile {
  /** Absolute path. */
  file: string;
  /** Extension without the dot (mp4, mkv, ...). */
  ext: string;
  size: number;
  /** Height of the video when the engine knows it (the HLS variant chosen), else null. */
  height: number | null;
  /**
   * Subtitle files that go beside the video (subtitles_as sidecar or both): `suffix` replaces
   * the video's extension, `.pt-BR.srt` or `.en.forced.srt`, so players pair them by name.
   */
  sidecars?: Array<{ file: string; suffix: string }>;
  /** A recording's (or one split part's) start (ISO): its name's `{date}`. */
  started_at?: string;
}

export interface TransferPlan {
  destination: DestinationRecord;
  /** Relative to the destination's folder. */
  path: string;
}

export interface TransferHooks {
  /** Before every attempt: the caller records where the file goes (job.transfer) durably. */
  attempt(plan: TransferPlan): Promise<void> | void;
  /** Bytes at the destination so far, and the file's size. */
  progress(bytes: number, total: number): void;
  /** A retryable failure: the job keeps `transferring`, shows the error and waits until nextAttemptAt. */
  waiting(info: { error: AppError; nextAttemptAt: number; waitingSince: number }): Promise<void> | void;
}

export interface Delivered {
  destination: DestinationRecord;
  result: TransferResult;
  /** cleanup_local false on a remote destination: where the local copy stays (relative to the media dir). */
  localCopy: string | null;
  /** Subtitle sidecars delivered beside the file (relative paths); absent when there are none. */
  sidecars?: string[];
}

export interface TransferServiceOptions {
  /** How long a job waits for a destination that is down before it fails (transfer_retry_limit_minutes). */
  retryLimitMs: number;
  /** Waits between attempts, the last one repeating: 15 s, 30 s, 1 min, 2 min, then 5 min. */
  backoffMs?: readonly number[];
}

/** Where downloads write their finished files inside a local destination before filing them (a hard link). */
export const STAGING_FOLDER = '.m3u-downloader-incoming';

export const DEFAULT_TRANSFER_BACKOFF_MS: readonly number[] = [15_000, 30_000, 60_000, 120_000, 300_000];

/**
 * The naming tokens of a job (templates in naming.ts). A movie title that ends in its year in
 * parentheses ("Big Buck Bunny (2008)", as people and the panel write it) gives the year and
 * loses it, so the movie template does not say "(2008) (2008)"; a different year is left alone.
 */
export function namingDataOf(job: TransferJob, file: Pick<FinishedFile, 'ext' | 'height' | 'started_at'>): JobNamingData {
  const quality = file.height ? `${file.height}p` : /^\d{3,4}p$/.test(job.quality) ? job.quality : null;
  let title = job.title || titleFromUrl(job.url);
  let year = job.year ?? null;
  const tagged = /^(.*\S)\s*\((\d{4})\)$/.exec(title);
  if (job.content_type === 'movie' && tagged && (year === null || Number(tagged[2]) === year)) {
    title = tagged[1]!;
    year = Number(tagged[2]);
  }
  return {
    content_type: job.content_type,
    title,
    year,
    show: job.show ?? null,
    season: job.season ?? null,
    episode: job.episode ?? null,
    episode_title: job.episode_title ?? null,
    tmdb_id: job.tmdb_id ?? null,
    quality,
    ext: file.ext,
    channel: job.live?.channel ?? job.show ?? null,
    date: dateOf(file.started_at ?? job.recording?.started_at ?? job.started_at ?? job.created_at),
  };
}

function dateOf(iso: string | null | undefined): string | null {
  const t = iso ? Date.parse(iso) : NaN;
  return Number.isFinite(t) ? recordingDate(new Date(t)) : null;
}

function humanDuration(ms: number): string {
  const min = Math.round(ms / 60_000);
  if (min < 1) return `${Math.round(ms / 1000)} s`;
  if (min < 120) return `${min} min`;
  return `${Math.round(min / 60)} h`;
}

/**
 * Puts a finished download into the library:
 *
 * - Where: the job's explicit destination (when it exists and is enabled), else the first
 *   enabled destination whose content_types include the job's type (none: `other`) and whose
 *   quality range accepts its height (unknown height: accepted), else the default (MEDIA_DIR).
 *   The choice and the templated path are recorded on the job at the first attempt and kept for
 *   every retry (so an interrupted upload resumes the same .part), unless that destination was
 *   deleted or disabled meanwhile.
 * - How: transferFile (mkdir -p, `<name>.part`, size check, no-replace rename, " (2)" on a
 *   collision; a hard link on the same filesystem), inside the destination's transfer slots.
 *   The local file is left to the caller, which deletes the work dir once the job is recorded
 *   as completed: a crash in between costs a re-check, never the file.
 * - When the destination is down (retryable: unreachable, protocol error, size mismatch): the
 *   job waits, 15 s, 30 s, 1 min, 2 min, then every 5 min, or at once when a health check sees
 *   the destination online again, until `retryLimitMs` from the first failure; then it fails
 *   with the last error and keeps the file for a retry. Anything else (credentials, permission,
 *   missing share, full disk) fails at once with the adapter's message.
 */
export class TransferService {
  private readonly backoff: readonly number[];

  constructor(
    private readonly deps: {
      destinations: DestinationService;
      clock: Clock;
      logger: Logger;
      options: TransferServiceOptions;
    },
  ) {
    this.backoff = deps.options.backoffMs?.length ? deps.options.backoffMs : DEFAULT_TRANSFER_BACKOFF_MS;
  }

  /** Whether a destination id exists (a job may name it). */
  knows(id: string): boolean {
    return this.deps.destinations.find(id) !== undefined;
  }

  /** Which destination a job goes to (see the class comment). */
  route(job: TransferJob, height: number | null): DestinationRecord {
    const all = this.deps.destinations.list();
    if (job.destination) {
      const explicit = all.find((d) => d.id === job.destination);
      if (explicit && explicit.enabled !== false) return explicit;
      this.deps.logger.warn({ jobId: job.id, destination: job.destination }, 'the destination asked for is gone or disabled: choosing by content type');
    }
    const type = job.content_type ?? 'other';
    for (const d of all) {
      if (d.id === DEFAULT_DESTINATION_ID || d.enabled === false) continue;
      if (!(d.content_types ?? []).includes(type)) continue;
      if (height !== null && ((d.quality_min != null && height < d.quality_min) || (d.quality_max != null && height > d.quality_max))) continue;
      return d;
    }
    return this.deps.destinations.defaultRecord();
  }

  /**
   * Destination and templated path for a job, reusing what an earlier attempt recorded unless
   * that destination was deleted or disabled since.
   */
  plan(job: TransferJob, file: FinishedFile): TransferPlan {
    const pinned = job.transfer ? this.deps.destinations.find(job.transfer.destination_id) : undefined;
    if (pinned && pinned.enabled !== false && job.transfer?.path) return { destination: pinned, path: job.transfer.path };
    const destination = this.route(job, file.height);
    return { destination, path: pathForJob(namingDataOf(job, file), destination.naming) };
  }

  /**
   * A folder on the filesystem of the local destination this job will go to, where the download
   * can write its finished file so that filing it is a hard link, not a copy across mounts
   * (/data and /media are different mounts in the add-on). Hidden (a dot folder, which Plex,
   * Jellyfin and Kodi do not scan) at the destination's root. Null for remote destinations (they
   * keep their upload) and for a local one with a bandwidth limit (the copy honours it).
   */
  stagingDir(job: TransferJob, file: Pick<FinishedFile, 'ext' | 'height'>): string | null {
    const { destination } = this.plan(job, { file: '', size: 0, ...file });
    if (destination.kind !== 'local' || destination.enabled === false) return null;
    if (typeof destination.bandwidth_limit_kbps === 'number' && destination.bandwidth_limit_kbps > 0) return null;
    const adapter = this.deps.destinations.adapter(destination.id);
    const root = adapter.describe('');
    return path.isAbsolute(root) ? path.join(root, STAGING_FOLDER) : null;
  }

  /**
   * The folders of the enabled local destinations: downloads write into them (a remux into the
   * staging folder, the final copy), so the free-space guard watches their filesystems too.
   */
  localFolders(): string[] {
    const folders: string[] = [];
    for (const d of this.deps.destinations.list()) {
      if (d.kind !== 'local' || d.enabled === false) continue;
      try {
        const root = this.deps.destinations.adapter(d.id).describe('');
        if (path.isAbsolute(root)) folders.push(root);
      } catch {
        // a destination that cannot be opened is reported by its health check
      }
    }
    return folders;
  }

  /** The staging folder of every enabled local destination (they may not exist yet). */
  stagingFolders(): string[] {
    return this.localFolders().map((root) => path.join(root, STAGING_FOLDER));
  }

  async deliver(job: TransferJob, file: FinishedFile, signal: AbortSignal, hooks: TransferHooks, options: { keepPartialOnAbort?: () => boolean } = {}): Promise<Delivered> {
    const logger = this.deps.logger.child({ jobId: job.id });
    let failures = 0;
    for (;;) {
      const plan = this.plan(job, file);
      const id = plan.destination.id;
      // Same destination and path as a recorded attempt: a file of our size there is ours.
      const retrying = Boolean(job.transfer && job.transfer.attempts > 0 && job.transfer.destination_id === id && job.transfer.path === plan.path);
      await hooks.attempt(plan);
      try {
        const release = await this.deps.destinations.acquire(id, signal);
        let result: TransferResult;
        let sidecars: string[] = [];
        try {
          result = await transferFile(this.deps.destinations.adapter(id), file.file, plan.path, {
            signal,
            onProgress: (bytes, total) => hooks.progress(bytes, total),
            onCollision: 'uniquify',
            adoptExisting: retrying,
            ...(options.keepPartialOnAbort ? { keepPartialOnAbort: options.keepPartialOnAbort } : {}),
            logger,
          });
          sidecars = await this.deliverSidecars(this.deps.destinations.adapter(id), file, result.relPath, signal, logger);
        } finally {
          release();
        }
        this.deps.destinations.reportSuccess(id);
        const localCopy = id !== DEFAULT_DESTINATION_ID && plan.destination.cleanup_local === false ? await this.keepLocalCopy(job, file, signal) : null;
        logger.info({ destination: id, path: result.relPath, method: result.method, bytes: result.bytes, resumedFrom: result.resumedFrom }, 'transferred to the library');
        return { destination: plan.destination, result, localCopy, sidecars };
      } catch (err) {
        if (signal.aborted) throw err;
        const app = err instanceof AppError ? err : new AppError('transfer_failed', errorMessage(err), { cause: err });
        if (app.code.startsWith('destination_') && app.code !== 'destination_invalid_path' && app.code !== 'destination_exists') {
          this.deps.destinations.reportFailure(id, app);
        }
        if (!isRetryable(app)) throw app;
        const now = this.deps.clock.now();
        const since = job.transfer?.waiting_since ? Date.parse(job.transfer.waiting_since) : now;
        const limit = this.deps.options.retryLimitMs;
        if (now - since >= limit) {
          throw new AppError(
            app.code,
            `${app.message} (gave up after ${humanDuration(Math.max(limit, now - since))} of retrying; the downloaded file is kept and "retry" sends it again)`,
            { httpStatus: app.httpStatus, cause: app },
          );
        }
        const delay = Math.min(this.backoff[Math.min(failures, this.backoff.length - 1)]!, Math.max(0, since + limit - now));
        failures++;
        logger.warn({ destination: id, code: app.code, error: app.message, retryInMs: delay }, 'destination not reachable: the transfer waits and tries again');
        await hooks.waiting({ error: app, nextAttemptAt: now + delay, waitingSince: since });
        await this.deps.destinations.waitForRetry(id, delay, signal);
      }
    }
  }

  /**
   * Subtitle sidecars beside the video, named after it as it landed (" (2)" included): the same
   * .part + size check + rename as the video, so a media server never reads half a file. A
   * sidecar of the same size already there is this one (a retry); a different one is left
   * alone with a warning rather than replaced.
   */
  private async deliverSidecars(dest: Destination, file: FinishedFile, videoRel: string, signal: AbortSignal, logger: Logger): Promise<string[]> {
    const delivered: string[] = [];
    if (!file.sidecars?.length) return delivered;
    const stem = videoRel.slice(0, videoRel.length - path.posix.extname(videoRel).length);
    for (const sidecar of file.sidecars) {
      try {
        const res = await transferFile(dest, sidecar.file, `${stem}${sidecar.suffix}`, { signal, onCollision: 'fail', adoptExisting: true, logger });
        delivered.push(res.relPath);
      } catch (err) {
        if (err instanceof AppError && err.code === 'destination_exists') {
          logger.warn({ path: `${stem}${sidecar.suffix}` }, 'a different subtitle file is already beside the video: not replaced');
          continue;
        }
        throw err;
      }
    }
    return delivered;
  }

  /** cleanup_local false: the file also stays in the media dir, under the default destination's templates. */
  private async keepLocalCopy(job: TransferJob, file: FinishedFile, signal: AbortSignal): Promise<string | null> {
    const local = this.deps.destinations.defaultRecord();
    try {
      const adapter = this.deps.destinations.adapter(local.id);
      const res = await transferFile(adapter, file.file, pathForJob(namingDataOf(job, file), local.naming), {
        signal,
        onCollision: 'uniquify',
      });
      await this.deliverSidecars(adapter, file, res.relPath, signal, this.deps.logger.child({ jobId: job.id }));
      return res.relPath;
    } catch (err) {
      if (signal.aborted) throw err;
      this.deps.logger.warn({ jobId: job.id, err: errorMessage(err) }, 'could not keep the local copy in the media folder (cleanup_local is off)');
      return null;
    }
  }

  /** DELETE /api/downloads/:id?delete_file=true: the finished file, wherever it went. */
  async removeFile(job: TransferJob): Promise<void> {
    if (!job.file_path) return;
    const id = job.transfer?.destination_id ?? DEFAULT_DESTINATION_ID;
    if (!this.deps.destinations.find(id)) {
      this.deps.logger.warn({ jobId: job.id, destination: id, file: job.file_path }, 'the destination of this file was deleted: the file is left where it is');
      return;
    }
    const adapter = this.deps.destinations.adapter(id);
    await adapter.remove(job.file_path);
    for (const sidecar of job.sidecar_paths ?? []) await adapter.remove(sidecar);
  }
}
