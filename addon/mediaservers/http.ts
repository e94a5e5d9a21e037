/**
 * The one HTTP helper media-server kinds use: fetch with a timeout and the caller's signal,
 * failures turned into MediaServerErrors a person can act on. Credentials go in headers only,
 * so the URLs in messages and logs never carry them.
 */
import { z } from 'zod';
import { mediaServerError } from './errors.js';
import type { MediaServer, MediaServerDeps, MediaServerStatus } from './types.js';

export interface CallOptions {
  method: 'GET' | 'POST';
  /** Path and query, appended to the server's base URL. */
  path: string;
  headers?: Record<string, string>;
  /** JSON-encoded when not a string. */
  body?: unknown;
  signal?: AbortSignal | undefined;
}

export interface CallResult {
  status: number;
  text: string;
}

/** The server's base URL: http(s), no credentials, no query; a trailing slash is dropped. */
export const serverUrl = z
  .string({ error: 'must be a URL such as http://192.168.1.10:8096' })
  .trim()
  .max(2000, 'is too long')
  .refine((v) => {
    try {
      const u = new URL(v);
      return (u.protocol === 'http:' || u.protocol === 'https:') && !u.username && !u.password && !u.search && !u.hash;
    } catch {
      return false;
    }
  }, 'must be an http(s) URL without credentials or query, such as http://192.168.1.10:8096')
  .transform((v) => v.replace(/\/+$/, ''));

/** A secret setting: a string sets it; absent keeps what is stored (service.ts merges). */
export const secretText = (label: string) =>
  z.string({ error: 'must be a string' }).trim().min(1, `must not be empty`).max(512, 'is too long').regex(/^[^\s]+$/, `${label} has no spaces`);

export class ServerHttp {
  constructor(
    private readonly deps: MediaServerDeps,
    private readonly baseUrl: string,
    /** Names the server in messages: `Jellyfin at http://nas:8096`. */
    private readonly label: string,
  ) {}

  describe(): string {
    return `${this.label} at ${this.baseUrl}`;
  }

  async call(options: CallOptions): Promise<CallResult> {
    const timeout = AbortSignal.timeout(this.deps.timeoutMs ?? 15_000);
    const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
    const headers: Record<string, string> = { accept: 'application/json', ...options.headers };
    let body: string | undefined;
    if (options.body !== undefined) {
      body = typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
      headers['content-type'] ??= 'application/json';
    }
    let res: Response;
    const send = (): Promise<Response> => this.deps.fetch(`${this.baseUrl}${options.path}`, { method: options.method, headers, ...(body === undefined ? {} : { body }), signal, redirect: 'manual' });
    try {
      try {
        res = await send();
      } catch (err) {
        // A kept-alive socket the server closed meanwhile (it restarted): one fresh attempt.
        const code = (err as { cause?: { code?: string } }).cause?.code;
        if (signal.aborted || (code !== 'UND_ERR_SOCKET' && code !== 'ECONNRESET')) throw err;
        res = await send();
      }
    } catch (err) {
      if (options.signal?.aborted) throw err;
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      const why = timeout.aborted ? `no answer within ${Math.round((this.deps.timeoutMs ?? 15_000) / 1000)} s` : (cause?.code ?? cause?.message ?? (err as Error).message);
      throw mediaServerError('mediaserver_unreachable', `${this.describe()} cannot be reached (${why}): check the URL and that the server is running`, err);
    }
    const text = await res.text().catch(() => '');
    if (res.status === 401 || res.status === 403) {
      throw mediaServerError('mediaserver_auth_failed', `${this.describe()} refused the credentials (HTTP ${res.status}): check the API key or token and that it may manage libraries`);
    }
    if (res.status < 200 || res.status >= 300) {
      throw Object.assign(mediaServerError('mediaserver_http_error', `${this.describe()} answered HTTP ${res.status} to ${options.method} ${options.path.split('?')[0]}`), { status: res.status });
    }
    return { status: res.status, text };
  }

  /** A call whose answer must be JSON. */
  async json<T = unknown>(options: CallOptions): Promise<T> {
    const { text } = await this.call(options);
    try {
      return JSON.parse(text) as T;
    } catch {
      throw mediaServerError('mediaserver_bad_response', `${this.describe()} did not answer ${options.path.split('?')[0]} with JSON: is this URL really that kind of server?`);
    }
  }
}

/** The HTTP status of a mediaserver_http_error, else null. */
export const httpStatusOf = (err: unknown): number | null => {
  const s = (err as { status?: unknown }).status;
  return typeof s === 'number' ? s : null;
};

/** The protocol half of a kind: test and refresh, no bookkeeping. */
export interface MediaServerProtocol {
  test: MediaServer['test'];
  refresh: MediaServer['refresh'];
}

/**
 * Records the outcome of every test and refresh as the adapter's status(), so each kind only
 * writes its protocol.
 */
export function trackStatus(impl: MediaServerProtocol, now: () => number): MediaServer {
  let status: MediaServerStatus = { state: 'unknown', message: null, code: null, last_check_at: null };
  const settle = async <T>(work: Promise<T>, signal?: AbortSignal): Promise<T> => {
    try {
      const out = await work;
      status = { state: 'ok', message: null, code: null, last_check_at: new Date(now()).toISOString() };
      return out;
    } catch (err) {
      if (signal?.aborted) throw err;
      const e = err as { code?: string; message?: string };
      status = { state: 'error', message: e?.message ?? String(err), code: e?.code ?? null, last_check_at: new Date(now()).toISOString() };
      throw err;
    }
  };
  return {
    test: (samplePath, signal) => settle(impl.test(samplePath, signal), signal),
    refresh: (paths, signal) => settle(impl.refresh(paths, signal), signal),
    status: () => status,
  };
}
