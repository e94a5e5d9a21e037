/**
 * One job's run, phase by phase: download (the engine: probe, fetch, merge), transfer into the
 * library (destinations, naming), then completed; or a live recording, filed file by file. Each
 * run has an AbortSignal whose reason (a StopRequest) says how it ends: paused, cancelled, back
 * to the queue (shutdown, a hold) or deleted. What runs when is the scheduler's and the
 * service's; this file only knows one job at a time.
 *
 * Live figures (bytes, speed, progress) go to the progress tracker, never to the store; the
 * record changes at the steps a resume or a reader needs: kind, status, transfer, files.
 * Progress is published at most twice a second per job.
 */
import { AppError, errorMessage } from '../errors.js';
import type { AppEvents } from '../events/app-events.js';
import type { EventBus } from '../events/bus.js';
import type { Clock } from '../platform/clock.js';
import type { Logger } from '../platform/logger.js';
import { etaSeconds, SpeedMeter } from '../download/progress.js';
import { classifyError } from '../download/retry.js';
import type { ConnectionLimits } from '../download/context.js';
import type { FinishedFile, TransferService } from '../library/transfer-service.js';
import type { DownloadEngine, RunHooks, RunResult } from './download-engine.js';
import type { JobRepository } from './job-repository.js';
import { progressOf, type JobStates } from './job-states.js';
import type { Job, JobStatus } from './model.js';
import type { ProgressTracker } from './progress-tracker.js';
import type { RunPhase } from './scheduler.js';
import type { StreamEvidence } from '../probe/title-evidence.js';
import { suggestTitle, TITLE_SOURCES, titleMaySettle, type TitleSource } from '../titles/title-rule.js';

/** Why a running job was stopped: each reason ends in a different state. */
export class StopRequest extends Error {
  constructor(readonly reason: 'paused' | 'cancelled' | 'shutdown' | 'deleted' | 'held') {
    super(`job ${reason}`);
    this.name = 'AbortError';
  }
}

/** A write failed because the filesystem is full (ours, or ffmpeg's as it reports it). */
export function isNoSpace(err: unknown): boolean {
  for (let e = err as { code?: unknown; message?: unknown; cause?: unknown } | undefined, depth = 0; e && depth < 5; e = e.cause as typeof e, depth++) {
    if (e.code === 'ENOSPC' || (typeof e.message === 'string' && /no space left on device/i.test(e.message))) return true;
  }
  return false;
}

const PROGRESS_INTERVAL_MS = 500;
const UPDATE_INTERVAL_MS = 100;

/** A running job, as the service keeps it. */
export interface RunEntry {
  controller: AbortController;
  done: Promise<void>;
  meter: SpeedMeter;
  /**
   * download: holds one of max_concurrent_downloads (and of its source's limit). transfer: the
   * file is downloaded; only the destination's own transfer slots limit it, so a NAS that is down
   * never blocks the download queue. recording: a live stream, which runs in real time and must
   * start on time, so it holds no download slot (jobs/scheduler.ts).
   */
  phase: RunPhase;
  /** The user's Stop of a recording: it ends and files what it has (cancel discards). */
  recordingStop: AbortController;
}

export interface JobRunnerDeps {
  jobs: JobRepository;
  states: JobStates;
  progress: ProgressTracker;
  bus: EventBus<AppEvents>;
  engine: Pick<DownloadEngine, 'run' | 'finishedOutput' | 'removeWorkDir'>;
  transfers: Pick<TransferService, 'deliver' | 'stagingDir'>;
  clock: Clock;
  logger: Logger;
  /** The limits to run the job under (its source's connections); null for the engine's defaults. */
  connectionsFor?: (job: Job) => ConnectionLimits | null;
  /** The run gave up its download slot (downloaded, or found live): the queue may start another. */
  slotFreed: () => void;
  /**
   * A download hit ENOSPC. Resolves true when the queue is now held (the disk guard), so the
   * job goes back to the queue instead of failing; false (or absent) fails it.
   */
  diskFull?: (jobId: string, detail: string) => Promise<boolean>;
}

