import { randomUUID } from 'node:crypto';
import { planEdit, type EditField, type JobEdit } from './job-edit.js';
import { AppError, badRequest, conflict, notFound } from '../errors.js';
import type { AppEvents } from '../events/app-events.js';
import type { EventBus } from '../events/bus.js';
import type { Clock } from '../platform/clock.js';
import type { Logger } from '../platform/logger.js';
import { SpeedMeter } from '../download/progress.js';
import type { ConnectionLimits } from '../download/context.js';
import type { TransferService } from '../library/transfer-service.js';
import type { DownloadEngine } from './download-engine.js';
import { liveRequestProblem } from '../live/request.js';
import { isDue, nextStartAt } from '../live/schedule.js';
import { JobRunner, StopRequest, type RunEntry } from './job-runner.js';
import type { JobPatch, JobRepository } from './job-repository.js';
import { JobStates } from './job-states.js';
import { ProgressTracker } from './progress-tracker.js';
import { nextToRun, type RunPhase } from './scheduler.js';
import { ACTIVE_STATUSES, type Container, type Job, type JobStatus, type NewJob, type Page } from './model.js';
import { suggestTitle } from '../titles/title-rule.js';

export { isNoSpace, StopRequest } from './job-runner.js';
export { progressOf } from './job-states.js';

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

export interface JobServiceDeps {
  /** The stored jobs, the queue's pause and the day's traffic: this service's only way to the store. */
  repository: JobRepository;
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
  /** Live progress of running jobs; a fresh one by default (app.ts may share it). */
  progress?: ProgressTracker;
}

/**
 * The API-facing side of jobs (REST, MQTT, Telegram and sources call it): create, list, edit,
 * pause, resume, cancel, retry, remove, and the queue's pause and holds. What runs next is
 * jobs/scheduler.ts's (a pure function asked on every pass); one job's run is jobs/job-runner.ts's;
 * the records are jobs/job-repository.ts's. Every job handed out is a snapshot: the stored
 * record (frozen) with its live progress laid over it.
 */
export class JobService {
  private readonly active = new Map<string, RunEntry>();
  private stopping = false;
  private readonly holds = new Map<string, QueueHold>();
  /** Jobs whose run has already ended (in their catch): a hold must not wait for them. */
  private readonly settling = new Set<string>();
  /** Wakes the queue when the next scheduled recording (live.start_at) is due. */
  private scheduleTimer: { at: number; controller: AbortController } | null = null;
  private kickQueued = false;
  private readonly repo: JobRepository;
  private readonly progress: ProgressTracker;
  private readonly states: JobStates;
  private readonly runner: JobRunner;

  constructor(private readonly deps: JobServiceDeps) {
    this.repo = deps.repository;
    this.progress = deps.progress ?? new ProgressTracker();
    this.states = new JobStates({ jobs: this.repo, progress: this.progress, bus: deps.bus, clock: deps.clock });
    this.runner = new JobRunner({
      jobs: this.repo,
      states: this.states,
      progress: this.progress,
      bus: deps.bus,
      engine: deps.engine,
      transfers: deps.transfers,
      clock: deps.clock,
      logger: deps.logger,
      connectionsFor: (job) => deps.limits?.connectionsFor(job) ?? null,
      slotFreed: () => this.kick(),
      diskFull: (id, detail) => this.diskFull(id, detail),
    });
  }

  private nowIso(): string {
    return new Date(this.deps.clock.now()).toISOString();
  }

  /** Jobs interrupted by a crash or a stop go back to the queue, keeping their place. */
  async start(): Promise<void> {
    let resumed = 0;
    for (const job of this.repo.all()) {
      if (ACTIVE_STATUSES.includes(job.status)) {
        // Nobody listens yet (notifiers start after the queue): a status change without an event.
        this.states.requeueInterrupted(job.id);
        resumed++;
      }
    }
    if (resumed > 0) this.deps.logger.info({ count: resumed }, 'resuming interrupted downloads');
    this.kick();
  }

