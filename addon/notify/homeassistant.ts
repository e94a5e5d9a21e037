import { AppError, errorMessage } from '../errors.js';
import type { AppEvents, SyncSummary } from '../events/app-events.js';
import type { EventBus } from '../events/bus.js';
import type { Job } from '../jobs/model.js';
import type { Clock } from '../platform/clock.js';
import type { Logger } from '../platform/logger.js';
import { downloadEventData, formatBytes, formatDuration, syncEventData, type DownloadEventData } from './job-summary.js';
import type { SupervisorClient } from './supervisor.js';

/** Event types fired on Home Assistant's bus. */
export const HA_EVENTS = {
  completed: 'm3u_downloader_download_completed',
  failed: 'm3u_downloader_download_failed',
  syncCompleted: 'm3u_downloader_sync_completed',
  test: 'm3u_downloader_test',
} as const;

export interface HomeAssistantStatus {
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
  bus: EventBus<AppEvents>;
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
 * calls a notify service. A bus subscriber: Home Assistant being down costs a log line, never a
 * download.
 */
export class HomeAssistantNotifier {
  private readonly offs: (() => void)[] = [];
  private readonly stopController = new AbortController();
  private readonly inflight = new Set<Promise<void>>();
  private sent = 0;
  private failed = 0;
  private lastError: string | null = null;
  private lastSentAt: number | null = null;

  constructor(private readonly deps: HomeAssistantDeps) {}

  /** Running inside Home Assistant (a Supervisor to talk to). */
  get available(): boolean {
    return this.deps.supervisor !== null;
  }

  get enabled(): boolean {
    return this.deps.supervisor !== null && (this.deps.events || Boolean(this.deps.notifyService));
  }

  start(): void {
    if (!this.enabled) return;
    const { bus } = this.deps;
    this.offs.push(
      bus.on('job.status', ({ job, previous }) => {
        if (job.status === previous) return;
        if (job.status === 'completed') this.track(this.onDownload(job, 'completed'));
        else if (job.status === 'failed') this.track(this.onDownload(job, 'failed'));
      }),
      bus.on('sync.completed', (summary) => this.track(this.onSync(summary))),
    );
  }

  async stop(): Promise<void> {
    for (const off of this.offs.splice(0)) off();
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
      enabled: this.enabled,
      reason,
      events: this.deps.events,
      notify_service: this.deps.notifyService ?? null,
      sent: this.sent,
      failed: this.failed,
      last_error: this.lastError,
      last_sent_at: this.lastSentAt === null ? null : new Date(this.lastSentAt).toISOString(),
    };
  }

  /** Fires the test event (and calls the notify service when set); throws what went wrong. */
  async test(): Promise<{ ok: boolean; event: string; notify_service: string | null }> {
    if (!this.deps.supervisor) throw new AppError('not_configured', this.status().reason!, { httpStatus: 409 });
    await this.deliver(HA_EVENTS.test, { message: 'test from m3u-downloader' }, { title: 'M3U Downloader', message: 'Test notification from m3u-downloader' }, true);
    return { ok: true, event: HA_EVENTS.test, notify_service: this.deps.notifyService ?? null };
  }

  private track(p: Promise<void>): void {
    this.inflight.add(p);
    void p.finally(() => this.inflight.delete(p));
  }

  private async onDownload(job: Job, kind: 'completed' | 'failed'): Promise<void> {
    const size = job.file_path ? await this.deps.fileSize(`${this.deps.mediaDir}/${job.file_path}`) : null;
    const data = downloadEventData(job, { mediaDir: this.deps.mediaDir, size });
    await this.deliver(HA_EVENTS[kind], { ...data }, kind === 'completed' ? completedNotification(data) : failedNotification(data));
  }

  private async onSync(summary: SyncSummary): Promise<void> {
    await this.deliver(HA_EVENTS.syncCompleted, { ...syncEventData(summary) }, syncNotification(summary));
  }

  private async deliver(type: string, data: Record<string, unknown>, notification: Notification, rethrow = false): Promise<void> {
    const supervisor = this.deps.supervisor;
    if (!supervisor) return;
    const signal = this.stopController.signal;
    const tasks: [string, () => Promise<void>][] = [];
    if (this.deps.events || rethrow) tasks.push([`event ${type}`, () => supervisor.fireEvent(type, data, signal)]);
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
      } catch (err) {
        if (signal.aborted) return;
        this.failed++;
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