export class JobRunner {
  private readonly lastEmit = new Map<string, number>();
  private readonly pendingEmit = new Map<string, NodeJS.Timeout>();

  constructor(private readonly deps: JobRunnerDeps) {}

  private job(id: string): Job {
    const job = this.deps.jobs.find(id);
    if (!job) throw new Error(`job ${id} does not exist`);
    return job;
  }

  /** The job with its live figures: what the engine and the transfer read. */
  private view(id: string): Job {
    return this.deps.progress.view(this.job(id));
  }

  private iso(ms = this.deps.clock.now()): string {
    return new Date(ms).toISOString();
  }

  /** Shutdown: pending progress events are dropped. */
  stop(): void {
    for (const timer of this.pendingEmit.values()) clearTimeout(timer);
    this.pendingEmit.clear();
  }

  /** Drops a trailing progress event of `id` (its status changed: the status event says it all). */
  dropPendingProgress(id: string): void {
    const timer = this.pendingEmit.get(id);
    if (timer) clearTimeout(timer);
    this.pendingEmit.delete(id);
  }

  /** Runs the job until it completes, fails or is stopped; never throws. */
  async run(id: string, entry: RunEntry): Promise<void> {
    const logger = this.deps.logger.child({ jobId: id });
    this.deps.jobs.update(id, { started_at: this.job(id).started_at ?? this.iso(), error: null });
    const started = this.deps.clock.now();
    try {
      let output: RunResult | null;
      if (entry.phase === 'transfer') {
        output = await this.deps.engine.finishedOutput(id);
        if (!output) {
          // The downloaded file is gone (its work dir was removed): download it again. The job is
          // still pending (it never left the queue); without a transfer it waits for a download slot.
          logger.warn('the downloaded file is gone: downloading again');
          this.deps.states.update(id, { transfer: null }, { announce: true });
          return;
        }
      } else {
        this.transition(id, 'downloading');
        logger.info({ retry: this.job(id).retry_count }, 'download started');
        const job = this.job(id);
        output = await this.deps.engine.run(job, entry.controller.signal, this.hooks(id, entry), this.deps.connectionsFor?.(job) ?? null);
        const after = this.view(id);
        this.deps.progress.set(id, { segments_done: after.segments_total, bytes_total: after.kind === 'direct' ? output.size : after.bytes_total });
        // The download slot is free: the transfer has its own limits.
        entry.phase = 'transfer';
        this.deps.slotFreed();
      }
      if (output.recording) {
        const recorded = output.recording;
        this.deps.jobs.update(id, { recording: { ...recorded.status, files: this.job(id).recording?.files ?? [] } });
        this.deps.progress.set(id, { recording: recorded.status });
        await this.transferRecording(id, entry, recorded.files, logger);
      } else {
        await this.transfer(id, entry, output, logger);
      }
      this.deps.progress.set(id, { progress: 100, speed: 0, eta_s: 0 });
      this.transition(id, 'completed', { error: null, completed_at: this.iso() });
      // The work files go only once db.json says completed: a kill -9 before that write (up to
      // a second) would otherwise find the job unfinished and its files gone, and download it again.
      await this.deps.jobs.persisted();
      await this.deps.engine.removeWorkDir(id);
      const done = this.job(id);
      logger.info({ file: done.file_path, location: done.location, size: output.size, seconds: (this.deps.clock.now() - started) / 1000 }, 'download completed');
    } catch (err) {
      const reason = entry.controller.signal.reason as unknown;
      if (entry.controller.signal.aborted && reason instanceof StopRequest) {
        await this.stopped(id, reason);
        return;
      }
      if (entry.phase === 'download' && isNoSpace(err) && (await this.deps.diskFull?.(id, errorMessage(err)))) {
        this.deps.progress.set(id, { speed: 0, eta_s: null });
        this.transition(id, 'pending');
        logger.warn({ error: errorMessage(err) }, 'no space left on device: the download went back to the queue, which holds until there is room');
        return;
      }
      const code = err instanceof AppError ? err.code : classifyError(err) === 'fatal' ? 'download_failed' : 'network_error';
      const error = { code, message: errorMessage(err) };
      const job = this.job(id);
      this.deps.progress.set(id, { speed: 0, eta_s: null });
      this.transition(id, 'failed', { error, ...(job.transfer ? { transfer: { ...job.transfer, next_attempt_at: null } } : {}) });
      if (job.status === 'transferring') logger.warn({ code, error: error.message }, 'transfer failed; the downloaded file is kept, and a retry sends it again');
      else logger.warn({ code, error: error.message }, 'download failed; what was fetched is kept for a retry');
    }
  }

