/**
 * What runs next: a pure function of the queue and what is running, so priorities, limits and
 * holds are table-tested without downloads. JobService asks it on every scheduling pass (a job
 * queued, finished or resumed, a setting changed) and launches what it returns.
 *
 * Rules: nothing starts while the queue is paused or the service is stopping. Jobs whose file is
 * downloaded and only wait for their transfer (`transfer` set: after a restart, a pause or a
 * retry) start at once: they take no download slot, and an automatic hold (disk full) does not
 * stop them. Downloads start while fewer than `maxConcurrent` run: highest priority first, then
 * oldest (the list is in creation order); a job whose group (its playlist source) already runs its
 * limit waits without taking a global slot. Recordings (addon/live/schedule.ts) start as soon as
 * their start_at has come, outside the download slots, unless the queue is paused or held; a
 * running one counts against its source's limit but not against maxConcurrent.
 */
import { dueRecordings, isRecordingJob } from '../live/schedule.js';
import type { Job, Priority } from './model.js';

/** recording: a live stream (a `live` request, or a job found live), outside the download slots. */
export type RunPhase = 'download' | 'transfer' | 'recording';

export interface GroupLimits {
  /** The group a job belongs to (its source id), or null. */
  groupOf(job: Job): string | null;
  /** How many jobs of a group may download at once. */
  maxActive(group: string): number;
}

export interface QueueState {
  /** Every job, in creation order. */
  jobs: readonly Job[];
  /** Jobs running now and the phase they hold. */
  running: ReadonlyMap<string, RunPhase>;
  maxConcurrent: number;
  /** The user's queue pause. */
  paused: boolean;
  /** Any automatic hold (disk_full). */
  held: boolean;
  stopping: boolean;
  limits?: GroupLimits | undefined;
  /** ms since the epoch: a recording waits for its live.start_at (absent: every recording is due). */
  now?: number | undefined;
}

export interface Launch {
  job: Job;
  phase: RunPhase;
}

export const PRIORITY_RANK: Record<Priority, number> = { high: 0, medium: 1, low: 2 };

export function nextToRun(state: QueueState): Launch[] {
  if (state.stopping || state.paused) return [];
  const out: Launch[] = [];
  const taken = new Set<string>();
  for (const job of state.jobs) {
    if (job.status === 'pending' && job.transfer && !state.running.has(job.id)) {
      out.push({ job, phase: 'transfer' });
      taken.add(job.id);
    }
  }
  if (state.held) return out;
  // Recordings start when due, whatever the download slots: a live stream cannot wait for one.
  for (const job of dueRecordings(state.jobs, state.running, state.now ?? Number.POSITIVE_INFINITY)) {
    if (taken.has(job.id)) continue;
    out.push({ job, phase: 'recording' });
    taken.add(job.id);
  }
  let downloads = 0;
  const byGroup = new Map<string, number>();
  const groupOf = (job: Job): string | null => state.limits?.groupOf(job) ?? null;
  const byId = new Map(state.jobs.map((j) => [j.id, j]));
  for (const [id, phase] of state.running) {
    // A running recording holds a connection of its source, not a download slot.
    if (phase === 'transfer') continue;
    if (phase === 'download') downloads++;
    const other = byId.get(id);
    const group = other ? groupOf(other) : null;
    if (group !== null) byGroup.set(group, (byGroup.get(group) ?? 0) + 1);
  }
  while (downloads < state.maxConcurrent) {
    let best: Job | null = null;
    for (const job of state.jobs) {
      if (job.status !== 'pending' || state.running.has(job.id) || taken.has(job.id) || isRecordingJob(job)) continue;
      const group = groupOf(job);
      if (group !== null && state.limits && (byGroup.get(group) ?? 0) >= state.limits.maxActive(group)) continue;
      if (!best || PRIORITY_RANK[job.priority] < PRIORITY_RANK[best.priority]) best = job;
    }
    if (!best) break;
    out.push({ job: best, phase: 'download' });
    taken.add(best.id);
    downloads++;
    const group = groupOf(best);
    if (group !== null) byGroup.set(group, (byGroup.get(group) ?? 0) + 1);
  }
  return out;
}
