import { randomUUID } from 'node:crypto';
import { planEdit, type EditField, type JobEdit } from './job-edit.js';
import { AppError, badRequest, conflict, errorMessage, notFound } from '../errors.js';
import type { AppEvents, JobProgress } from '../events/app-events.js';
import type { EventBus } from '../events/bus.js';
import type { Clock } from '../platform/clock.js';
import type { Logger } from '../platform/logger.js';
import { etaSeconds, SpeedMeter } from '../download/progress.js';
import { classifyError } from '../download/retry.js';
import type { Store } from '../store/db.js';
import type { ConnectionLimits } from '../download/context.js';
import type { FinishedFile, TransferService } from '../library/transfer-service.js';
import type { DownloadEngine, RunHooks, RunResult } from './download-engine.js';
import { liveRequestProblem } from '../live/request.js';
import { isDue, nextStartAt } from '../live/schedule.js';
import { assertTransition } from './lifecycle.js';
import { nextToRun, type RunPhase } from './scheduler.js';
import { ACTIVE_STATUSES, type Container, type Job, type JobStatus, type NewJob, type Page } from './model.js';

/**
 * Connection limits shared by groups of jobs (every download of one playlist source), wired in
 * app.ts: the engine acquires the group's semaphore for every request of every such job.
 */
export interface JobLimits {
  /** The group a job belongs to (its source id), or null. */
  groupOf(job: Job): string | null;
  /** How many jobs of a group may run at once (its connection limit). */
  maxActive(group: string): number;
  /** The limits to run the job under; null for the engine's defaults. */
  connectionsFor(job: Job): ConnectionLimits | null;
}

/** Naming data, poster and source identity copied from a NewJob, only where given. */
function namingFields(input: NewJob): Partial<Job> {
  const out: Partial<Job> = {};
  if (input.source_id) out.source_id = input.source_id;
  if (input.show) out.show = input.show;
  if (input.year != null) out.year = input.year;
  if (input.season != null) out.season = input.season;
  if (input.episode != null) out.episode = input.episode;
  if (input.episode_title) out.episode_title = input.episode_title;
  if (input.tmdb_id != null) out.tmdb_id = input.tmdb_id;
  if (input.poster) out.poster = input.poster;
  if (input.page_url) out.page_url = input.page_url;
  if (input.page_title?.trim()) out.page_title = input.page_title.trim();
  if (input.variant_key) out.variant_key = input.variant_key;
  if (input.destination) out.destination = input.destination;
  if (input.audio_languages) out.audio_languages = input.audio_languages;
  if (input.subtitles_as) out.subtitles_as = input.subtitles_as;
  if (input.live) out.live = { ...input.live };
  return out;
}

/** Why a running job was stopped: each reason ends in a different state. */
export class StopRequest extends Error {
  constructor(readonly reason: 'paused' | 'cancelled' | 'shutdown' | 'deleted' | 'held') {
    super(`job ${reason}`);
    this.name = 'AbortError';
  }
}

const PROGRESS_INTERVAL_MS = 500;
const UPDATE_INTERVAL_MS = 100;
const SHUTDOWN_GRACE_MS = 8000;

export interface JobServiceOptions {
  maxConcurrent: number;
  defaultContainer: Container;
  mediaDir: string;
  /** The quality a job gets when the request names none; "best" when unset. */
  defaultQuality?: string;
  /** Queued downloads beyond which create() refuses (503); unbounded when absent. */
  maxQueueLength?: number;
  /** Subtitles a job gets when the request names none (option default_subtitle_languages); "none" when unset. */
  defaultSubtitleLanguages?: 'none' | 'all' | string[];
}

