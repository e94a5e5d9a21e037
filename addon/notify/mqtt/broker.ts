import { errorMessage } from '../../errors.js';
import type { SupervisorClient } from '../supervisor.js';

/** Where and how to connect. `url` never carries credentials (it is shown in the status). */
export interface BrokerSettings {
  url: string;
  username?: string | undefined;
  password?: string | undefined;
  protocolVersion: 3 | 4 | 5;
  /** `config`: mqtt_url or mqtt_host (options.json or environment); `supervisor`: discovered. */
  source: 'config' | 'supervisor';
}

export interface BrokerConfig {
  mqtt_enabled: boolean;
  mqtt_url?: string | undefined;
  mqtt_host?: string | undefined;
  mqtt_port?: number | undefined;
  mqtt_username?: string | undefined;
  mqtt_password?: string | undefined;
  mqtt_tls: boolean;
}

export type BrokerResolution =
  | { broker: BrokerSettings; reason?: undefined }
  /** `retry`: a transient failure (the Supervisor did not answer), worth asking again. */
  | { broker: null; reason: string; retry: boolean };

const SCHEMES: Record<string, string> = { 'mqtt:': 'mqtt:', 'tcp:': 'mqtt:', 'mqtts:': 'mqtts:', 'ssl:': 'mqtts:', 'tls:': 'mqtts:', 'ws:': 'ws:', 'wss:': 'wss:' };

/** Explicit settings win: mqtt_url, then mqtt_host. Pure. */
export function brokerFromConfig(c: BrokerConfig): BrokerSettings | null {
  if (c.mqtt_url) {
    const u = new URL(c.mqtt_url);
    const username = u.username ? decodeURIComponent(u.username) : c.mqtt_username;
    const password = u.password ? decodeURIComponent(u.password) : c.mqtt_password;
    const scheme = SCHEMES[u.protocol] ?? 'mqtt:';
    const port = u.port || (scheme === 'mqtts:' ? '8883' : scheme === 'mqtt:' ? '1883' : '');
    const path = scheme === 'ws:' || scheme === 'wss:' ? u.pathname : '';
    return { url: `${scheme}//${hostPart(u.hostname)}${port ? `:${port}` : ''}${path}`, username, password, protocolVersion: 4, source: 'config' };
  }
  if (c.mqtt_host) {
    const scheme = c.mqtt_tls ? 'mqtts:' : 'mqtt:';
    const port = c.mqtt_port ?? (c.mqtt_tls ? 8883 : 1883);
    return { url: `${scheme}//${hostPart(c.mqtt_host)}:${port}`, username: c.mqtt_username, password: c.mqtt_password, protocolVersion: 4, source: 'config' };
  }
  return null;
}

function hostPart(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

/**
 * Options first; else, inside Home Assistant, the Supervisor's MQTT service; else none, and
 * the reason says why (shown by /api/notifications/status).
 */
export async function resolveBroker(c: BrokerConfig, supervisor: SupervisorClient | null, signal?: AbortSignal): Promise<BrokerResolution> {
  if (!c.mqtt_enabled) return { broker: null, reason: 'MQTT is turned off (mqtt_enabled: false)', retry: false };
  const configured = brokerFromConfig(c);
  if (configured) return { broker: configured };
  if (!supervisor) return { broker: null, reason: 'no broker configured: set mqtt_url or mqtt_host (in Home Assistant, install the Mosquitto broker app)', retry: false };
  try {
    const service = await supervisor.mqttService(signal);
    if (!service) return { broker: null, reason: 'no broker configured and the Supervisor has no MQTT service (install the Mosquitto broker app or set mqtt_host)', retry: false };
    return {
      broker: {
        url: `${service.ssl ? 'mqtts:' : 'mqtt:'}//${hostPart(service.host)}:${service.port}`,
        username: service.username,
        password: service.password,
        protocolVersion: service.protocol === '5' || service.protocol === '5.0' ? 5 : service.protocol === '3.1' ? 3 : 4,
        source: 'supervisor',
      },
    };
  } catch (err) {
    if (signal?.aborted) throw err;
    return { broker: null, reason: `could not ask the Supervisor for the MQTT service: ${errorMessage(err)}`, retry: true };
  }
}