  private transition(id: string, status: JobStatus, patch: Partial<Job> = {}): Job {
    if (status !== 'downloading' && status !== 'merging') this.dropPendingProgress(id);
    return this.deps.states.transition(id, status, patch);
  }

  /**
   * `transferring`: the finished file goes to its library destination (TransferService). While
   * the destination is down the job stays here with `error` showing the last failure and
   * `transfer.next_attempt_at` the next try; pause and cancel work throughout.
   */
  private async transfer(id: string, entry: RunEntry, output: FinishedFile, logger: Logger): Promise<void> {
    const signal = entry.controller.signal;
    entry.meter = new SpeedMeter(() => this.deps.clock.now());
    this.deps.progress.set(id, { progress: 0, speed: 0, eta_s: null });
    // The second file of a split recording is transferred in the same status.
    if (this.job(id).status !== 'transferring') this.transition(id, 'transferring');
    let last = -1;
    let lastUpdate = 0;
    // The transfer reads `transfer` again after each attempt recorded it: a live view.
    const delivered = await this.deps.transfers.deliver(
      this.deps.jobs.live(id),
      output,
      signal,
      {
        attempt: async (plan) => {
          const prev = this.job(id).transfer;
          const same = prev?.destination_id === plan.destination.id;
          const transfer = {
            destination_id: plan.destination.id,
            destination_name: plan.destination.name,
            destination_kind: plan.destination.kind,
            path: plan.path,
            bytes_total: output.size,
            attempts: (prev?.attempts ?? 0) + 1,
            waiting_since: same ? (prev?.waiting_since ?? null) : null,
            next_attempt_at: null,
            method: null,
          };
          last = -1;
          this.deps.states.update(id, { transfer });
          logger.info({ destination: plan.destination.id, path: plan.path, attempt: transfer.attempts }, 'transfer started');
        },
        progress: (bytes, total) => {
          if (last >= 0 && bytes > last) entry.meter.add(bytes - last);
          last = bytes;
          const now = this.deps.clock.now();
          if (now - lastUpdate < UPDATE_INTERVAL_MS && bytes < total) return;
          lastUpdate = now;
          const speed = entry.meter.rate();
          this.deps.progress.set(id, {
            progress: total > 0 ? Math.min(99.9, Math.round((bytes / total) * 1000) / 10) : 0,
            speed,
            eta_s: etaSeconds(bytes, total, speed),
            updated_at: this.iso(now),
          });
          this.emitProgress(id, entry);
        },
        waiting: async ({ error, nextAttemptAt, waitingSince }) => {
          const transfer = this.job(id).transfer;
          this.deps.progress.set(id, { speed: 0, eta_s: null });
          // Same status, new error: subscribers that show the job (SSE, MQTT) refresh it.
          this.deps.states.update(
            id,
            { error: { code: error.code, message: error.message }, ...(transfer ? { transfer: { ...transfer, waiting_since: this.iso(waitingSince), next_attempt_at: this.iso(nextAttemptAt) } } : {}) },
            { announce: true },
          );
        },
      },
      // Pause and shutdown keep a partial upload to resume; cancel and delete remove it.
      { keepPartialOnAbort: () => !(signal.reason instanceof StopRequest && (signal.reason.reason === 'cancelled' || signal.reason.reason === 'deleted')) },
    );
    const transfer = this.job(id).transfer;
    this.deps.jobs.update(id, {
      file_path: delivered.result.relPath,
      location: delivered.result.location,
      ...(delivered.sidecars?.length ? { sidecar_paths: delivered.sidecars } : {}),
      ...(transfer ? { transfer: { ...transfer, waiting_since: null, next_attempt_at: null, method: delivered.result.method } } : {}),
    });
  }