interface Active {
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

export interface JobStats {
  by_status: Record<JobStatus, number>;
  queue_length: number;
  active: number;
  bytes_today: number;
  /** Sum of the running jobs' speeds, bytes/s. */
  speed: number;
  /** The queue-level pause (pauseQueue): nothing starts while it is on. */
  queue_paused: boolean;
  /** Automatic holds (holdQueue), e.g. disk_full: nothing starts while any is on. */
  queue_holds: QueueHold[];
}

export interface QueueHold {
  reason: string;
  detail: string | null;
  since: string;
}

/** A write failed because the filesystem is full (ours, or ffmpeg's as it reports it). */
export function isNoSpace(err: unknown): boolean {
  for (let e = err as { code?: unknown; message?: unknown; cause?: unknown } | undefined, depth = 0; e && depth < 5; e = e.cause as typeof e, depth++) {
    if (e.code === 'ENOSPC' || (typeof e.message === 'string' && /no space left on device/i.test(e.message))) return true;
  }
  return false;
}

/**
 * Owns jobs: creation, the queue (global limit; priority, then age), state transitions and
 * live progress. Transitions are written to the store at once; progress rides on the
 * store's coalesced writes and is published at most twice a second per job.
 */
export class JobService {
  private readonly active = new Map<string, Active>();
  private stopping = false;
  private lastEmit = new Map<string, number>();
  private pendingEmit = new Map<string, NodeJS.Timeout>();
  private readonly holds = new Map<string, QueueHold>();
  /** Jobs whose run has already ended (in their catch): a hold must not wait for them. */
  private readonly settling = new Set<string>();
  /** Wakes the queue when the next scheduled recording (live.start_at) is due. */
  private scheduleTimer: { at: number; controller: AbortController } | null = null;

  constructor(
    private readonly deps: {
      store: Store;
      bus: EventBus<AppEvents>;
      engine: DownloadEngine;
      /** Puts finished files into the library (destinations, naming templates). */
      transfers: TransferService;
      clock: Clock;
      logger: Logger;
      options: JobServiceOptions;
      /** Shared connection limits beyond the per-host cap (a playlist source's); none by default. */
      limits?: JobLimits;
      /**
       * A download hit ENOSPC. Resolves true when the queue is now held (the disk guard), so the
       * job goes back to the queue instead of failing; false (or absent) fails it as before.
       */
      onDiskFull?: (detail: string) => Promise<boolean>;
    },
  ) {}

  private get jobs(): Job[] {
    return this.deps.store.data.jobs;
  }

  private nowIso(): string {
    return new Date(this.deps.clock.now()).toISOString();
  }

  /** Jobs interrupted by a crash or a stop go back to the queue, keeping their place. */
  async start(): Promise<void> {
    let resumed = 0;
    for (const job of this.jobs) {
      if (ACTIVE_STATUSES.includes(job.status)) {
        // Nobody listens yet (notifiers start after the queue): a status change without an event.
        this.setStatus(job, 'pending');
        job.speed = 0;
        job.eta_s = null;
        resumed++;
      }
    }
    if (resumed > 0) {
      this.deps.logger.info({ count: resumed }, 'resuming interrupted downloads');
      this.deps.store.changed();
    }
    this.kick();
  }

  /** Checkpoints running jobs as resumable and waits (bounded) for them to let go. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.scheduleTimer?.controller.abort();
    this.scheduleTimer = null;
    for (const timer of this.pendingEmit.values()) clearTimeout(timer);
    this.pendingEmit.clear();
    const running = [...this.active.values()];
    for (const a of running) a.controller.abort(new StopRequest('shutdown'));
    await Promise.race([Promise.allSettled(running.map((a) => a.done)), this.deps.clock.sleep(SHUTDOWN_GRACE_MS)]);
    this.deps.store.changed();
  }

  /** Queues a download; 400 for a destination id that does not exist (REST, MQTT and Telegram alike). */
  create(input: NewJob): Job {
    if (input.destination && !this.deps.transfers.knows(input.destination)) {
      throw badRequest(`destination: no destination "${input.destination}" (GET /api/destinations lists them)`, 'destination');
    }
    this.refuseWhenQueueFull();
    const liveProblem = input.live ? liveRequestProblem(input.live, this.deps.clock.now()) : null;
    if (liveProblem) throw badRequest(`${liveProblem[0]}: ${liveProblem[1]}`, liveProblem[0]);
    const now = this.nowIso();
    const job: Job = {
      id: randomUUID(),
      url: input.url,
      title: input.title?.trim() || input.page_title?.trim() || '',
      kind: null,
      status: 'pending',
      priority: input.priority ?? 'medium',
      quality: input.quality ?? this.deps.options.defaultQuality ?? 'best',
      container: input.container ?? this.deps.options.defaultContainer,
      content_type: input.content_type ?? null,
      referer: input.referer ?? null,
      headers: input.headers ?? {},
      progress: 0,
      bytes_done: 0,
      bytes_total: null,
      speed: 0,
      eta_s: null,
      segments_done: 0,
      segments_total: 0,
      file_path: null,
      error: null,
      retry_count: 0,
      created_at: now,
      started_at: null,
      completed_at: null,
      updated_at: now,
      ...namingFields(input),
      subtitle_languages: input.subtitle_languages ?? this.deps.options.defaultSubtitleLanguages ?? 'none',
    };
    // A recording asked for by name is filed as one; a live URL found at run time becomes one then.
    if (input.live && !input.content_type) job.content_type = 'recording';
    this.jobs.push(job);
    this.deps.store.changed();
    this.deps.logger.info({ jobId: job.id, priority: job.priority }, 'download queued');
    this.deps.bus.emit('job.added', { job });
    this.kick();
    return job;
  }