  /** Checkpoints running jobs as resumable and waits (bounded) for them to let go. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.scheduleTimer?.controller.abort();
    this.scheduleTimer = null;
    this.runner.stop();
    const running = [...this.active.values()];
    for (const a of running) a.controller.abort(new StopRequest('shutdown'));
    await Promise.race([Promise.allSettled(running.map((a) => a.done)), this.deps.clock.sleep(SHUTDOWN_GRACE_MS)]);
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
    const given = input.title?.trim();
    // No title given: the same rule as the add form's suggestion (addon/titles/title-rule.ts), from
    // what is known now (the page title, the URL). The job is queued at once with it, and the
    // download's first response settles it (job-runner.ts settleTitle): probing here would make
    // every create (REST, MQTT, automations, a sync of 2,500 items) wait on, and fail with, a
    // remote server; the first response is fetched by the download anyway, and the file is named
    // only after the download, so the settled title is the one filed, notified and published.
    const provisional = given ? null : suggestTitle({ url: input.url, pageTitle: input.page_title });
    const job: Job = {
      id: randomUUID(),
      url: input.url,
      title: given || provisional!.title,
      // A source item's name is given as the title: it stays (the library is filed by the catalogue's names).
      title_from: provisional ? provisional.from : input.source_id ? 'source' : 'user',
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
    const stored = this.repo.insert(job);
    this.deps.logger.info({ jobId: job.id, priority: job.priority }, 'download queued');
    this.deps.bus.emit('job.added', { job: stored });
    this.kickSoon();
    return stored;
  }

  /** A bounded queue: a flood of creates must not grow db.json (and every scan of it) without end. */
  private refuseWhenQueueFull(): void {
    const max = this.deps.options.maxQueueLength;
    if (!max) return;
    const pending = this.repo.count('pending');
    if (pending >= max) {
      throw new AppError('queue_full', `the queue is full: ${pending} downloads are waiting (option max_queue_length); try again when some have finished`, { httpStatus: 503 });
    }
  }

  /** The job with its live progress (a snapshot: later changes do not show in it). */
  get(id: string): Job {
    const job = this.states.find(id);
    if (!job) throw notFound(`download ${id}`);
    return job;
  }

  /** Whether a job with this id is in the store. */
  has(id: string): boolean {
    return this.repo.find(id) !== undefined;
  }

  /** Every job in creation order, read-only (the scheduler's and the library's view; no live progress). */
  all(): readonly Job[] {
    return this.repo.all();
  }

  list(filter: { status?: JobStatus | undefined; limit: number; offset: number }): Page<Job> {
    // Newest first (the array is in creation order); only the page is read and gets its live
    // figures, and the total comes from the repository's counts: no scan of every job.
    const jobs = this.repo.all();
    const items: Job[] = [];
    const total = filter.status ? this.repo.count(filter.status) : jobs.length;
    let seen = 0;
    for (let i = jobs.length - 1; i >= 0 && items.length < filter.limit; i--) {
      const j = jobs[i]!;
      if (filter.status && j.status !== filter.status) continue;
      if (seen++ >= filter.offset) items.push(this.states.view(j));
    }
    return { items, total };
  }

  stats(): JobStats {
    const byStatus = this.repo.countByStatus();
    return {
      by_status: byStatus,
      queue_length: byStatus.pending,
      active: this.active.size,
      bytes_today: this.repo.trafficOn(this.today()),
      speed: this.progress.totalSpeed(this.active.keys()),
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
    return this.repo.queuePaused();
  }

  private statusOf(id: string): JobStatus | undefined {
    return this.repo.find(id)?.status;
  }

  /**
   * Pauses the whole queue: nothing new starts, and jobs that are downloading go back to the
   * queue (status pending, keeping their place and what they fetched) so the bandwidth is
   * free at once; a merge or transfer in progress finishes. Per-job pause states are kept.
   * Survives restarts. resumeQueue() picks everything up again.
   */
  async pauseQueue(): Promise<void> {
    if (this.isQueuePaused()) return;
    this.repo.setQueuePaused(true);
    this.deps.logger.info('queue paused');
    this.deps.bus.emit('queue.state', { paused: true });
    const held = [...this.active.entries()].filter(([id]) => this.statusOf(id) === 'downloading');
    for (const [, a] of held) a.controller.abort(new StopRequest('held'));
    await Promise.allSettled(held.map(([, a]) => a.done));
  }

  async resumeQueue(): Promise<void> {
    if (!this.isQueuePaused()) return;
    this.repo.setQueuePaused(false);
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
    const held = [...this.active.entries()].filter(([id]) => !this.settling.has(id) && this.statusOf(id) === 'downloading');
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
    const candidates = this.repo
      .all()
      .filter((j) => (j.status === 'completed' || j.status === 'cancelled' || j.status === 'failed') && !this.active.has(j.id))
      .sort((a, b) => finishedAt(a) - finishedAt(b));
    const doomed = new Set<Job>();
    if (opts.olderThanMs !== null) for (const j of candidates) if (now - finishedAt(j) > opts.olderThanMs) doomed.add(j);
    const rest = candidates.filter((j) => !doomed.has(j));
    for (const j of rest.slice(0, Math.max(0, rest.length - opts.keep))) doomed.add(j);
    if (doomed.size === 0) return 0;
    this.repo.removeMany(new Set([...doomed].map((j) => j.id)));
    // Files go after db.json has the removal (see remove()).
    if ([...doomed].some((j) => j.status === 'failed')) await this.repo.persisted();
    for (const j of doomed) if (j.status === 'failed') await this.deps.engine.removeWorkDir(j.id);
    for (const j of doomed) this.deps.bus.emit('job.removed', { id: j.id });
    return doomed.size;
  }

  async pause(id: string): Promise<Job> {
    const job = this.get(id);
    if (job.status === 'paused') return job;
    if (job.status === 'pending') return this.states.transition(id, 'paused');
    const active = this.active.get(id);
    if (!active) throw conflict(`a ${job.status} download cannot be paused`);
    active.controller.abort(new StopRequest('paused'));
    await active.done;
    return this.get(id);
  }

  async resume(id: string): Promise<Job> {
    const job = this.get(id);
    if (job.status !== 'paused') throw conflict(`only a paused download can be resumed (this one is ${job.status})`);
    const resumed = this.states.transition(id, 'pending');
    this.kick();
    return this.get(resumed.id);
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
      this.states.transition(id, 'cancelled', { transfer: null });
      await this.repo.persisted();
      await this.deps.engine.removeWorkDir(id);
    }
    return this.get(id);
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
    if (job.status === 'pending' && job.live && !isDue(job, this.deps.clock.now())) return this.states.transition(id, 'cancelled');
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
    // null in an edit removes the field from the record.
    const patch: JobPatch = {};
    for (const [key, value] of Object.entries(plan.apply)) (patch as Record<string, unknown>)[key] = value === null ? undefined : value;
    // A title typed by a person always wins: the download's first response no longer changes it.
    // The same title sent back unchanged (a form sending every field) is not a choice made.
    if (plan.apply.title !== undefined && plan.apply.title !== job.title) patch.title_from = 'user';
    if (plan.discardWork) {
      await this.deps.engine.removeWorkDir(id);
      Object.assign(patch, { kind: null, progress: 0, bytes_done: 0, bytes_total: null, segments_done: 0, segments_total: 0, eta_s: null });
      this.deps.logger.info({ jobId: id }, 'download edited to another quality or format: it starts again from the beginning');
    }
    const edited = this.states.update(id, patch, { announce: true });
    if (plan.apply.priority !== undefined) this.kick();
    return { job: edited, notApplied: plan.notApplied };
  }

