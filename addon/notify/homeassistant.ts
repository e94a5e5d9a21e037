import { AppError, errorMessage } from '../errors.js';
import type { SyncSummary } from '../events/app-events.js';
import type { Clock } from '../platform/clock.js';
import type { Logger } from '../platform/logger.js';
import { downloadEventData, formatBytes, formatDuration, syncEventData, type DownloadEventData } from './job-summary.js';
import { renderMessage } from './message.js';
import type { NotificationDigest, NotificationEvent, NotificationEventType } from './notification-event.js';
import type { Notifier, NotifierStatus, NotifierTestResult } from './notifier.js';
import type { SupervisorClient } from './supervisor.js';

/** Event types fired on Home Assistant's bus. */
export const HA_EVENTS = {
  completed: 'm3u_downloader_download_completed',
  failed: 'm3u_downloader_download_failed',
  syncCompleted: 'm3u_downloader_sync_completed',
  test: 'm3u_downloader_test',
} as const;

/** The Home Assistant event fired for each notification (automations trigger on these). */
export const HA_EVENT_TYPES: Record<NotificationEventType, string> = {
  'download.completed': HA_EVENTS.completed,
  'download.failed': HA_EVENTS.failed,
  'sync.finished': HA_EVENTS.syncCompleted,
  'recording.started': 'm3u_downloader_recording_started',
  'recording.finished': 'm3u_downloader_recording_finished',
  'destination.down': 'm3u_downloader_destination_down',
  'destination.up': 'm3u_downloader_destination_up',
  'disk.full': 'm3u_downloader_disk_full',
  'alert.raised': 'm3u_downloader_alert_raised',
  'alert.resolved': 'm3u_downloader_alert_resolved',
};

export interface HomeAssistantStatus extends NotifierStatus {
  enabled: boolean;
  /** Why nothing is sent (null when enabled). */
  reason: string | null;
  events: boolean;
  notify_service: string | null;
  sent: number;
  failed: number;
  last_error: string | null;
  last_sent_at: string | null;
}

export interface HomeAssistantDeps {
  /** Null outside Home Assistant (no SUPERVISOR_TOKEN). */
  supervisor: SupervisorClient | null;
  events: boolean;
  /** `notify.mobile_app_phone`, or any `domain.service` taking {title, message}. */
  notifyService?: string | undefined;
  mediaDir: string;
  fileSize: (absolutePath: string) => Promise<number | null>;
  clock: Clock;
  logger: Logger;
  /** Waits before the retries of a request Home Assistant could not take (restarting, 5xx). */
  retryDelaysMs?: readonly number[];
}

interface Notification {
  title: string;
  message: string;
}

/**
 * Fires `m3u_downloader_*` events through the Supervisor's core API and, when configured,
 * calls a notify service. Fed by the notification dispatcher: Home Assistant being down costs a
 * log line, never a download. A digest still fires one event per download (automations count on
 * that) but calls the notify service once.
 */
export class HomeAssistantNotifier implements Notifier {
  readonly kind = 'homeassistant';
  readonly id = 'homeassistant';
  private stopController = new AbortController();
  private readonly inflight = new Set<Promise<void>>();
  private sent = 0;
  private failed = 0;
  private lastError: string | null = null;
  private lastSentAt: number | null = null;
  private failedSinceSent = false;

  constructor(private readonly deps: HomeAssistantDeps) {}

  /** Running inside Home Assistant (a Supervisor to talk to). */
  get available(): boolean {
    return this.deps.supervisor !== null;
  }

  get enabled(): boolean {
    return this.deps.supervisor !== null && (this.deps.events || Boolean(this.deps.notifyService));
  }

  start(): void {
    if (this.stopController.signal.aborted) this.stopController = new AbortController();
  }

  async stop(): Promise<void> {
    this.stopController.abort();
    await Promise.allSettled([...this.inflight]);
  }

  status(): HomeAssistantStatus {
    const reason = !this.deps.supervisor
      ? 'not running as a Home Assistant add-on (SUPERVISOR_TOKEN is not set)'
      : !this.enabled
        ? 'homeassistant_events is off and no homeassistant_notify_service is set'
        : null;
    return {
      kind: this.kind,
      id: this.id,
      enabled: this.enabled,
      state: !this.enabled ? 'disabled' : this.lastError && this.failedSinceSent ? 'error' : 'ok',
      reason,
      events: this.deps.events,
      notify_service: this.deps.notifyService ?? null,
      sent: this.sent,
      failed: this.failed,
      last_error: this.lastError,
      last_sent_at: this.lastSentAt === null ? null : new Date(this.lastSentAt).toISOString(),
    };
  }

  /** Fires the test event (and calls the notify service when set); says what went wrong. */
  async test(): Promise<NotifierTestResult> {
    if (!this.deps.supervisor) return { ok: false, skipped: true, error: this.status().reason ?? 'not running as a Home Assistant add-on' };
    try {
      await this.deliver([[HA_EVENTS.test, { message: 'test from m3u-downloader' }]], { title: 'M3U Downloader', message: 'Test notification from m3u-downloader' }, true);
    } catch (err) {
      return { ok: false, error: errorMessage(err), event: HA_EVENTS.test };
    }
    return { ok: true, event: HA_EVENTS.test, notify_service: this.deps.notifyService ?? null };
  }

