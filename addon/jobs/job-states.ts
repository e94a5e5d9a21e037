/**
 * Changes of a stored job, for the runner and the service alike: the only place a job's status
 * changes (the lifecycle table decides whether it may) and where the bus hears of it. Every
 * event carries a snapshot (the stored record with live progress laid over it), never an
 * object that changes afterwards.
 */
import type { AppEvents, JobProgress } from '../events/app-events.js';
import type { EventBus } from '../events/bus.js';
import type { Clock } from '../platform/clock.js';
import { assertTransition } from './lifecycle.js';
import type { JobPatch, JobRepository } from './job-repository.js';
import { ACTIVE_STATUSES, type Job, type JobStatus } from './model.js';
import type { ProgressTracker } from './progress-tracker.js';

export class JobStates {
  constructor(
    private readonly deps: {
      jobs: JobRepository;
      progress: ProgressTracker;
      bus: EventBus<AppEvents>;
      clock: Clock;
    },
  ) {}

  nowIso(): string {
    return new Date(this.deps.clock.now()).toISOString();
  }

  /** The stored record with its live progress (what the API, SSE and MQTT show). */
  view(job: Job): Job {
    return this.deps.progress.view(job);
  }

  find(id: string): Job | undefined {
    const job = this.deps.jobs.find(id);
    return job ? this.view(job) : undefined;
  }

  /**
   * Moves a job to `status` with `patch`, checkpointing its live figures onto the record, and
   * announces it (job.status; recording.finished when a recording ends). A job that stops
   * running leaves the progress tracker.
   */
  transition(id: string, status: JobStatus, patch: JobPatch = {}): Job {
    const current = this.deps.jobs.find(id);
    if (!current) throw new Error(`job ${id} does not exist`);
    assertTransition(id, current.status, status);
    const previous = current.status;
    const stored = this.deps.jobs.update(id, { ...this.deps.progress.fieldsFor(current), ...patch, status, updated_at: this.nowIso() });
    if (!ACTIVE_STATUSES.includes(status)) this.deps.progress.delete(id);
    const job = this.view(stored);
    this.deps.bus.emit('job.status', { job, previous });
    if (previous !== status && job.kind === 'recording' && (status === 'completed' || status === 'failed')) this.deps.bus.emit('recording.finished', { job });
    return job;
  }

  /**
   * At start, before anyone listens: a job a crash or a stop left active goes back to the queue
   * (through the lifecycle table, like every move) without an event.
   */
  requeueInterrupted(id: string): void {
    const current = this.deps.jobs.find(id);
    if (!current) return;
    assertTransition(id, current.status, 'pending');
    this.deps.jobs.update(id, { status: 'pending', speed: 0, eta_s: null, updated_at: this.nowIso() });
  }

  /** A change that keeps the status; `announce` tells SSE and MQTT to show it (job.updated). */
  update(id: string, patch: JobPatch, options: { announce?: boolean } = {}): Job {
    const job = this.view(this.deps.jobs.update(id, { ...patch, updated_at: this.nowIso() }));
    if (options.announce) this.deps.bus.emit('job.updated', { job });
    return job;
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
