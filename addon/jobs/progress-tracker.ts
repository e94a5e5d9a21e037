/**
 * Live progress of running jobs, in memory only. The engine's callbacks arrive thousands of times
 * a second; writing them onto the stored job made every chunk a store change. Here they are
 * plain numbers in a map: the API, SSE and MQTT views lay them over the stored record
 * (`view()`), and the runner copies them onto the record only at a change of status (a
 * checkpoint), so a paused or failed job still shows how far it got after a restart. Resume
 * never needs them: it trusts each job's journal.
 */
import type { RecordingStatus } from '../live/model.js';
import type { Job, JobFigureField } from './model.js';

/** The fields that change while a job runs. `recording` without its `files` (those are durable). */
export type LiveProgress = Pick<Job, JobFigureField | 'updated_at'> & { recording: RecordingStatus | null };

export class ProgressTracker {
  private readonly live = new Map<string, Partial<LiveProgress>>();

  /** Merges new figures for a running job. */
  set(id: string, values: Partial<LiveProgress>): void {
    const entry = this.live.get(id);
    if (entry) Object.assign(entry, values);
    else this.live.set(id, { ...values });
  }

  get(id: string): Readonly<Partial<LiveProgress>> | undefined {
    return this.live.get(id);
  }

  has(id: string): boolean {
    return this.live.has(id);
  }

  /** The job is not running any more (its figures were checkpointed onto the record). */
  delete(id: string): void {
    this.live.delete(id);
  }

  /**
   * The figures as fields of the stored record: what a checkpoint writes. A recording's live
   * status keeps the record's `files` (which of its files are already in the library).
   */
  fieldsFor(job: Job): Partial<Job> {
    const entry = this.live.get(job.id);
    if (!entry) return {};
    const { recording, ...rest } = entry;
    const out: Partial<Job> = { ...rest };
    if (recording) out.recording = { ...recording, files: job.recording?.files ?? [] };
    return out;
  }

  /** The job as its readers see it: the stored record with the live figures laid over it. */
  view(job: Job): Job {
    return this.live.has(job.id) ? { ...job, ...this.fieldsFor(job) } : job;
  }

  /** The running jobs' speeds added up, bytes/s. */
  totalSpeed(ids: Iterable<string>): number {
    let sum = 0;
    for (const id of ids) sum += this.live.get(id)?.speed ?? 0;
    return sum;
  }
}