  /** One event (or a digest's events) on Home Assistant's bus, and one notify-service message. */
  async handle(input: NotificationEvent | NotificationDigest): Promise<void> {
    if (!this.enabled) return;
    const task = (async () => {
      const events = input.type === 'digest' ? input.events : [input];
      const fired = await Promise.all(events.map(async (e) => [HA_EVENT_TYPES[e.type], await this.eventData(e)] as [string, Record<string, unknown>]));
      const single = events.length === 1 ? events[0]! : null;
      const notification =
        single && (single.type === 'download.completed' || single.type === 'download.failed' || single.type === 'sync.finished')
          ? legacyNotification(single, fired[0]![1])
          : fromRendered(renderMessage(input));
      await this.deliver(fired, notification, true);
    })();
    this.inflight.add(task);
    try {
      await task;
    } finally {
      this.inflight.delete(task);
    }
  }

  private async eventData(event: NotificationEvent): Promise<Record<string, unknown>> {
    switch (event.type) {
      case 'download.completed':
      case 'download.failed':
      case 'recording.started':
      case 'recording.finished': {
        const job = event.job;
        const size = job.file_path ? await this.deps.fileSize(`${this.deps.mediaDir}/${job.file_path}`) : null;
        return { ...downloadEventData(job, { mediaDir: this.deps.mediaDir, size }) };
      }
      case 'sync.finished':
        return { ...syncEventData(event.summary) };
      case 'destination.down':
      case 'destination.up':
        return { ...event.destination };
      case 'disk.full':
        return { reason: event.reason, detail: event.detail, since: event.since };
      case 'alert.raised':
      case 'alert.resolved':
        return { ...event.alert };
    }
  }

  private async deliver(events: [string, Record<string, unknown>][], notification: Notification, rethrow = false): Promise<void> {
    const supervisor = this.deps.supervisor;
    if (!supervisor) return;
    const signal = this.stopController.signal;
    const tasks: [string, () => Promise<void>][] = [];
    const forced = events.length === 1 && events[0]![0] === HA_EVENTS.test;
    if (this.deps.events || forced) for (const [type, data] of events) tasks.push([`event ${type}`, () => supervisor.fireEvent(type, data, signal)]);
    const service = this.deps.notifyService;
    if (service) {
      const [domain, name] = service.includes('.') ? (service.split('.', 2) as [string, string]) : ['notify', service];
      tasks.push([`service ${domain}.${name}`, () => supervisor.callService(domain, name, { ...notification }, signal)]);
    }
    let firstError: unknown = null;
    for (const [what, task] of tasks) {
      try {
        await this.withRetries(task);
        this.sent++;
        this.lastSentAt = this.deps.clock.now();
        this.failedSinceSent = false;
      } catch (err) {
        if (signal.aborted) return;
        this.failed++;
        this.failedSinceSent = true;
        this.lastError = `${what}: ${errorMessage(err)}`;
        this.deps.logger.warn({ what, error: errorMessage(err) }, 'home assistant notification failed');
        firstError ??= err;
      }
    }
    if (rethrow && firstError) throw firstError;
  }

  private async withRetries(task: () => Promise<void>): Promise<void> {
    const delays = this.deps.retryDelaysMs ?? [1000, 5000];
    for (let attempt = 0; ; attempt++) {
      try {
        return await task();
      } catch (err) {
        const transient = err instanceof AppError && (err.code === 'supervisor_unreachable' || /answered 5\d\d/.test(err.message));
        const delay = delays[attempt];
        if (!transient || delay === undefined || this.stopController.signal.aborted) throw err;
        await this.deps.clock.sleep(delay, this.stopController.signal);
      }
    }
  }
}

function legacyNotification(event: NotificationEvent, data: Record<string, unknown>): Notification {
  if (event.type === 'sync.finished') return syncNotification(event.summary);
  const d = data as unknown as DownloadEventData;
  return event.type === 'download.completed' ? completedNotification(d) : failedNotification(d);
}

function fromRendered(m: { title: string; body: string }): Notification {
  return { title: m.title, message: m.body };
}

function completedNotification(d: DownloadEventData): Notification {
  return { title: 'Download complete', message: `${d.title} (${formatBytes(d.size)}, ${formatDuration(d.duration_s)}) saved to ${d.relative_path ?? d.path ?? '?'}` };
}

function failedNotification(d: DownloadEventData): Notification {
  return { title: 'Download failed', message: `${d.title}: ${d.error ?? 'unknown error'}` };
}

function syncNotification(s: SyncSummary): Notification {
  if (s.error) return { title: 'Playlist sync failed', message: `${s.source.name}: ${s.error}` };
  return { title: 'Playlist synced', message: `${s.source.name}: ${s.new_items} new, ${s.total_items} in total${s.queued ? `, ${s.queued} queued` : ''}` };
}
