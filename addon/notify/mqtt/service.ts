import type { AppEvents } from '../../events/app-events.js';
import type { SpeedState } from './publisher.js';
import type { EventBus } from '../../events/bus.js';
import type { JobService } from '../../jobs/job-service.js';
import type { Clock } from '../../platform/clock.js';
import type { Logger } from '../../platform/logger.js';
import type { SupervisorClient } from '../supervisor.js';
import { resolveBroker, type BrokerConfig, type BrokerSettings } from './broker.js';
import { DEFAULT_BACKOFF, within, type Backoff, type ConnectionStatus, type MqttConnection } from './client.js';
import { MqttCommands, type RecordHook, type SpeedHook, type SyncAllHook } from './commands.js';
import { MqttPublisher } from './publisher.js';
import { mqttTopics, type MqttTopics } from './topics.js';

export interface MqttConfig extends BrokerConfig {
  mqtt_base_topic: string;
  mqtt_discovery: boolean;
  mqtt_discovery_prefix: string;
}

export interface MqttStatus {
  enabled: boolean;
  state: 'disabled' | 'resolving' | ConnectionStatus['state'];
  /** Why MQTT is not connected (null when it is). */
  reason: string | null;
  broker: string | null;
  source: BrokerSettings['source'] | null;
  connected_since: string | null;
  attempts: number;
  next_attempt_at: string | null;
  base_topic: string;
  discovery: boolean;
  discovery_prefix: string;
}

/** The speed limit as MQTT sees it: its state and its manual part. */
export type MqttSpeed = SpeedHook & { current(): SpeedState | null };

export interface MqttServiceDeps {
  config: MqttConfig;
  supervisor: SupervisorClient | null;
  /** Builds the adapter once the broker is known (app.ts owns adapter construction). */
  connect: (broker: BrokerSettings, availabilityTopic: string) => MqttConnection;
  jobs: JobService;
  bus: EventBus<AppEvents>;
  clock: Clock;
  logger: Logger;
  version: string;
  mediaDir: string;
  freeBytes: () => Promise<number | null>;
  fileSize: (absolutePath: string) => Promise<number | null>;
  syncAll?: SyncAllHook | undefined;
  record?: RecordHook | undefined;
  /** The speed limit: its switch and number over MQTT, and its state for the state topic. */
  speed?: MqttSpeed | undefined;
  /** Backoff for asking the Supervisor again when it did not answer. */
  resolveBackoff?: Backoff;
}

/**
 * MQTT as a whole: finds the broker (options, else the Supervisor), connects in the background
 * and wires the publisher and the command handler. Nothing here blocks start-up or a download.
 */
export class MqttService {
  readonly topics: MqttTopics;
  private connection: MqttConnection | null = null;
  private publisher: MqttPublisher | null = null;
  private state: 'disabled' | 'resolving' | 'running' | 'stopped' = 'resolving';
  private reason: string | null = null;
  private running: Promise<void> = Promise.resolve();
  private readonly stopController = new AbortController();

  constructor(private readonly deps: MqttServiceDeps) {
    this.topics = mqttTopics(deps.config.mqtt_base_topic, deps.config.mqtt_discovery_prefix);
  }

  start(): void {
    this.running = this.run().catch((err: unknown) => {
      if (!this.stopController.signal.aborted) this.deps.logger.error({ err }, 'mqtt failed to start');
    });
  }

  async stop(): Promise<void> {
    this.stopController.abort();
    await this.running;
    this.state = 'stopped';
    this.publisher?.stop();
    await this.connection?.stop();
  }

  get connected(): boolean {
    return this.connection?.connected ?? false;
  }

