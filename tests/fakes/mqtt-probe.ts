/**
 * A real MQTT client that records what it receives, with the retain flag and QoS of each. It
 * speaks MQTT 5 and subscribes with "retain as published", so live messages keep the retain
 * flag they were published with (MQTT 3.1.1 brokers clear it for existing subscriptions).
 */
import mqtt, { type MqttClient } from 'mqtt';

export interface Received {
  topic: string;
  payload: string;
  retain: boolean;
  qos: number;
  at: number;
}

export interface MqttProbe {
  client: MqttClient;
  messages: Received[];
  on(topic: string): Received[];
  json(topic: string): unknown[];
  /** The first message on `topic` (after `since` messages of it) matching `match`. */
  next(topic: string, match?: (m: Received) => boolean, timeoutMs?: number): Promise<Received>;
  publish(topic: string, payload: string, options?: { retain?: boolean; qos?: 0 | 1 }): Promise<void>;
  clear(): void;
  close(): Promise<void>;
}

export async function mqttProbe(url: string, topics: string[], options: { username?: string; password?: string } = {}): Promise<MqttProbe> {
  const client = await mqtt.connectAsync(url, { protocolVersion: 5, reconnectPeriod: 200, connectTimeout: 5000, ...options });
  const messages: Received[] = [];
  client.on('message', (topic, payload, packet) => {
    messages.push({ topic, payload: payload.toString(), retain: packet.retain === true, qos: packet.qos, at: Date.now() });
  });
  await client.subscribeAsync(topics, { qos: 1, rap: true });
  const probe: MqttProbe = {
    client,
    messages,
    on: (topic) => messages.filter((m) => m.topic === topic),
    json: (topic) => probe.on(topic).map((m) => JSON.parse(m.payload) as unknown),
    async next(topic, match = () => true, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = messages.find((m) => m.topic === topic && match(m));
        if (found) return found;
        if (Date.now() > deadline) {
          throw new Error(`no message on ${topic} within ${timeoutMs} ms; got ${JSON.stringify(probe.on(topic).map((m) => m.payload.slice(0, 200)))}`);
        }
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    async publish(topic, payload, opts = {}) {
      await client.publishAsync(topic, payload, { qos: opts.qos ?? 1, retain: opts.retain ?? false });
    },
    clear() {
      messages.length = 0;
    },
    async close() {
      await client.endAsync(true);
    },
  };
  return probe;
}
