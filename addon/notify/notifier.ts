import type { NotificationDigest, NotificationEvent } from './notification-event.js';

/** One notification channel (MQTT, Home Assistant, Telegram, webhook, ntfy, ...), as app.ts sees it. */
export interface Notifier {
  readonly kind: string;
  /** Instance id: the kind for option-configured notifiers, the record id for panel-configured ones. */
  readonly id: string;
  /** Subscribe, connect, start timers. Never throws for a channel that is down: status() says so. */
  start(): void | Promise<void>;
  /** Release every timer, listener and connection. */
  stop(): Promise<void>;
  status(): NotifierStatus;
  /** Send a test message (or ping) now and say exactly what happened. */
  test(signal?: AbortSignal): Promise<NotifierTestResult>;
  /** Deliver one event or a digest; rejects when delivery failed after the channel's own retries. */
  handle(event: NotificationEvent | NotificationDigest, signal?: AbortSignal): Promise<void>;
}

export interface NotifierStatus {
  kind: string;
  id: string;
  enabled: boolean;
  /** `disabled`: not configured; `error`: the last send or connection failed. */
  state: 'ok' | 'connecting' | 'error' | 'disabled';
  /** Why it is disabled or in error, in words a user can act on. Never a secret. */
  reason: string | null;
  sent: number;
  failed: number;
  last_error: string | null;
  last_sent_at: string | null;
  [key: string]: unknown;
}

export interface NotifierTestResult {
  ok: boolean;
  /** The channel is not set up, so nothing was sent. */
  skipped?: boolean;
  error?: string;
  [key: string]: unknown;
}
