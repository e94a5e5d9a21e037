import { errorMessage } from '../../errors.js';
import type { Clock } from '../../platform/clock.js';
import { downloadEventData, syncEventData } from '../job-summary.js';
import type { NotificationDigest, NotificationEvent, NotificationEventType } from '../notification-event.js';
import type { Notifier, NotifierStatus, NotifierTestResult } from '../notifier.js';
import type { NotifierRouting } from '../routing.js';
import type { MqttService } from './service.js';

/**
 * Events the MQTT publisher already puts on the broker as state (`<base>/download/completed`,
 * `last_completed`, `<base>/sync/completed`): MQTT's notifier leaves them to it by default.
 */
const PUBLISHED_AS_STATE: readonly NotificationEventType[] = ['download.completed', 'download.failed', 'sync.finished'];

/**
 * MQTT's default routing: every event the publisher does not already send, one message each
 * (machines read these topics; a digest would only get in their way).
 */
export const MQTT_ROUTING = (all: readonly NotificationEventType[]): NotifierRouting => ({
  events: all.filter((t) => !PUBLISHED_AS_STATE.includes(t)),
  digest: { enabled: false, window_s: 60 },
});

/** `recording.started` -> `<base>/recording/started`, beside `<base>/download/completed`. */
export const eventTopic = (base: string, type: NotificationEventType): string => `${base}/${type.replace('.', '/')}`;

/**
 * MQTT behind the Notifier interface. The publisher keeps its own bus subscriptions for
 * progress, state and discovery; `handle` publishes the notification events (recordings,
 * destinations, disk full, alerts) non-retained under the base topic.
 */
export class MqttNotifier implements Notifier {
  readonly kind = 'mqtt';
  readonly id = 'mqtt';
  private sent = 0;
  private failed = 0;
  private lastError: string | null = null;
  private lastSentAt: number | null = null;

  constructor(
    readonly service: MqttService,
    private readonly deps: { clock: Clock; mediaDir: string },
  ) {}

  start(): void {
    this.service.start();
  }

  stop(): Promise<void> {
    return this.service.stop();
  }

  status(): NotifierStatus {
    const s = this.service.status();
    const state: NotifierStatus['state'] =
      s.state === 'disabled' ? 'disabled' : s.state === 'connected' ? 'ok' : s.state === 'connecting' || s.state === 'resolving' ? 'connecting' : 'error';
    return {
      kind: this.kind,
      id: this.id,
      enabled: s.enabled,
      state,
      reason: s.reason,
      sent: this.sent,
      failed: this.failed,
      last_error: this.lastError,
      last_sent_at: this.lastSentAt === null ? null : new Date(this.lastSentAt).toISOString(),
      broker: s.broker,
      base_topic: s.base_topic,
      connection: s.state,
    };
  }

  async test(): Promise<NotifierTestResult> {
    const status = this.service.status();
    if (status.state === 'disabled') return { ok: false, skipped: true, error: status.reason ?? 'MQTT is off' };
    return this.service.ping();
  }

  async handle(input: NotificationEvent | NotificationDigest): Promise<void> {
    if (this.service.status().state === 'disabled') return;
    const events = input.type === 'digest' ? input.events : [input];
    for (const event of events) {
      if (PUBLISHED_AS_STATE.includes(event.type)) continue;
      try {
        await this.service.publishEvent(eventTopic(this.service.topics.base, event.type), JSON.stringify(this.payload(event)));
        this.sent++;
        this.lastSentAt = this.deps.clock.now();
        this.lastError = null;
      } catch (err) {
        this.failed++;
        this.lastError = errorMessage(err);
        throw err;
      }
    }
  }

  private payload(event: NotificationEvent): Record<string, unknown> {
    switch (event.type) {
      case 'download.completed':
      case 'download.failed':
      case 'recording.started':
      case 'recording.finished':
        return { event: event.type, ...downloadEventData(event.job, { mediaDir: this.deps.mediaDir, size: null }) };
      case 'sync.finished':
        return { event: event.type, ...syncEventData(event.summary) };
      case 'destination.down':
      case 'destination.up':
        return { event: event.type, ...event.destination };
      case 'disk.full':
        return { event: event.type, reason: event.reason, detail: event.detail, since: event.since };
      case 'alert.raised':
      case 'alert.resolved':
        return { event: event.type, ...event.alert };
    }
  }
}
