import type { AlertEvent, AppEvents } from '../events/app-events.js';
import type { EventBus } from '../events/bus.js';
import type { Clock } from '../platform/clock.js';
import type { Logger } from '../platform/logger.js';
import { evaluateAlerts, type AlertCondition, type AlertSnapshot, type AlertThresholds } from './alert-rules.js';

export interface AlertMonitorDeps {
  bus: EventBus<AppEvents>;
  clock: Clock;
  logger: Logger;
  snapshot: () => Promise<AlertSnapshot> | AlertSnapshot;
  thresholds: () => AlertThresholds;
  /** How often the rules run (one minute in production). */
  intervalMs?: number;
  /** After an alert resolves, the same alert is not raised again for this long (flapping). */
  cooldownMs?: number;
}

/**
 * Runs the alert rules on a timer and publishes `alert.raised` once when a condition begins to
 * hold and `alert.resolved` once when it stops; notifiers and MQTT subscribe to those.
 */
export class AlertMonitor {
  private readonly active = new Map<string, AlertEvent>();
  private readonly resolvedAt = new Map<string, number>();
  private abort: AbortController | null = null;
  private loop: Promise<void> | null = null;

  constructor(private readonly deps: AlertMonitorDeps) {}

  start(): void {
    if (this.loop) return;
    const abort = (this.abort = new AbortController());
    const interval = this.deps.intervalMs ?? 60_000;
    this.loop = (async () => {
      while (!abort.signal.aborted) {
        try {
          await this.deps.clock.sleep(interval, abort.signal);
        } catch {
          return;
        }
        await this.evaluate().catch((err: unknown) => this.deps.logger.error({ err }, 'alert rules failed'));
      }
    })();
  }

  async stop(): Promise<void> {
    this.abort?.abort();
    await this.loop;
    this.loop = null;
  }

  list(): AlertEvent[] {
    return [...this.active.values()].sort((a, b) => a.raised_at.localeCompare(b.raised_at));
  }

  /** One pass of the rules; returns what changed. */
  async evaluate(): Promise<{ raised: AlertEvent[]; resolved: AlertEvent[] }> {
    const snapshot = await this.deps.snapshot();
    const now = this.deps.clock.now();
    const holding = new Map<string, AlertCondition>(evaluateAlerts(snapshot, this.deps.thresholds()).map((c) => [c.id, c]));
    const raised: AlertEvent[] = [];
    const resolved: AlertEvent[] = [];
    for (const [id, alert] of this.active) {
      const still = holding.get(id);
      if (still) {
        // Keep the figures current for the API and MQTT without a new notification.
        this.active.set(id, { ...alert, message: still.message, value: still.value, severity: still.severity });
        continue;
      }
      this.active.delete(id);
      this.resolvedAt.set(id, now);
      resolved.push({ ...alert, resolved_at: new Date(now).toISOString() });
    }
    const cooldown = this.deps.cooldownMs ?? 30 * 60_000;
    for (const [id, c] of holding) {
      if (this.active.has(id)) continue;
      const last = this.resolvedAt.get(id);
      if (last !== undefined && now - last < cooldown) continue;
      const alert: AlertEvent = { ...c, raised_at: new Date(now).toISOString(), resolved_at: null };
      this.active.set(id, alert);
      raised.push(alert);
    }
    for (const a of resolved) {
      this.deps.logger.info({ alert: a.id }, `alert resolved: ${a.message}`);
      this.deps.bus.emit('alert.resolved', a);
    }
    for (const a of raised) {
      this.deps.logger.warn({ alert: a.id, rule: a.rule }, `alert: ${a.message}`);
      this.deps.bus.emit('alert.raised', a);
    }
    return { raised, resolved };
  }
}