  /** Failed or cancelled jobs go back to the queue; a failed job continues from what it has. */
  async retry(id: string): Promise<Job> {
    const job = this.get(id);
    if (job.status !== 'failed' && job.status !== 'cancelled') {
      throw conflict(`only a failed or cancelled download can be retried (this one is ${job.status})`);
    }
    const retried = this.states.transition(id, 'pending', {
      retry_count: job.retry_count + 1,
      error: null,
      // A failed transfer starts a new wait (the retry limit counts from the next failure).
      ...(job.transfer ? { transfer: { ...job.transfer, waiting_since: null, next_attempt_at: null } } : {}),
    });
    this.kick();
    return this.get(retried.id);
  }

  async remove(id: string, options: { deleteFile: boolean }): Promise<void> {
    const job = this.get(id);
    const active = this.active.get(id);
    if (active) {
      active.controller.abort(new StopRequest('deleted'));
      await active.done;
    }
    this.repo.remove(id);
    this.progress.delete(id);
    // The work files go once db.json no longer has the job (at most a second): a kill -9 before
    // that write would bring the job back with its files gone, to be downloaded from the start.
    // Killed after it, the files left are swept at the next start (jobs/stale-work.ts).
    await this.repo.persisted();
    await this.deps.engine.removeWorkDir(id);
    if (options.deleteFile && job.file_path && job.status === 'completed') await this.deps.transfers.removeFile(job);
    this.deps.bus.emit('job.removed', { id });
  }

  /**
   * A scheduling pass once the current burst of work is done: a sync that creates 2,500 jobs
   * asks for one pass per batch, not one per job (each pass reads every stored job).
   */
  private kickSoon(): void {
    if (this.kickQueued) return;
    this.kickQueued = true;
    setImmediate(() => {
      this.kickQueued = false;
      this.kick();
    });
  }

  /** One scheduling pass: starts what jobs/scheduler.ts says may run now. */
  kick(): void {
    const running = new Map<string, RunPhase>();
    for (const [id, a] of this.active) running.set(id, a.phase);
    const launches = nextToRun({
      jobs: this.repo.all(),
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
      if (this.active.has(job.id) || this.statusOf(job.id) !== 'pending') continue;
      this.launch(job.id, phase);
    }
    this.armSchedule();
  }

  /** A timer that runs a scheduling pass when the earliest scheduled recording is due. */
  private armSchedule(): void {
    if (this.stopping) return;
    const now = this.deps.clock.now();
    const earliest = nextStartAt(this.repo.scheduledRecordings(), now);
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

  private launch(id: string, phase: RunPhase): void {
    const entry: RunEntry = { controller: new AbortController(), meter: new SpeedMeter(() => this.deps.clock.now()), done: Promise.resolve(), phase, recordingStop: new AbortController() };
    this.active.set(id, entry);
    entry.done = this.runner.run(id, entry).finally(() => {
      this.active.delete(id);
      this.kick();
    });
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

  private today(): string {
    const d = new Date(this.deps.clock.now());
    return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
  }
}