  /** A bounded queue: a flood of creates must not grow db.json (and every scan of it) without end. */
  private refuseWhenQueueFull(): void {
    const max = this.deps.options.maxQueueLength;
    if (!max) return;
    let pending = 0;
    for (const job of this.jobs) if (job.status === 'pending') pending++;
    if (pending >= max) {
      throw new AppError('queue_full', `the queue is full: ${pending} downloads are waiting (option max_queue_length); try again when some have finished`, { httpStatus: 503 });
    }
  }

  get(id: string): Job {
    const job = this.jobs.find((j) => j.id === id);
    if (!job) throw notFound(`download ${id}`);
    return job;
  }

  list(filter: { status?: JobStatus | undefined; limit: number; offset: number }): Page<Job> {
    // Newest first (the array is in creation order); only the page is copied, not the whole list.
    const items: Job[] = [];
    let total = 0;
    for (let i = this.jobs.length - 1; i >= 0; i--) {
      const j = this.jobs[i]!;
      if (filter.status && j.status !== filter.status) continue;
      if (total >= filter.offset && items.length < filter.limit) items.push(j);
      total++;
    }
    return { items, total };
  }

  stats(): JobStats {
    const byStatus = { pending: 0, downloading: 0, merging: 0, transferring: 0, completed: 0, failed: 0, paused: 0, cancelled: 0 };
    for (const job of this.jobs) byStatus[job.status]++;
    const traffic = this.deps.store.data.traffic;
    return {
      by_status: byStatus,
      queue_length: byStatus.pending,
      active: this.active.size,
      bytes_today: traffic.day === this.today() ? traffic.bytes : 0,
      speed: [...this.active.keys()].reduce((sum, id) => sum + (this.jobs.find((j) => j.id === id)?.speed ?? 0), 0),
      queue_paused: this.isQueuePaused(),
      queue_holds: [...this.holds.values()],
    };
  }

  /**
   * Changes queue settings at run time (PATCH /api/settings): a higher limit starts queued jobs at
   * once; a lower one lets running downloads finish and starts nothing until they are under it.
   */
  configure(changes: Partial<Pick<JobServiceOptions, 'maxConcurrent' | 'defaultContainer' | 'defaultQuality'>>): void {
    Object.assign(this.deps.options, changes);
    this.kick();
  }

  /** The queue settings in effect. */
  get options(): Readonly<JobServiceOptions> {
    return this.deps.options;
  }

  isQueuePaused(): boolean {
    return this.deps.store.data.queue.paused;
  }

  /**
   * Pauses the whole queue: nothing new starts, and jobs that are downloading go back to the
   * queue (status pending, keeping their place and what they fetched) so the bandwidth is
   * free at once; a merge or transfer in progress finishes. Per-job pause states are kept.
   * Survives restarts. resumeQueue() picks everything up again.
   */
  async pauseQueue(): Promise<void> {
    if (this.isQueuePaused()) return;
    this.deps.store.data.queue.paused = true;
    this.deps.store.changed();
    this.deps.logger.info('queue paused');
    this.deps.bus.emit('queue.state', { paused: true });
    const held = [...this.active.entries()].filter(([id]) => this.jobs.find((j) => j.id === id)?.status === 'downloading');
    for (const [, a] of held) a.controller.abort(new StopRequest('held'));
    await Promise.allSettled(held.map(([, a]) => a.done));
  }

  async resumeQueue(): Promise<void> {
    if (!this.isQueuePaused()) return;
    this.deps.store.data.queue.paused = false;
    this.deps.store.changed();
    this.deps.logger.info('queue resumed');
    this.deps.bus.emit('queue.state', { paused: false });
    this.kick();
  }

