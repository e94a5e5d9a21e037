/** The /api/notifiers contract, as types from the backend (the panel imports only types). */
export type { NotifierKindView, NotifierView } from '../../../addon/notify/notifier-config.js';
export type { NotificationEventType } from '../../../addon/notify/notification-event.js';
import type { NotificationEventType } from '../../../addon/notify/notification-event.js';

/** Every event a notifier can get, in the backend's order, with words for the form. */
export const EVENT_LABELS: Record<NotificationEventType, string> = {
  'download.completed': 'Download completed',
  'download.failed': 'Download failed',
  'sync.finished': 'Playlist sync finished',
  'recording.started': 'Recording started',
  'recording.finished': 'Recording finished',
  'destination.down': 'Destination down',
  'destination.up': 'Destination back up',
  'disk.full': 'Disk full',
  'alert.raised': 'Alert raised',
  'alert.resolved': 'Alert resolved',
};
export const EVENT_TYPES = Object.keys(EVENT_LABELS) as NotificationEventType[];
