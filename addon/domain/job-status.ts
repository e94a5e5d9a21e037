/** The states of a download job, in the order a job normally goes through them. */
export const JOB_STATUSES = [
  'pending',
  'downloading',
  'merging',
  'transferring',
  'completed',
  'failed',
  'paused',
  'cancelled',
] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

/** Working: counted against the concurrency limits. */
export const ACTIVE_STATUSES: readonly JobStatus[] = ['downloading', 'merging', 'transferring'];
/** Done for good: never started again. */
export const FINAL_STATUSES: readonly JobStatus[] = ['completed', 'cancelled'];

export const PRIORITIES = ['low', 'medium', 'high'] as const;
export type Priority = (typeof PRIORITIES)[number];