  /**
   * Holds the queue for an automatic reason (disk_full): like pauseQueue, downloading jobs go
   * back to the queue keeping what they fetched and nothing new starts, but it is not
   * persisted and is lifted by releaseQueue(reason) without touching the user's pause.
   */
  async holdQueue(reason: string, detail?: string): Promise<void> {
    if (this.holds.has(reason)) return;
    const hold: QueueHold = { reason, detail: detail ?? null, since: this.nowIso() };
    this.holds.set(reason, hold);
    this.deps.bus.emit('queue.held', { ...hold, held: true });
    const held = [...this.active.entries()].filter(([id]) => !this.settling.has(id) && this.jobs.find((j) => j.id === id)?.status === 'downloading');
    for (const [, a] of held) a.controller.abort(new StopRequest('held'));
    await Promise.allSettled(held.map(([, a]) => a.done));
  }

  async releaseQueue(reason: string): Promise<void> {
    const hold = this.holds.get(reason);
    if (!hold) return;
    this.holds.delete(reason);
    this.deps.bus.emit('queue.held', { ...hold, held: false });
    this.kick();
  }

  /**
   * Forgets finished jobs (completed, cancelled, failed) older than `olderThanMs` (null: any
   * age) and beyond the newest `keep`, in one store write. Finished files stay on disk; a failed
   * job's work files go. Returns how many were removed.
   */
  async prune(opts: { olderThanMs: number | null; keep: number }): Promise<number> {
    const now = this.deps.clock.now();
    const finishedAt = (j: Job): number => Date.parse(j.completed_at ?? j.updated_at);
    const candidates = this.jobs
      .filter((j) => (j.status === 'completed' || j.status === 'cancelled' || j.status === 'failed') && !this.active.has(j.id))
      .sort((a, b) => finishedAt(a) - finishedAt(b));
    const doomed = new Set<Job>();
    if (opts.olderThanMs !== null) for (const j of candidates) if (now - finishedAt(j) > opts.olderThanMs) doomed.add(j);
    const rest = candidates.filter((j) => !doomed.has(j));
    for (const j of rest.slice(0, Math.max(0, rest.length - opts.keep))) doomed.add(j);
    if (doomed.size === 0) return 0;
    const kept = this.jobs.filter((j) => !doomed.has(j));
    this.jobs.splice(0, this.jobs.length, ...kept);
    for (const j of doomed) if (j.status === 'failed') await this.deps.engine.removeWorkDir(j.id);
    this.deps.store.changed();
    for (const j of doomed) this.deps.bus.emit('job.removed', { id: j.id });
    return doomed.size;
  }

  async pause(id: string): Promise<Job> {
    const job = this.get(id);
    if (job.status === 'paused') return job;
    if (job.status === 'pending') {
      await this.transition(job, 'paused');
      return job;
    }
    const active = this.active.get(id);
    if (!active) throw conflict(`a ${job.status} download cannot be paused`);
    active.controller.abort(new StopRequest('paused'));
    await active.done;
    return job;
  }

  async resume(id: string): Promise<Job> {
    const job = this.get(id);
    if (job.status !== 'paused') throw conflict(`only a paused download can be resumed (this one is ${job.status})`);
    await this.transition(job, 'pending');
    this.kick();
    return job;
  }

  async cancel(id: string): Promise<Job> {
    const job = this.get(id);
    if (job.status === 'cancelled') return job;
    if (job.status === 'completed') throw conflict('a completed download cannot be cancelled');
    const active = this.active.get(id);
    if (active) {
      active.controller.abort(new StopRequest('cancelled'));
      await active.done;
    } else {
      job.transfer = null;
      await this.transition(job, 'cancelled');
      await this.deps.engine.removeWorkDir(id);
    }
    return job;
  }

  /**
   * Ends a live recording now and files what it recorded (POST /api/downloads/:id/stop); cancel
   * discards instead. A scheduled recording that has not started yet is cancelled.
   */
  async stopRecording(id: string): Promise<Job> {
    const job = this.get(id);
    const active = this.active.get(id);
    if (active && (active.phase === 'recording' || job.kind === 'recording')) {
      if (job.status !== 'downloading') throw conflict(`this recording has ended and is being filed (${job.status})`);
      // Not awaited: the remux and the transfer of hours of recording take their time.
      active.recordingStop.abort();
      return job;
    }
    if (job.status === 'pending' && job.live && !isDue(job, this.deps.clock.now())) {
      await this.transition(job, 'cancelled');
      return job;
    }
    throw conflict(job.kind === 'recording' || job.live ? `this recording is ${job.status}: there is nothing to stop` : 'only a live recording can be stopped (use cancel or pause for a download)');
  }

