import type { IClientOptions, MqttClient } from 'mqtt';

type MqttModule = typeof import('mqtt');
let mqttModule: Promise<MqttModule> | null = null;
/** mqtt.js adds ~24 MB of RSS at import; load it only once a broker is actually configured. */
const loadMqtt = (): Promise<MqttModule> => (mqttModule ??= import('mqtt'));
import type { Clock } from '../../platform/clock.js';
import type { Logger } from '../../platform/logger.js';
import { scrub } from '../errors.js';
import type { BrokerSettings } from './broker.js';

export type ConnectionState = 'connecting' | 'connected' | 'reconnecting' | 'stopped';

export interface ConnectionStatus {
  state: ConnectionState;
  /** The broker URL without credentials. */
  broker: string;
  source: BrokerSettings['source'];
  connected_since: string | null;
  /** Why the last attempt failed or the connection dropped. */
  last_error: string | null;
  /** Failed attempts since the last successful connection. */
  attempts: number;
  next_attempt_at: string | null;
}

export interface Backoff {
  initialMs: number;
  maxMs: number;
}

export const DEFAULT_BACKOFF: Backoff = { initialMs: 1000, maxMs: 60_000 };

export interface MqttMessage {
  topic: string;
  payload: Buffer;
  /** True for a retained message delivered on subscribe (stored by the broker earlier). */
  retain: boolean;
}

export interface PublishOptions {
  qos: 0 | 1;
  retain: boolean;
}

/** What the publisher and the command handler need from a connection (fakes implement it too). */
export interface MqttLink {
  readonly connected: boolean;
  publish(topic: string, payload: string, options: PublishOptions): Promise<boolean>;
  subscribe(topics: string[]): void;
  onConnect(handler: () => void | Promise<void>): void;
  onMessage(handler: (message: MqttMessage) => void | Promise<void>): void;
}

export interface MqttConnectionOptions {
  broker: BrokerSettings;
  clientId: string;
  /** Retained "online" on connect; the last will publishes a retained "offline". */
  availabilityTopic: string;
  backoff?: Backoff;
  connectTimeoutMs?: number;
  clock: Clock;
  logger: Logger;
}

/**
 * The adapter around mqtt.js. Connecting never blocks the caller; reconnects use exponential
 * backoff with jitter (mqtt.js's own fixed-period reconnect is off), resubscribe and run the
 * connect handlers again, which republish discovery and state. Publishing while disconnected
 * is dropped (returns false), not queued: everything that matters is republished on connect.
 */
export class MqttConnection implements MqttLink {
  private client: MqttClient | null = null;
  private readonly subscriptions = new Set<string>();
  private readonly connectHandlers: (() => void | Promise<void>)[] = [];
  private readonly messageHandlers: ((m: MqttMessage) => void | Promise<void>)[] = [];
  private readonly stopController = new AbortController();
  private state: ConnectionState = 'connecting';
  private connectedSince: number | null = null;
  private lastError: string | null = null;
  private attempts = 0;
  private nextAttemptAt: number | null = null;
  private reconnectScheduled = false;
  private loading = false;

  constructor(private readonly options: MqttConnectionOptions) {}

  get connected(): boolean {
    return this.state === 'connected' && this.client?.connected === true;
  }

  start(): void {
    if (this.client || this.loading) return;
    this.state = 'connecting';
    this.loading = true;
    loadMqtt().then(
      (mod) => {
        this.loading = false;
        if (this.state !== 'stopped') this.connect(mod.default);
      },
      (err: unknown) => {
        this.loading = false;
        this.lastError = `could not load the MQTT client: ${(err as Error).message}`;
      },
    );
  }

  private connect(mqtt: MqttModule['default']): void {
    const { broker } = this.options;
    const clientOptions: IClientOptions = {
      clientId: this.options.clientId,
      protocolVersion: broker.protocolVersion,
      clean: true,
      keepalive: 30,
      connectTimeout: this.options.connectTimeoutMs ?? 10_000,
      reconnectPeriod: 0,
      resubscribe: false,
      queueQoSZero: false,
      will: { topic: this.options.availabilityTopic, payload: Buffer.from('offline'), qos: 1, retain: true },
      ...(broker.username ? { username: broker.username } : {}),
      ...(broker.password ? { password: broker.password } : {}),
    };
    this.state = 'connecting';
    const client = mqtt.connect(broker.url, clientOptions);
    this.client = client;
    client.on('connect', () => void this.connectedNow());
    client.on('error', (err) => {
      this.lastError = this.describe(err);
    });
    client.on('close', () => this.closed());
    client.on('message', (topic, payload, packet) => {
      for (const handler of this.messageHandlers) {
        Promise.resolve()
          .then(() => handler({ topic, payload, retain: packet.retain === true }))
          .catch((err: unknown) => this.options.logger.error({ err, topic }, 'mqtt message handler failed'));
      }
    });
  }