  status(): MqttStatus {
    const c = this.deps.config;
    const common = { base_topic: c.mqtt_base_topic, discovery: c.mqtt_discovery, discovery_prefix: c.mqtt_discovery_prefix };
    if (!this.connection) {
      return {
        enabled: this.state !== 'disabled',
        state: this.state === 'running' || this.state === 'stopped' ? 'stopped' : this.state,
        reason: this.reason ?? (this.state === 'resolving' ? 'looking for the broker' : null),
        broker: null,
        source: null,
        connected_since: null,
        attempts: 0,
        next_attempt_at: null,
        ...common,
      };
    }
    const s = this.connection.status();
    const reason = s.state === 'connected' ? null : (s.last_error ?? (s.state === 'connecting' ? 'connecting' : s.state === 'stopped' ? 'stopped' : 'not connected'));
    return { enabled: true, state: s.state, reason, broker: s.broker, source: s.source, connected_since: s.connected_since, attempts: s.attempts, next_attempt_at: s.next_attempt_at, ...common };
  }

  /** Publishes a test message with QoS 1 and waits for the broker's acknowledgement. */
  async ping(): Promise<{ ok: boolean; topic?: string; error?: string }> {
    if (!this.connection || !this.connection.connected) return { ok: false, error: this.status().reason ?? 'not connected' };
    const payload = JSON.stringify({ message: 'test from m3u-downloader', at: new Date(this.deps.clock.now()).toISOString() });
    const acked = await within(5000, this.connection.publish(this.topics.test, payload, { qos: 1, retain: false }));
    return acked ? { ok: true, topic: this.topics.test } : { ok: false, error: 'the broker did not acknowledge the test message within 5 s' };
  }

  /** Publishes one non-retained event with QoS 1 and waits for the broker's acknowledgement. */
  async publishEvent(topic: string, payload: string): Promise<void> {
    if (!this.connection || !this.connection.connected) throw new Error(`MQTT is not connected: ${this.status().reason ?? 'no broker'}`);
    const acked = await within(10_000, this.connection.publish(topic, payload, { qos: 1, retain: false }));
    if (!acked) throw new Error('the broker did not acknowledge within 10 s');
  }

  private async run(): Promise<void> {
    const signal = this.stopController.signal;
    const backoff = this.deps.resolveBackoff ?? DEFAULT_BACKOFF;
    let broker: BrokerSettings | null = null;
    for (let attempt = 0; !broker; attempt++) {
      const resolved = await resolveBroker(this.deps.config, this.deps.supervisor, signal);
      if (signal.aborted) return;
      if (resolved.broker) {
        broker = resolved.broker;
        break;
      }
      this.reason = resolved.reason;
      if (!resolved.retry) {
        this.state = 'disabled';
        this.deps.logger.info({ reason: resolved.reason }, 'mqtt off');
        return;
      }
      const delay = Math.min(backoff.maxMs, backoff.initialMs * 2 ** Math.min(attempt, 20));
      if (attempt === 0) this.deps.logger.warn({ reason: resolved.reason, retryInMs: delay }, 'mqtt broker unknown yet');
      await this.deps.clock.sleep(delay, signal);
    }
    this.reason = null;
    const connection = this.deps.connect(broker, this.topics.availability);
    const publisher = new MqttPublisher({
      link: connection,
      topics: this.topics,
      discovery: this.deps.config.mqtt_discovery,
      version: this.deps.version,
      jobs: this.deps.jobs,
      bus: this.deps.bus,
      clock: this.deps.clock,
      logger: this.deps.logger,
      mediaDir: this.deps.mediaDir,
      freeBytes: this.deps.freeBytes,
      fileSize: this.deps.fileSize,
      speed: this.deps.speed ? () => this.deps.speed!.current() : undefined,
    });
    const commands = new MqttCommands({ link: connection, topics: this.topics, jobs: this.deps.jobs, syncAll: this.deps.syncAll, record: this.deps.record, speed: this.deps.speed, logger: this.deps.logger });
    publisher.start();
    commands.start();
    this.connection = connection;
    this.publisher = publisher;
    this.state = 'running';
    connection.start();
  }
}