  /**
   * Changes a download's title, naming, destination, priority, quality or format (PATCH
   * /api/downloads/:id): what applies now by its status (jobs/job-edit.ts), and which changes were
   * not applied and why. A new quality or format for a paused download discards what it fetched.
   */
  async edit(id: string, changes: JobEdit): Promise<{ job: Job; notApplied: Partial<Record<EditField, string>> }> {
    const job = this.get(id);
    const plan = planEdit(job, changes);
    if ('refused' in plan) throw conflict(plan.refused);
    const destination = plan.apply.destination;
    if (typeof destination === 'string' && !this.deps.transfers.knows(destination)) {
      throw badRequest(`destination: no destination "${destination}" (GET /api/destinations lists them)`, 'destination');
    }
    for (const [key, value] of Object.entries(plan.apply)) {
      if (value === null) delete (job as unknown as Record<string, unknown>)[key];
      else (job as unknown as Record<string, unknown>)[key] = value;
    }
    if (plan.discardWork) {
      await this.deps.engine.removeWorkDir(job.id);
      Object.assign(job, { kind: null, progress: 0, bytes_done: 0, bytes_total: null, segments_done: 0, segments_total: 0, eta_s: null });
      this.deps.logger.info({ jobId: job.id }, 'download edited to another quality or format: it starts again from the beginning');
    }
    job.updated_at = this.nowIso();
    this.deps.store.changed();
    this.deps.bus.emit('job.updated', { job });
    if (plan.apply.priority !== undefined) this.kick();
    return { job, notApplied: plan.notApplied };
  }

  /** Failed or cancelled jobs go back to the queue; a failed job continues from what it has. */
  async retry(id: string): Promise<Job> {
    const job = this.get(id);
    if (job.status !== 'failed' && job.status !== 'cancelled') {
      throw conflict(`only a failed or cancelled download can be retried (this one is ${job.status})`);
    }
    job.retry_count++;
    job.error = null;
    // A failed transfer starts a new wait (the retry limit counts from the next failure).
    if (job.transfer) job.transfer = { ...job.transfer, waiting_since: null, next_attempt_at: null };
    await this.transition(job, 'pending');
    this.kick();
    return job;
  }

  async remove(id: string, options: { deleteFile: boolean }): Promise<void> {
    const job = this.get(id);
    const active = this.active.get(id);
    if (active) {
      active.controller.abort(new StopRequest('deleted'));
      await active.done;
    }
    const index = this.jobs.indexOf(job);
    if (index >= 0) this.jobs.splice(index, 1);
    await this.deps.engine.removeWorkDir(id);
    if (options.deleteFile && job.file_path && job.status === 'completed') await this.deps.transfers.removeFile(job);
    this.deps.store.changed();
    this.deps.bus.emit('job.removed', { id });
  }

  /** One scheduling pass: starts what jobs/scheduler.ts says may run now. */
  kick(): void {
    const running = new Map<string, RunPhase>();
    for (const [id, a] of this.active) running.set(id, a.phase);
    const launches = nextToRun({
      jobs: this.jobs,
      running,
      maxConcurrent: this.deps.options.maxConcurrent,
      paused: this.isQueuePaused(),
      now: this.deps.clock.now(),
      held: this.holds.size > 0,
      stopping: this.stopping,
      limits: this.deps.limits,
    });
    for (const { job, phase } of launches) {
      // A launch can lead to a nested pass (through the bus): never start a job twice.
      if (this.active.has(job.id) || job.status !== 'pending') continue;
      this.launch(job, phase);
    }
    this.armSchedule();
  }

  /** A timer that runs a scheduling pass when the earliest scheduled recording is due. */
  private armSchedule(): void {
    if (this.stopping) return;
    const now = this.deps.clock.now();
    const earliest = nextStartAt(this.jobs, now);
    if (earliest === null || this.scheduleTimer?.at === earliest) return;
    this.scheduleTimer?.controller.abort();
    const controller = new AbortController();
    this.scheduleTimer = { at: earliest, controller };
    this.deps.clock.sleep(Math.max(0, earliest - now), controller.signal).then(
      () => {
        if (this.scheduleTimer?.controller === controller) this.scheduleTimer = null;
        this.kick();
      },
      () => undefined,
    );
  }

  private launch(job: Job, phase: Active['phase']): void {
    const controller = new AbortController();
    const meter = new SpeedMeter(() => this.deps.clock.now());
    const entry: Active = { controller, meter, done: Promise.resolve(), phase, recordingStop: new AbortController() };
    this.active.set(job.id, entry);
    entry.done = this.execute(job, entry).finally(() => {
      this.active.delete(job.id);
      this.kick();
    });
  }

