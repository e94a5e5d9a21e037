import type { Job, JobFigureField, JobStatus, RecordingStatus } from '../jobs/model.js';
import type { SyncProgress, SyncRecord } from '../sources/model.js';

/** Live numbers of a running job: hot and ephemeral, never written to the store per tick. */
export interface JobProgress extends Pick<Job, JobFigureField> {
  id: string;
  status: JobStatus;
  /** A live recording's figures (recorded seconds against the target, bitrate, gaps). */
  recording?: RecordingStatus;
}

/** Every event the application publishes. Subscribers: SSE, MQTT, Telegram, HA events. */
export interface AppEvents {
  'job.added': { job: Job };
  /** The status changed (never to the same status: jobs/lifecycle.ts has no self-transitions). */
  'job.status': { job: Job; previous: JobStatus };
  /** Same status, new durable details a viewer shows (a transfer waiting for its destination: error, next attempt). */
  'job.updated': { job: Job };
  'job.progress': JobProgress;
  'job.removed': { id: string };
  /** The queue-level pause (JobService.pauseQueue/resumeQueue) changed. */
  'queue.state': { paused: boolean };
  /** An automatic hold (JobService.holdQueue/releaseQueue, e.g. disk_full) began or ended. */
  'queue.held': { reason: string; held: boolean; detail: string | null; since: string };
  /** A running sync's phase and entries read (at most ~4 a second per sync, and at each phase). */
  'sync.progress': SyncProgress;
  /** One playlist source finished syncing (published by the sources module). */
  'sync.completed': SyncSummary;
  /** A library destination's health changed (periodic check, a test, or a transfer's outcome). */
  'destination.status': DestinationStatusEvent;
  /** The download speed limit in force changed (schedule, switch, settings); see speed/schedule.ts. */
  'speed.changed': SpeedChange;
  /** A live recording began fetching segments (published by the recorder). */
  'recording.started': { job: Job };
  /** A live recording stopped and its file was filed (or it failed); `job.status` says which. */
  'recording.finished': { job: Job };
  /** An alert rule began to hold (published by the alert evaluator, once per episode). */
  'alert.raised': AlertEvent;
  /** An alert rule that was raised no longer holds. */
  'alert.resolved': AlertEvent;
}

export interface SpeedChange {
  mode: 'unlimited' | 'limited' | 'paused';
  limit_bps: number | null;
  source: { kind: 'rule'; name: string; index: number } | { kind: 'manual' } | { kind: 'none' };
  next_change_at: string | null;
  /** The manual switch and number, as saved. */
  enabled: boolean;
  limit_kbps: number;
}

/** One episode of an alert rule holding, from raised to resolved. */
export interface AlertEvent {
  /** Stable per rule and subject, e.g. `disk_low:nas` or `queue_long`. */
  id: string;
  /** The rule's key, from a fixed set (disk_low, failure_rate, queue_long, destination_down, job_stalled). */
  rule: string;
  severity: 'warning' | 'critical';
  /** One sentence a user can act on, e.g. "NAS has 4 % free (12 GB)". Never a secret. */
  message: string;
  /** The measured value and the threshold, when the rule has numbers. */
  value: number | null;
  threshold: number | null;
  raised_at: string;
  /** Set on `alert.resolved`. */
  resolved_at: string | null;
}

export interface DestinationStatusEvent {
  id: string;
  name: string;
  kind: string;
  status: 'online' | 'offline' | 'error' | 'unknown';
  previous: 'online' | 'offline' | 'error' | 'unknown';
  /** What failed, for offline/error; null when online. */
  message: string | null;
  code: string | null;
  checked_at: string;
}

/** What one source sync found; MQTT, Telegram and Home Assistant events report it. */
export interface SyncSummary {
  source: { id: string; name: string };
  /** Items seen for the first time in this sync. */
  new_items: number;
  updated_items: number;
  removed_items: number;
  total_items: number;
  /** Downloads queued by this sync (auto-download rules). */
  queued: number;
  duration_ms: number;
  /** Why the sync failed; null when it succeeded. */
  error: string | null;
  /** A few titles of new items, for messages; may be shorter than new_items. */
  new_titles: string[];
  /** The whole sync record (counts, anomaly, queued downloads), as GET /api/sources/:id/syncs shows it. */
  record?: SyncRecord;
}