  /**
   * Files a recording's files one after another (several when split_minutes cut it), noting each
   * in `recording.files` as it lands, so a restart or a retry sends only the ones still missing.
   */
  private async transferRecording(id: string, entry: RunEntry, files: readonly FinishedFile[], logger: Logger): Promise<void> {
    for (let i = this.job(id).recording?.files?.length ?? 0; i < files.length; i++) {
      await this.transfer(id, entry, files[i]!, logger);
      const job = this.job(id);
      const filed = [...(job.recording?.files ?? []), job.file_path!];
      // The next file gets its own destination path (a pinned transfer would reuse this one).
      this.deps.states.update(id, { recording: { ...job.recording!, files: filed }, ...(i < files.length - 1 ? { transfer: null } : {}) });
    }
  }

  private async stopped(id: string, request: StopRequest): Promise<void> {
    this.deps.progress.set(id, { speed: 0, eta_s: null });
    switch (request.reason) {
      case 'paused':
        this.transition(id, 'paused');
        break;
      case 'cancelled':
        this.transition(id, 'cancelled', { transfer: null });
        await this.deps.jobs.persisted();
        await this.deps.engine.removeWorkDir(id);
        break;
      case 'shutdown':
      case 'held':
        // Resumable: the next start (or resumeQueue) picks it up again from its journal. A job
        // stopped before its transfer phase changed its status is pending already.
        if (this.job(id).status !== 'pending') this.transition(id, 'pending');
        else this.deps.progress.delete(id);
        break;
      case 'deleted':
        this.deps.progress.delete(id);
        break;
    }
  }

  private hooks(id: string, entry: RunEntry): RunHooks {
    let network = 0;
    let resumed = 0;
    let lastUpdate = 0;
    const progress = this.deps.progress;
    // Chunks arrive thousands of times a second; the job's figures need ~10 updates a second.
    const update = (force = false): void => {
      const now = this.deps.clock.now();
      if (!force && now - lastUpdate < UPDATE_INTERVAL_MS) return;
      lastUpdate = now;
      const bytesDone = resumed + network;
      progress.set(id, { bytes_done: bytesDone, updated_at: this.iso(now) });
      const job = this.view(id);
      if (job.status === 'downloading' && job.kind !== 'recording') {
        const fraction = job.bytes_total && job.bytes_total > 0 ? bytesDone / job.bytes_total : job.segments_total > 0 ? job.segments_done / job.segments_total : 0;
        progress.set(id, { progress: Math.min(99.9, Math.round(fraction * 1000) / 10) });
      }
      this.emitProgress(id, entry);
    };
    const evidence: StreamEvidence = {};
    return {
      titleEvidence: (found) => {
        for (const [key, value] of Object.entries(found) as Array<[keyof StreamEvidence, string | null | undefined]>) if (value) evidence[key] = value;
        try {
          this.settleTitle(id, evidence);
        } catch (err) {
          // A title is never worth a failed download: the provisional one stays.
          this.deps.logger.warn({ jobId: id, err: errorMessage(err) }, 'could not settle the download\'s title');
        }
      },
      bytes: (n) => {
        network += n;
        entry.meter.add(n);
        this.deps.jobs.addTraffic(this.today(), n);
        update();
      },
      resumed: (bytes) => {
        resumed = bytes;
        update(true);
      },
      totals: ({ segmentsTotal, bytesTotal }) => {
        progress.set(id, { segments_total: segmentsTotal, bytes_total: bytesTotal });
        update();
      },
      segmentsDone: (n) => {
        progress.set(id, { segments_done: n });
        update();
      },
      warn: (message) => {
        this.deps.states.update(id, { warning: message }, { announce: true });
      },
      // The remux writes into the local destination's filesystem: filing it is a link, not a copy.
      outputDir: async (file) => this.deps.transfers.stagingDir(this.job(id), file),
      kind: (kind) => {
        const job = this.job(id);
        if (kind === 'recording') {
          progress.set(id, { segments_total: 0, bytes_total: null });
          this.deps.jobs.update(id, { kind, content_type: job.content_type ?? 'recording' });
          if (entry.phase === 'download') {
            // Found live at run time: it holds no download slot from here on.
            entry.phase = 'recording';
            queueMicrotask(() => this.deps.slotFreed());
          }
        } else {
          this.deps.jobs.update(id, { kind });
        }
      },
      recordingStop: entry.recordingStop.signal,
      recordingStarted: (status) => {
        progress.set(id, { recording: status });
        this.deps.jobs.update(id, { recording: { ...status, files: this.job(id).recording?.files ?? [] } });
        const job = this.view(id);
        this.deps.logger.info({ jobId: id }, 'recording started');
        this.deps.bus.emit('recording.started', { job });
      },
      recording: (status) => {
        progress.set(id, { recording: status });
        if (status.target_s && status.target_s > 0) progress.set(id, { progress: Math.min(99.9, Math.round(((status.recorded_s + status.lost_s) / status.target_s) * 1000) / 10) });
        update(true);
      },
      phase: (phase) => {
        update(true);
        progress.set(id, { progress: 0, speed: 0, eta_s: null });
        try {
          this.transition(id, phase);
        } catch (err) {
          this.deps.logger.error({ err, jobId: id }, 'could not save the job state');
        }
      },
      mergeProgress: (fraction) => {
        progress.set(id, { progress: Math.min(99.9, Math.round(fraction * 1000) / 10) });
        this.emitProgress(id, entry);
      },
    };
  }

