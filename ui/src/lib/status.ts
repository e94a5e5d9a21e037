import type { Job, JobStatus } from './types';

export type Tone = 'info' | 'success' | 'warning' | 'error' | 'neutral';

export const STATUS_LABEL: Record<JobStatus, string> = {
  pending: 'Queued',
  downloading: 'Downloading',
  merging: 'Merging',
  transferring: 'Transferring',
  completed: 'Completed',
  failed: 'Failed',
  paused: 'Paused',
  cancelled: 'Cancelled',
};

export const STATUS_TONE: Record<JobStatus, Tone> = {
  pending: 'neutral',
  downloading: 'info',
  merging: 'info',
  transferring: 'info',
  completed: 'success',
  failed: 'error',
  paused: 'warning',
  cancelled: 'neutral',
};

export type Action = 'pause' | 'resume' | 'cancel' | 'retry' | 'delete' | 'stop';

/** A running live recording is stopped (filing what it has) rather than paused. */
export function actionsForJob(job: { status: JobStatus; kind: string | null; live?: unknown }): Action[] {
  const recording = job.kind === 'recording' || Boolean(job.live);
  if (recording && job.status === 'downloading') return ['stop', 'cancel'];
  if (recording && job.status === 'pending') return ['cancel'];
  return actionsFor(job.status);
}

export function actionsFor(status: JobStatus): Action[] {
  switch (status) {
    case 'pending':
    case 'downloading':
      return ['pause', 'cancel'];
    case 'merging':
      return ['cancel'];
    case 'transferring':
      return ['pause', 'cancel'];
    case 'paused':
      return ['resume', 'cancel'];
    case 'failed':
    case 'cancelled':
      return ['retry', 'delete'];
    case 'completed':
      return ['delete'];
  }
}

/** Filters offered above the list; each is a set of statuses. */
export const FILTERS = [
  { key: 'all', label: 'All', statuses: null },
  { key: 'active', label: 'Active', statuses: ['downloading', 'merging', 'transferring'] },
  { key: 'queued', label: 'Queued', statuses: ['pending'] },
  { key: 'paused', label: 'Paused', statuses: ['paused'] },
  { key: 'failed', label: 'Failed', statuses: ['failed'] },
  { key: 'completed', label: 'Completed', statuses: ['completed'] },
  { key: 'cancelled', label: 'Cancelled', statuses: ['cancelled'] },
] as const satisfies ReadonlyArray<{ key: string; label: string; statuses: readonly JobStatus[] | null }>;
export type FilterKey = (typeof FILTERS)[number]['key'];

export const IN_PROGRESS: readonly JobStatus[] = ['downloading', 'merging', 'transferring', 'pending', 'paused'];

/** The order within "In progress": running first, then queued by priority, then paused. */
export function progressRank(job: Job): number {
  const s = { downloading: 0, merging: 0, transferring: 0, pending: 1, paused: 2 } as Partial<Record<JobStatus, number>>;
  const p = { high: 0, medium: 1, low: 2 }[job.priority] ?? 1;
  return (s[job.status] ?? 3) * 10 + (job.status === 'pending' ? p : 0);
}

export function finishedAt(job: Job): string {
  return job.completed_at ?? job.updated_at;
}
