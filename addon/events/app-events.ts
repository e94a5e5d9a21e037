import type { Job, JobStatus } from '../jobs/model.js';

/** Live numbers of a running job: hot and ephemeral, never written to the store per tick. */
export interface JobProgress {
  id: string;
  status: JobStatus;
  progress: number;
  bytes_done: number;
  bytes_total: number | null;
  speed: number;
  eta_s: number | null;
  segments_done: number;
  segments_total: number;
}

/** Every event the application publishes. Subscribers: SSE, MQTT, Telegram, HA events. */
export interface AppEvents {
  'job.added': { job: Job };
  'job.status': { job: Job; previous: JobStatus };
  'job.progress': JobProgress;
  'job.removed': { id: string };
}