  private async execute(job: Job, entry: Active): Promise<void> {
    const logger = this.deps.logger.child({ jobId: job.id });
    job.started_at ??= this.nowIso();
    job.error = null;
    const started = this.deps.clock.now();
    try {
      let output: RunResult | null;
      if (entry.phase === 'transfer') {
        output = await this.deps.engine.finishedOutput(job.id);
        if (!output) {
          // The downloaded file is gone (its work dir was removed): download it again. The job is
          // still pending (it never left the queue); without a transfer it waits for a download slot.
          logger.warn('the downloaded file is gone: downloading again');
          job.transfer = null;
          job.updated_at = this.nowIso();
          this.deps.store.changed();
          this.deps.bus.emit('job.updated', { job });
          return;
        }
      } else {
        await this.transition(job, 'downloading');
        logger.info({ retry: job.retry_count }, 'download started');
        output = await this.deps.engine.run(job, entry.controller.signal, this.hooks(job, entry), this.deps.limits?.connectionsFor(job) ?? null);
        job.segments_done = job.segments_total;
        job.bytes_total = job.kind === 'direct' ? output.size : job.bytes_total;
        // The download slot is free: the transfer has its own limits.
        entry.phase = 'transfer';
        this.kick();
      }
      if (output.recording) {
        job.recording = { ...output.recording.status, files: job.recording?.files ?? [] };
        await this.transferRecording(job, entry, output.recording.files, logger);
      } else {
        await this.transfer(job, entry, output, logger);
      }
      job.progress = 100;
      job.speed = 0;
      job.eta_s = 0;
      job.error = null;
      job.completed_at = this.nowIso();
      await this.transition(job, 'completed');
      await this.deps.engine.removeWorkDir(job.id);
      logger.info({ file: job.file_path, location: job.location, size: output.size, seconds: (this.deps.clock.now() - started) / 1000 }, 'download completed');
    } catch (err) {
      const reason = entry.controller.signal.reason as unknown;
      if (entry.controller.signal.aborted && reason instanceof StopRequest) {
        await this.stopped(job, reason);
        return;
      }
      if (entry.phase === 'download' && isNoSpace(err) && (await this.diskFull(job.id, errorMessage(err)))) {
        job.speed = 0;
        job.eta_s = null;
        await this.transition(job, 'pending');
        logger.warn({ error: errorMessage(err) }, 'no space left on device: the download went back to the queue, which holds until there is room');
        return;
      }
      const code = err instanceof AppError ? err.code : classifyError(err) === 'fatal' ? 'download_failed' : 'network_error';
      job.error = { code, message: errorMessage(err) };
      job.speed = 0;
      job.eta_s = null;
      if (job.transfer) job.transfer = { ...job.transfer, next_attempt_at: null };
      const phase = job.status;
      await this.transition(job, 'failed');
      if (phase === 'transferring') logger.warn({ code, error: job.error.message }, 'transfer failed; the downloaded file is kept, and a retry sends it again');
      else logger.warn({ code, error: job.error.message }, 'download failed; what was fetched is kept for a retry');
    }
  }

