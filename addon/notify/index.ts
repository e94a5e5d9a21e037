import { errorMessage } from '../errors.js';
import type { HomeAssistantNotifier, HomeAssistantStatus } from './homeassistant.js';
import type { MqttService, MqttStatus } from './mqtt/service.js';
import type { TelegramNotifier, TelegramStatus } from './telegram/notifier.js';

export interface NotificationsStatus {
  mqtt: MqttStatus;
  homeassistant: HomeAssistantStatus;
  telegram: TelegramStatus;
}

export const TEST_TARGETS = ['mqtt', 'telegram', 'homeassistant'] as const;
export type TestTarget = (typeof TEST_TARGETS)[number];

export interface TestResult {
  ok: boolean;
  /** The target is not set up, so nothing was sent. */
  skipped?: boolean;
  error?: string;
  [key: string]: unknown;
}

/** The three notifiers behind one start/stop, one status and one "send a test". */
export class Notifications {
  constructor(
    private readonly parts: { mqtt: MqttService; homeassistant: HomeAssistantNotifier; telegram: TelegramNotifier },
  ) {}

  start(): void {
    this.parts.mqtt.start();
    this.parts.homeassistant.start();
    this.parts.telegram.start();
  }

  async stop(): Promise<void> {
    await Promise.allSettled([this.parts.mqtt.stop(), this.parts.homeassistant.stop(), this.parts.telegram.stop()]);
  }

  status(): NotificationsStatus {
    return { mqtt: this.parts.mqtt.status(), homeassistant: this.parts.homeassistant.status(), telegram: this.parts.telegram.status() };
  }

  /** For /api/health: states only, no details. */
  summary(): { mqtt: MqttStatus['state']; homeassistant: 'on' | 'off'; telegram: 'on' | 'off' } {
    return {
      mqtt: this.parts.mqtt.status().state,
      homeassistant: this.parts.homeassistant.enabled ? 'on' : 'off',
      telegram: this.parts.telegram.enabled ? 'on' : 'off',
    };
  }

  async test(targets: readonly TestTarget[]): Promise<Partial<Record<TestTarget, TestResult>>> {
    const out: Partial<Record<TestTarget, TestResult>> = {};
    await Promise.all(
      targets.map(async (target) => {
        try {
          out[target] = await this.testOne(target);
        } catch (err) {
          out[target] = { ok: false, error: errorMessage(err) };
        }
      }),
    );
    return out;
  }

  private async testOne(target: TestTarget): Promise<TestResult> {
    switch (target) {
      case 'mqtt': {
        const status = this.parts.mqtt.status();
        if (status.state === 'disabled') return { ok: false, skipped: true, error: status.reason ?? 'MQTT is off' };
        return this.parts.mqtt.ping();
      }
      case 'telegram': {
        const t = this.parts.telegram;
        if (!t.enabled) return { ok: false, skipped: true, error: t.status().reason ?? 'Telegram is off' };
        const result = await t.test();
        const failed = result.chats.find((c) => !c.ok);
        return { ok: result.ok, chats: result.chats, ...(failed?.error ? { error: failed.error } : {}) };
      }
      case 'homeassistant': {
        const h = this.parts.homeassistant;
        if (!h.available) return { ok: false, skipped: true, error: h.status().reason ?? 'not running as a Home Assistant add-on' };
        return h.test();
      }
    }
  }
}
