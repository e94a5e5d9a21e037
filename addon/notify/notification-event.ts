/**
 * What a notifier is told about. The dispatcher (notify/) turns bus events into these, applies
 * each notifier's event filter and digest setting, and calls `Notifier.handle`. Types only.
 */
import type { AlertEvent, DestinationStatusEvent, SyncSummary } from '../events/app-events.js';
import type { Job } from '../jobs/model.js';

export const NOTIFICATION_EVENT_TYPES = [
  'download.completed',
  'download.failed',
  'sync.finished',
  'recording.started',
  'recording.finished',
  'destination.down',
  'destination.up',
  'disk.full',
  'alert.raised',
  'alert.resolved',
] as const;
export type NotificationEventType = (typeof NOTIFICATION_EVENT_TYPES)[number];

export type NotificationEvent =
  | { type: 'download.completed'; job: Job }
  | { type: 'download.failed'; job: Job }
  | { type: 'sync.finished'; summary: SyncSummary }
  | { type: 'recording.started'; job: Job }
  | { type: 'recording.finished'; job: Job }
  | { type: 'destination.down'; destination: DestinationStatusEvent }
  | { type: 'destination.up'; destination: DestinationStatusEvent }
  | { type: 'disk.full'; reason: string; detail: string | null; since: string }
  | { type: 'alert.raised'; alert: AlertEvent }
  | { type: 'alert.resolved'; alert: AlertEvent };

/** Several events of one kind sent as one message (digest mode: a sync queueing 40 episodes). */
export interface NotificationDigest {
  type: 'digest';
  events: NotificationEvent[];
}