  status(): ConnectionStatus {
    const iso = (t: number | null): string | null => (t === null ? null : new Date(t).toISOString());
    return {
      state: this.state,
      broker: this.options.broker.url,
      source: this.options.broker.source,
      connected_since: this.state === 'connected' ? iso(this.connectedSince) : null,
      last_error: this.lastError,
      attempts: this.attempts,
      next_attempt_at: this.state === 'reconnecting' ? iso(this.nextAttemptAt) : null,
    };
  }

  subscribe(topics: string[]): void {
    const fresh = topics.filter((t) => !this.subscriptions.has(t));
    for (const t of fresh) this.subscriptions.add(t);
    if (fresh.length > 0 && this.connected) this.client!.subscribe(fresh, { qos: 1 }, (err) => err && this.options.logger.warn({ err: err.message }, 'mqtt subscribe failed'));
  }

  onConnect(handler: () => void | Promise<void>): void {
    this.connectHandlers.push(handler);
  }

  onMessage(handler: (message: MqttMessage) => void | Promise<void>): void {
    this.messageHandlers.push(handler);
  }

  publish(topic: string, payload: string, options: PublishOptions): Promise<boolean> {
    const client = this.client;
    if (!client || !this.connected) return Promise.resolve(false);
    return new Promise((resolve) => {
      client.publish(topic, payload, { qos: options.qos, retain: options.retain }, (err) => {
        if (err) this.options.logger.debug({ topic, err: err.message }, 'mqtt publish failed');
        resolve(!err);
      });
    });
  }

  /** Publishes a retained "offline" (a clean disconnect does not fire the last will) and disconnects. */
  async stop(): Promise<void> {
    if (this.state === 'stopped') return;
    const wasConnected = this.connected;
    this.state = 'stopped';
    this.stopController.abort();
    const client = this.client;
    if (!client) return;
    if (wasConnected) {
      await within(2000, new Promise<void>((resolve) => client.publish(this.options.availabilityTopic, 'offline', { qos: 1, retain: true }, () => resolve())));
    }
    await within(2000, new Promise<void>((resolve) => client.end(false, {}, () => resolve())));
    if (!client.disconnected) client.end(true);
  }

  private async connectedNow(): Promise<void> {
    if (this.state === 'stopped') return;
    const first = this.connectedSince === null;
    this.state = 'connected';
    this.connectedSince = this.options.clock.now();
    this.attempts = 0;
    this.lastError = null;
    this.nextAttemptAt = null;
    this.options.logger.info({ broker: this.options.broker.url, source: this.options.broker.source }, first ? 'mqtt connected' : 'mqtt reconnected');
    const client = this.client!;
    client.publish(this.options.availabilityTopic, 'online', { qos: 1, retain: true });
    if (this.subscriptions.size > 0) {
      await new Promise<void>((resolve) =>
        client.subscribe([...this.subscriptions], { qos: 1 }, (err) => {
          if (err) this.options.logger.warn({ err: err.message }, 'mqtt subscribe failed');
          resolve();
        }),
      );
    }
    for (const handler of this.connectHandlers) {
      try {
        await handler();
      } catch (err) {
        this.options.logger.error({ err }, 'mqtt connect handler failed');
      }
    }
  }

  private closed(): void {
    if (this.state === 'stopped') return;
    const wasConnected = this.state === 'connected';
    if (wasConnected) {
      this.lastError ??= 'connection lost';
      this.options.logger.warn({ broker: this.options.broker.url, reason: this.lastError }, 'mqtt connection lost; reconnecting');
    }
    this.state = 'reconnecting';
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.reconnectScheduled || this.state === 'stopped') return;
    this.reconnectScheduled = true;
    const { initialMs, maxMs } = this.options.backoff ?? DEFAULT_BACKOFF;
    const delay = Math.min(maxMs, initialMs * 2 ** Math.min(this.attempts, 20)) * (0.8 + Math.random() * 0.4);
    this.attempts++;
    this.nextAttemptAt = this.options.clock.now() + delay;
    if (this.attempts === 1 || this.attempts % 10 === 0) {
      this.options.logger.warn({ broker: this.options.broker.url, reason: this.lastError, retryInMs: Math.round(delay), attempts: this.attempts }, 'mqtt broker not reachable');
    }
    this.options.clock.sleep(delay, this.stopController.signal).then(
      () => {
        this.reconnectScheduled = false;
        if (this.state === 'stopped' || !this.client) return;
        this.client.reconnect();
      },
      () => {
        this.reconnectScheduled = false;
      },
    );
  }

  private describe(err: Error & { code?: string | number }): string {
    const code = err.code;
    let text: string;
    if (code === 4 || code === 5 || code === 134 || code === 135) {
      text = `the broker refused the credentials (${err.message}); check mqtt_username and mqtt_password`;
    } else if (code === 'ECONNREFUSED') text = `connection refused by ${this.options.broker.url}`;
    else if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') text = `broker host not found (${this.options.broker.url})`;
    else text = err.message || String(code ?? 'unknown error');
    return scrub(text, [this.options.broker.password]);
  }
}

/** Resolves with `promise`'s value, or with `undefined` after `ms`; leaves no timer behind. */
export function within<T>(ms: number, promise: Promise<T>): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
