/**
 * A notifier set up in the panel, as db.json keeps it (secrets included: db.json stays in /data).
 * Loosely typed on purpose: the store depends on nothing above it, and notify/ checks what it
 * reads (an event type a newer version wrote is skipped, not trusted).
 */
export interface NotifierRecord {
  id: string;
  kind: string;
  name: string;
  enabled: boolean;
  /** Notification event types (notify/notification-event.ts). */
  events: string[];
  digest: { enabled: boolean; window_s: number };
  /** The kind's own settings, validated by its schema; secrets among them are write-only. */
  settings: Record<string, unknown>;
  created_at: string;
  updated_at: string;
}
