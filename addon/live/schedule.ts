import type { Job } from '../jobs/model.js';

/**
 * When recordings run, as pure functions the queue asks on every scheduling pass: a recording (a
 * `live` request, or a job found live) starts as soon as it is due, outside the download slots
 * (a live stream cannot wait for one), and a scheduled one wakes the queue at its start_at.
 */

export function isRecordingJob(job: Pick<Job, 'live' | 'kind'>): boolean {
  return Boolean(job.live) || job.kind === 'recording';
}

/** Its start_at has come (or it has none). */
export function isDue(job: Pick<Job, 'live'>, now: number): boolean {
  const at = job.live?.start_at ? Date.parse(job.live.start_at) : NaN;
  return !Number.isFinite(at) || at <= now;
}

/** Pending recordings to start now (their file not yet recorded: `transfer` unset). */
export function dueRecordings(jobs: readonly Job[], running: { has(id: string): boolean }, now: number): Job[] {
  return jobs.filter((j) => j.status === 'pending' && !j.transfer && !running.has(j.id) && isRecordingJob(j) && isDue(j, now));
}

/** The earliest start_at of a pending recording not due yet: when the queue must look again. */
export function nextStartAt(jobs: readonly Job[], now: number): number | null {
  let earliest: number | null = null;
  for (const j of jobs) {
    if (j.status !== 'pending' || !j.live?.start_at) continue;
    const at = Date.parse(j.live.start_at);
    if (Number.isFinite(at) && at > now && (earliest === null || at < earliest)) earliest = at;
  }
  return earliest;
}
