/**
 * The job lifecycle as data: which status may follow which. Pure; JobService asks it before
 * every change of status, so a move the table does not list is a bug that fails loudly instead of
 * a job silently ending in a state nothing expects.
 *
 *   pending      -> downloading (a download slot), transferring (the file is already downloaded
 *                   and only waits for its destination), paused, cancelled, failed (the
 *                   downloaded file could not be read back)
 *   downloading  -> merging (HLS: the remux), transferring, pending (shutdown, queue pause or
 *                   hold, disk full: resumable), paused, cancelled, failed
 *   merging      -> transferring, pending, paused, cancelled, failed
 *   transferring -> completed, pending (shutdown), paused, cancelled, failed
 *   paused       -> pending (resume), cancelled
 *   failed       -> pending (retry), cancelled
 *   cancelled    -> pending (retry)
 *   completed    -> nothing (a completed download is only removed)
 */
import type { JobStatus } from './model.js';

export const TRANSITIONS: Readonly<Record<JobStatus, readonly JobStatus[]>> = {
  pending: ['downloading', 'transferring', 'paused', 'cancelled', 'failed'],
  downloading: ['merging', 'transferring', 'pending', 'paused', 'cancelled', 'failed'],
  merging: ['transferring', 'pending', 'paused', 'cancelled', 'failed'],
  transferring: ['completed', 'pending', 'paused', 'cancelled', 'failed'],
  paused: ['pending', 'cancelled'],
  failed: ['pending', 'cancelled'],
  cancelled: ['pending'],
  completed: [],
};

export function canTransition(from: JobStatus, to: JobStatus): boolean {
  return TRANSITIONS[from].includes(to);
}

/** A status change the lifecycle does not allow: a programming error, never user input. */
export class IllegalTransition extends Error {
  constructor(
    readonly jobId: string,
    readonly from: JobStatus,
    readonly to: JobStatus,
  ) {
    super(`job ${jobId}: ${from} -> ${to} is not an allowed transition`);
    this.name = 'IllegalTransition';
  }
}

/** Throws IllegalTransition unless `from -> to` is in the table. */
export function assertTransition(jobId: string, from: JobStatus, to: JobStatus): void {
  if (!canTransition(from, to)) throw new IllegalTransition(jobId, from, to);
}