  /**
   * A title nobody gave (made at creation from the page title or the URL) becomes what the stream
   * says it is, when that ranks higher in the title rule (addon/titles/title-rule.ts). Runs before
   * the file is named, so the file, its NFO, notifications and MQTT all carry the settled title.
   * A title from a person (at creation or by an edit since) or from a source item is never
   * touched, and a weaker piece of evidence (a retry that sees only the headers again) never
   * replaces a stronger one found before.
   */
  private settleTitle(id: string, evidence: StreamEvidence): void {
    const job = this.job(id);
    const from = job.title_from;
    if (!titleMaySettle(from)) return;
    const settled = suggestTitle({ url: job.url, pageTitle: job.page_title, ...evidence });
    const rank = (source: TitleSource): number => TITLE_SOURCES.indexOf(source);
    if (rank(settled.from) > rank(from) || (settled.from === from && settled.title === job.title)) return;
    this.deps.states.update(id, { title: settled.title, title_from: settled.from }, { announce: true });
    this.deps.logger.info({ jobId: id, title: settled.title, from: settled.from, was: job.title }, 'download titled from what the stream says');
  }

  private emitProgress(id: string, entry: RunEntry): void {
    const job = this.view(id);
    if (job.status === 'downloading') {
      const speed = entry.meter.rate();
      this.deps.progress.set(id, { speed, eta_s: etaSeconds(job.bytes_done, job.bytes_total, speed) });
    }
    const now = this.deps.clock.now();
    const last = this.lastEmit.get(id) ?? 0;
    if (now - last >= PROGRESS_INTERVAL_MS) {
      // A trailing emit that is overdue (a busy event loop runs timers late) is superseded by
      // this one: left alone it would fire right after, two events in the same millisecond.
      this.dropPendingProgress(id);
      this.lastEmit.set(id, now);
      this.deps.bus.emit('job.progress', progressOf(this.view(id)));
    } else if (!this.pendingEmit.has(id)) {
      // Trailing edge: the last figures of a burst are never lost.
      this.pendingEmit.set(
        id,
        setTimeout(() => {
          this.pendingEmit.delete(id);
          this.lastEmit.set(id, this.deps.clock.now());
          const current = this.deps.jobs.find(id);
          if (current) this.deps.bus.emit('job.progress', progressOf(this.deps.progress.view(current)));
        }, PROGRESS_INTERVAL_MS - (now - last)),
      );
    }
  }

  private today(): string {
    const d = new Date(this.deps.clock.now());
    return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
  }
}
