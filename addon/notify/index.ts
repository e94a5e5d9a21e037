import { errorMessage } from '../errors.js';
import type { NotificationDispatcher } from './dispatcher.js';
import type { HomeAssistantNotifier, HomeAssistantStatus } from './homeassistant.js';
import type { MqttStatus } from './mqtt/service.js';
import { MQTT_ROUTING, type MqttNotifier } from './mqtt/notifier.js';
import { NOTIFICATION_EVENT_TYPES } from './notification-event.js';
import type { NotifierConfig } from './notifier-config.js';
import type { Notifier, NotifierStatus, NotifierTestResult } from './notifier.js';
import { defaultRouting } from './routing.js';
import type { TelegramNotifier, TelegramStatus } from './telegram/notifier.js';

export interface NotificationsStatus {
  mqtt: MqttStatus;
  homeassistant: HomeAssistantStatus;
  telegram: TelegramStatus;
  /** Notifiers added in the panel (Settings -> Notifications), by id order of creation. */
  notifiers: NotifierStatus[];
}

/** The option-configured channels; `all` tests them and every panel-configured one. */
export const TEST_TARGETS = ['mqtt', 'telegram', 'homeassistant'] as const;
export type BuiltInTarget = (typeof TEST_TARGETS)[number];
/** A built-in channel or the id of a notifier added in the panel. */
export type TestTarget = string;

export type TestResult = NotifierTestResult;

export interface NotificationsParts {
  mqtt: MqttNotifier;
  homeassistant: HomeAssistantNotifier;
  telegram: TelegramNotifier;
  dispatcher: NotificationDispatcher;
  /** Notifiers added in the panel, and the stored event filter and digest of the three above. */
  configured: NotifierConfig;
}

/**
 * Every notifier behind one list: the option-configured MQTT, Home Assistant and Telegram, then
 * the ones added in the panel. Started in that order after the dispatcher, stopped in reverse
 * after it has sent the digests it was collecting.
 */
export class Notifications {
  constructor(private readonly parts: NotificationsParts) {}

  /** The option-configured notifiers, in start order. */
  private builtIns(): Notifier[] {
    return [this.parts.mqtt, this.parts.homeassistant, this.parts.telegram];
  }

  /** Every live notifier, in start order. */
  list(): Notifier[] {
    return [...this.builtIns(), ...this.parts.configured.instances()];
  }

  get dispatcher(): NotificationDispatcher {
    return this.parts.dispatcher;
  }

  async start(): Promise<void> {
    const { dispatcher, configured } = this.parts;
    configured.addBuiltIn(this.parts.mqtt, 'MQTT', MQTT_ROUTING(NOTIFICATION_EVENT_TYPES));
    configured.addBuiltIn(this.parts.homeassistant, 'Home Assistant', defaultRouting());
    configured.addBuiltIn(this.parts.telegram, 'Telegram', defaultRouting());
    dispatcher.start();
    for (const notifier of this.builtIns()) await notifier.start();
    await this.parts.configured.start();
  }

  async stop(): Promise<void> {
    await this.parts.dispatcher.stop();
    await this.parts.configured.stop();
    for (const notifier of this.builtIns().reverse()) {
      await notifier.stop().catch(() => undefined);
    }
  }

  status(): NotificationsStatus {
    return {
      mqtt: this.parts.mqtt.service.status(),
      homeassistant: this.parts.homeassistant.status(),
      telegram: this.parts.telegram.status(),
      notifiers: this.parts.configured.statuses(),
    };
  }

  /** For /api/health: states only, no details. */
  summary(): { mqtt: MqttStatus['state']; homeassistant: 'on' | 'off'; telegram: 'on' | 'off'; notifiers: number } {
    return {
      mqtt: this.parts.mqtt.service.status().state,
      homeassistant: this.parts.homeassistant.enabled ? 'on' : 'off',
      telegram: this.parts.telegram.enabled ? 'on' : 'off',
      notifiers: this.parts.configured.instances().length,
    };
  }

  /** Whether `target` names something test() can send through. */
  knows(target: string): boolean {
    return target === 'all' || (TEST_TARGETS as readonly string[]).includes(target) || this.parts.configured.has(target);
  }

  async test(targets: readonly TestTarget[]): Promise<Record<string, TestResult>> {
    const out: Record<string, TestResult> = {};
    const builtIn = new Map<string, Notifier>(this.builtIns().map((n) => [n.id, n]));
    await Promise.all(
      targets.map(async (target) => {
        try {
          const notifier = builtIn.get(target);
          out[target] = notifier ? await notifier.test() : await this.parts.configured.test(target);
        } catch (err) {
          out[target] = { ok: false, error: errorMessage(err) };
        }
      }),
    );
    return out;
  }

  /** Every built-in target and every live panel-configured notifier. */
  allTargets(): string[] {
    return [...TEST_TARGETS, ...this.parts.configured.instances().map((n) => n.id)];
  }
}