  /**
   * `transferring`: the finished file goes to its library destination (TransferService). While
   * the destination is down the job stays here with `error` showing the last failure and
   * `transfer.next_attempt_at` the next try; pause and cancel work throughout.
   */
  private async transfer(job: Job, entry: Active, output: FinishedFile, logger: Logger): Promise<void> {
    const signal = entry.controller.signal;
    entry.meter = new SpeedMeter(() => this.deps.clock.now());
    job.progress = 0;
    job.speed = 0;
    job.eta_s = null;
    // The second file of a split recording is transferred in the same status.
    if (job.status !== 'transferring') await this.transition(job, 'transferring');
    let last = -1;
    let lastUpdate = 0;
    const delivered = await this.deps.transfers.deliver(
      job,
      output,
      signal,
      {
        attempt: async (plan) => {
          const prev = job.transfer;
          const same = prev?.destination_id === plan.destination.id;
          job.transfer = {
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
          job.updated_at = this.nowIso();
          this.deps.store.changed();
          logger.info({ destination: plan.destination.id, path: plan.path, attempt: job.transfer.attempts }, 'transfer started');
        },
        progress: (bytes, total) => {
          if (last >= 0 && bytes > last) entry.meter.add(bytes - last);
          last = bytes;
          const now = this.deps.clock.now();
          if (now - lastUpdate < UPDATE_INTERVAL_MS && bytes < total) return;
          lastUpdate = now;
          job.progress = total > 0 ? Math.min(99.9, Math.round((bytes / total) * 1000) / 10) : 0;
          job.speed = entry.meter.rate();
          job.eta_s = etaSeconds(bytes, total, job.speed);
          job.updated_at = new Date(now).toISOString();
          this.emitProgress(job, entry);
        },
        waiting: async ({ error, nextAttemptAt, waitingSince }) => {
          job.error = { code: error.code, message: error.message };
          if (job.transfer) job.transfer = { ...job.transfer, waiting_since: new Date(waitingSince).toISOString(), next_attempt_at: new Date(nextAttemptAt).toISOString() };
          job.speed = 0;
          job.eta_s = null;
          job.updated_at = this.nowIso();
          this.deps.store.changed();
          // Same status, new error: subscribers that show the job (SSE, MQTT) refresh it.
          this.deps.bus.emit('job.updated', { job });
        },
      },
      // Pause and shutdown keep a partial upload to resume; cancel and delete remove it.
      { keepPartialOnAbort: () => !(signal.reason instanceof StopRequest && (signal.reason.reason === 'cancelled' || signal.reason.reason === 'deleted')) },
    );
    job.file_path = delivered.result.relPath;
    job.location = delivered.result.location;
    if (delivered.sidecars?.length) job.sidecar_paths = delivered.sidecars;
    if (job.transfer) job.transfer = { ...job.transfer, waiting_since: null, next_attempt_at: null, method: delivered.result.method };
  }

  private async diskFull(jobId: string, detail: string): Promise<boolean> {
    if (!this.deps.onDiskFull) return false;
    this.settling.add(jobId);
    try {
      return await this.deps.onDiskFull(detail);
    } finally {
      this.settling.delete(jobId);
    }
  }

  /**
   * Files a recording's files one after another (several when split_minutes cut it), noting each
   * in `recording.files` as it lands, so a restart or a retry sends only the ones still missing.
   */
  private async transferRecording(job: Job, entry: Active, files: readonly FinishedFile[], logger: Logger): Promise<void> {
    const filed = job.recording!.files ?? [];
    job.recording!.files = filed;
    for (let i = filed.length; i < files.length; i++) {
      await this.transfer(job, entry, files[i]!, logger);
      filed.push(job.file_path!);
      // The next file gets its own destination path (a pinned transfer would reuse this one).
      if (i < files.length - 1) job.transfer = null;
      job.updated_at = this.nowIso();
      this.deps.store.changed();
    }
  }

  private async stopped(job: Job, request: StopRequest): Promise<void> {
    job.speed = 0;
    job.eta_s = null;
    switch (request.reason) {
      case 'paused':
        await this.transition(job, 'paused');
        break;
      case 'cancelled':
        job.transfer = null;
        await this.transition(job, 'cancelled');
        await this.deps.engine.removeWorkDir(job.id);
        break;
      case 'shutdown':
      case 'held':
        // Resumable: the next start (or resumeQueue) picks it up again from its journal. A job
        // stopped before its transfer phase changed its status is pending already.
        if (job.status !== 'pending') await this.transition(job, 'pending');
        break;
      case 'deleted':
        break;
    }
  }

  /** The only place a job's status changes: the lifecycle table decides whether it may. */
  private async transition(job: Job, status: JobStatus): Promise<void> {
    const previous = job.status;
    this.setStatus(job, status);
    if (status !== 'downloading' && status !== 'merging') this.flushProgress(job.id);
    this.deps.store.changed();
    this.deps.bus.emit('job.status', { job, previous });
    if (previous !== status && job.kind === 'recording' && (status === 'completed' || status === 'failed')) this.deps.bus.emit('recording.finished', { job });
  }

  private setStatus(job: Job, status: JobStatus): void {
    assertTransition(job.id, job.status, status);
    job.status = status;
    job.updated_at = this.nowIso();
  }

  private hooks(job: Job, entry: Active): RunHooks {
    let network = 0;
    let resumed = 0;
    let lastUpdate = 0;
    // Chunks arrive thousands of times a second; the job's figures need ~10 updates a second.
    const update = (force = false): void => {
      const now = this.deps.clock.now();
      if (!force && now - lastUpdate < UPDATE_INTERVAL_MS) return;
      lastUpdate = now;
      job.bytes_done = resumed + network;
      if (job.status === 'downloading' && job.kind !== 'recording') {
        const fraction =
          job.bytes_total && job.bytes_total > 0
            ? job.bytes_done / job.bytes_total
            : job.segments_total > 0
              ? job.segments_done / job.segments_total
              : 0;
        job.progress = Math.min(99.9, Math.round(fraction * 1000) / 10);
      }
      job.updated_at = new Date(now).toISOString();
      this.deps.store.changed();
      this.emitProgress(job, entry);
    };
    return {
      bytes: (n) => {
        network += n;
        entry.meter.add(n);
        this.countTraffic(n);
        update();
      },
      resumed: (bytes) => {
        resumed = bytes;
        update(true);
      },
      totals: ({ segmentsTotal, bytesTotal }) => {
        job.segments_total = segmentsTotal;
        job.bytes_total = bytesTotal;
        update();
      },
      segmentsDone: (n) => {
        job.segments_done = n;
        update();
      },
      kind: (kind) => {
        job.kind = kind;
        if (kind === 'recording') {
          job.content_type ??= 'recording';
          job.segments_total = 0;
          job.bytes_total = null;
          if (entry.phase === 'download') {
            // Found live at run time: it holds no download slot from here on.
            entry.phase = 'recording';
            queueMicrotask(() => this.kick());
          }
        }
        this.deps.store.changed();
      },
      recordingStop: entry.recordingStop.signal,
      recordingStarted: (status) => {
        job.recording = { ...status, files: job.recording?.files ?? [] };
        this.deps.store.changed();
        this.deps.logger.info({ jobId: job.id }, 'recording started');
        this.deps.bus.emit('recording.started', { job });
      },
      recording: (status) => {
        job.recording = { ...status, files: job.recording?.files ?? [] };
        if (status.target_s && status.target_s > 0) job.progress = Math.min(99.9, Math.round(((status.recorded_s + status.lost_s) / status.target_s) * 1000) / 10);
        update(true);
      },
      phase: (phase) => {
        update(true);
        job.progress = 0;
        job.speed = 0;
        job.eta_s = null;
        this.transition(job, phase).catch((err: unknown) => this.deps.logger.error({ err, jobId: job.id }, 'could not save the job state'));
      },
      mergeProgress: (fraction) => {
        job.progress = Math.min(99.9, Math.round(fraction * 1000) / 10);
        this.emitProgress(job, entry);
      },
      // The remux writes into the local destination's filesystem: filing it is a link, not a copy.
      outputDir: async (file) => this.deps.transfers.stagingDir(job, file),
    };
  }

  private emitProgress(job: Job, entry: Active): void {
    if (job.status === 'downloading') {
      job.speed = entry.meter.rate();
      job.eta_s = etaSeconds(job.bytes_done, job.bytes_total, job.speed);
    }
    const now = this.deps.clock.now();
    const last = this.lastEmit.get(job.id) ?? 0;
    if (now - last >= PROGRESS_INTERVAL_MS) {
      // A trailing emit that is overdue (a busy event loop runs timers late) is superseded by
      // this one: left alone it would fire right after, two events in the same millisecond.
      this.flushProgress(job.id);
      this.lastEmit.set(job.id, now);
      this.deps.bus.emit('job.progress', progressOf(job));
    } else if (!this.pendingEmit.has(job.id)) {
      // Trailing edge: the last figures of a burst are never lost.
      this.pendingEmit.set(
        job.id,
        setTimeout(() => {
          this.pendingEmit.delete(job.id);
          this.lastEmit.set(job.id, this.deps.clock.now());
          this.deps.bus.emit('job.progress', progressOf(job));
        }, PROGRESS_INTERVAL_MS - (now - last)),
      );
    }
  }

  private flushProgress(id: string): void {
    const timer = this.pendingEmit.get(id);
    if (timer) clearTimeout(timer);
    this.pendingEmit.delete(id);
  }

  private today(): string {
    const d = new Date(this.deps.clock.now());
    return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
  }

  private countTraffic(bytes: number): void {
    const traffic = this.deps.store.data.traffic;
    const day = this.today();
    if (traffic.day !== day) {
      traffic.day = day;
      traffic.bytes = 0;
    }
    traffic.bytes += bytes;
  }
}

export function progressOf(job: Job): JobProgress {
  return {
    id: job.id,
    status: job.status,
    progress: job.progress,
    bytes_done: job.bytes_done,
    bytes_total: job.bytes_total,
    speed: job.speed,
    eta_s: job.eta_s,
    segments_done: job.segments_done,
    segments_total: job.segments_total,
    ...(job.recording ? { recording: job.recording } : {}),
  };
}
