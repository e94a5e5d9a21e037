import { AppError } from '../errors.js';
import { scrub } from './errors.js';

export type Fetch = typeof fetch;

/** The broker the Supervisor's MQTT service announces (e.g. the Mosquitto broker app). */
export interface SupervisorMqttService {
  host: string;
  port: number;
  ssl: boolean;
  username?: string | undefined;
  password?: string | undefined;
  protocol?: string | undefined;
}

const TIMEOUT_MS = 10_000;

/**
 * The Home Assistant Supervisor API as an add-on sees it: `Authorization: Bearer
 * $SUPERVISOR_TOKEN` against http://supervisor (configurable, so tests use a fake on
 * 127.0.0.1). Errors never carry the token.
 */
export class SupervisorClient {
  constructor(
    private readonly options: { baseUrl: string; token: string; fetch: Fetch; timeoutMs?: number },
  ) {}

  get baseUrl(): string {
    return this.options.baseUrl;
  }

  /** GET /services/mqtt; null when no MQTT service is installed. */
  async mqttService(signal?: AbortSignal): Promise<SupervisorMqttService | null> {
    const res = await this.request('GET', '/services/mqtt', undefined, signal);
    if (res.status === 400 || res.status === 404) return null; // "Service not enabled"
    const body = res.body as { result?: string; data?: Partial<SupervisorMqttService> } | null;
    if (res.status !== 200 || body?.result !== 'ok' || !body.data?.host) {
      throw new AppError('supervisor_error', `Supervisor answered ${res.status} to GET /services/mqtt`, { httpStatus: 502 });
    }
    const d = body.data;
    return { host: String(d.host), port: Number(d.port ?? 1883), ssl: d.ssl === true, username: d.username || undefined, password: d.password || undefined, protocol: d.protocol };
  }

  /** POST /core/api/events/<type>: fires an event on Home Assistant's bus. */
  async fireEvent(type: string, data: Record<string, unknown>, signal?: AbortSignal): Promise<void> {
    const res = await this.request('POST', `/core/api/events/${encodeURIComponent(type)}`, data, signal);
    if (res.status >= 300) throw this.failure(res.status, `firing ${type}`, res.body);
  }

  /** POST /core/api/services/<domain>/<service>. */
  async callService(domain: string, service: string, data: Record<string, unknown>, signal?: AbortSignal): Promise<void> {
    const res = await this.request('POST', `/core/api/services/${encodeURIComponent(domain)}/${encodeURIComponent(service)}`, data, signal);
    if (res.status >= 300) throw this.failure(res.status, `calling ${domain}.${service}`, res.body);
  }

  private failure(status: number, what: string, body: unknown): AppError {
    const detail = typeof body === 'object' && body && 'message' in body ? `: ${String((body as { message: unknown }).message).slice(0, 200)}` : '';
    return new AppError('homeassistant_error', scrub(`Home Assistant answered ${status} ${what}${detail}`, [this.options.token]), { httpStatus: 502 });
  }

  private async request(method: string, path: string, body: unknown, signal?: AbortSignal): Promise<{ status: number; body: unknown }> {
    const timeout = AbortSignal.timeout(this.options.timeoutMs ?? TIMEOUT_MS);
    try {
      const res = await this.options.fetch(`${this.options.baseUrl}${path}`, {
        method,
        headers: { authorization: `Bearer ${this.options.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
      });
      const text = await res.text();
      let parsed: unknown = null;
      try {
        parsed = text ? JSON.parse(text) : null;
      } catch {
        parsed = { message: text.slice(0, 200) };
      }
      return { status: res.status, body: parsed };
    } catch (err) {
      if (signal?.aborted) throw err;
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      const reason = timeout.aborted ? `timed out after ${this.options.timeoutMs ?? TIMEOUT_MS} ms` : (cause?.code ?? cause?.message ?? (err as Error).message);
      throw new AppError('supervisor_unreachable', scrub(`Supervisor at ${this.options.baseUrl} unreachable (${method} ${path}): ${reason}`, [this.options.token]), { httpStatus: 502, cause: err });
    }
  }
}
