import type { NotificationEventType } from './notification-event.js';
import type { DigestSettings } from './routing.js';

/** A notifier set up in the panel, as db.json keeps it (secrets included: db.json stays in /data). */
export interface NotifierRecord {
  id: string;
  kind: string;
  name: string;
  enabled: boolean;
  events: NotificationEventType[];
  digest: DigestSettings;
  /** The kind's own settings, validated by its schema; secrets among them are write-only. */
  settings: Record<string, unknown>;
  created_at: string;
  updated_at: string;
}
