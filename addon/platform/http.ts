import dns from 'node:dns';
import http, { type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import https from 'node:https';
import type { Readable } from 'node:stream';
import zlib from 'node:zlib';
import { AppError } from '../errors.js';
import { redactCredentials } from '../redact.js';
import { literalAddress, portOf, refusedTarget, type TargetPolicy } from './target-guard.js';

export interface HttpGetRequest {
  url: string;
  headers: Record<string, string>;
  /** Inclusive byte range, as in the Range header. `end` omitted means "to the end". */
  range?: { start: number; end?: number } | undefined;
  signal: AbortSignal;
}

export interface HttpStreamResponse {
  status: number;
  headers: IncomingHttpHeaders;
  /** The URL after redirects: relative URIs in a playlist resolve against this one. */
  url: string;
  body: Readable;
}

/** The one way the engine talks HTTP, so tests and the benchmark can see every knob. */
export interface HttpClient {
  get(request: HttpGetRequest): Promise<HttpStreamResponse>;
  close(): void;
}

/** An HTTP status the caller did not want; carries the status for retry decisions. */
export class HttpStatusError extends Error {
  constructor(
    readonly status: number,
    readonly url: string,
    /** The server's Retry-After (503, 429), in milliseconds; null when it sent none. */
    readonly retryAfterMs: number | null = null,
  ) {
    super(`HTTP ${status} from ${redactUrl(url)}`);
    this.name = 'HttpStatusError';
  }
}

/** Retry-After as seconds or an HTTP date, in milliseconds from `now`; null when absent or unreadable. */
export function parseRetryAfter(value: string | string[] | undefined, now = Date.now()): number | null {
  if (typeof value !== 'string' || value.trim() === '') return null;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const at = Date.parse(v);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}

export interface HttpClientOptions {
  /** Idle time without a byte (and time to the response headers) before giving up. */
  timeoutMs: number;
  maxSocketsPerHost: number;
  userAgent: string;
  /**
   * A body arriving slower than `bytesPerSecond` on average over any `windowMs` counts as a
   * timeout (ETIMEDOUT, retried like one). Without it an origin trickling a byte a second never
   * trips the idle timeout and holds a job and a download slot forever. 0 or absent: off.
   */
  minSpeed?: { bytesPerSecond: number; windowMs: number } | undefined;
  /** Targets refused before connecting (link-local / metadata, this server); absent: none. */
  targets?: TargetPolicy | undefined;
}

function targetRefused(url: URL, reason: string): AppError {
  return new AppError('target_forbidden', `refused to fetch ${redactUrl(url.toString())}: ${reason}`, { httpStatus: 400 });
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | dns.LookupAddress[], family?: number) => void;

/** dns.lookup that refuses names resolving to a forbidden target (checked on the addresses used). */
function guardedLookup(url: URL, policy: TargetPolicy) {
  const port = portOf(url);
  return (hostname: string, options: dns.LookupOptions, callback: LookupCallback): void => {
    dns.lookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, '');
      for (const a of addresses) {
        const reason = refusedTarget(a.address, port, policy);
        if (reason) return callback(targetRefused(url, `${hostname} resolves to ${reason}`) as unknown as NodeJS.ErrnoException, '');
      }
      if (options.all) return callback(null, addresses);
      const first = addresses[0];
      if (!first) return callback(Object.assign(new Error(`no address for ${hostname}`), { code: 'ENOTFOUND' }), '');
      callback(null, first.address, first.family);
    });
  };
}

export const DEFAULT_USER_AGENT =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0 Safari/537.36';

const MAX_REDIRECTS = 10;
/** Headers that must not follow a redirect to another origin. */
const CREDENTIAL_HEADERS = ['authorization', 'cookie', 'proxy-authorization'];

class TimeoutError extends Error {
  readonly code = 'ETIMEDOUT';
  constructor(what: string, ms: number, message?: string) {
    super(message ?? `${what} timed out after ${ms} ms`);
    this.name = 'TimeoutError';
  }
}

/**
 * Watches a response's socket: every `windowMs` the bytes read in that window must reach
 * `bytesPerSecond * windowMs / 1000`, else the response is destroyed with a TimeoutError.
 * Reads the socket's own byte counter, so it adds no stream stage (and no copy) to the body.
 */
function guardMinSpeed(res: IncomingMessage, minSpeed: { bytesPerSecond: number; windowMs: number }): void {
  const socket = res.socket;
  if (!socket || minSpeed.bytesPerSecond <= 0) return;
  const floor = (minSpeed.bytesPerSecond * minSpeed.windowMs) / 1000;
  let mark = socket.bytesRead;
  const timer = setInterval(() => {
    const got = socket.bytesRead - mark;
    mark = socket.bytesRead;
    if (got < floor) {
      clearInterval(timer);
      const rate = Math.round((got * 1000) / minSpeed.windowMs);
      res.destroy(new TimeoutError('transfer', minSpeed.windowMs, `transfer too slow: ${rate} bytes/s over ${Math.round(minSpeed.windowMs / 1000)} s (minimum ${minSpeed.bytesPerSecond} bytes/s, option min_speed_bytes)`));
    }
  }, minSpeed.windowMs);
  timer.unref();
  const stop = (): void => clearInterval(timer);
  res.once('end', stop);
  res.once('close', stop);
  res.once('error', stop);
}

/**
 * node:http with keep-alive agents: one layer between the socket and the file, which matters
 * at 100 MB/s (got's extra stream layers cost ~30 MB of peak RSS on a 1 GB download, measured;
 * see README "Dependencies").
 * Follows redirects (keeping custom headers, dropping credentials across origins), times out
 * on silence, decompresses when the server compresses, and leaves retries to the caller.
 */
export function createHttpClient(options: HttpClientOptions): HttpClient {
  const agentOptions = { keepAlive: true, keepAliveMsecs: 15_000, maxSockets: options.maxSocketsPerHost, scheduling: 'lifo' as const };
  const agents = { http: new http.Agent(agentOptions), https: new https.Agent(agentOptions) };

  const once = (url: URL, headers: Record<string, string>, signal: AbortSignal): Promise<IncomingMessage> =>
    new Promise((resolve, reject) => {
      const mod = url.protocol === 'https:' ? https : http;
      if (options.targets) {
        const literal = literalAddress(url);
        const reason = literal ? refusedTarget(literal, portOf(url), options.targets) : null;
        if (reason) return reject(targetRefused(url, reason));
      }
      const req = mod.request(url, {
        method: 'GET',
        headers,
        agent: url.protocol === 'https:' ? agents.https : agents.http,
        signal,
        ...(options.targets ? { lookup: guardedLookup(url, options.targets) as unknown as typeof dns.lookup } : {}),
      });
      const responseTimer = setTimeout(() => req.destroy(new TimeoutError('waiting for the response', options.timeoutMs)), options.timeoutMs);
      req.setTimeout(options.timeoutMs, () => req.destroy(new TimeoutError('idle connection', options.timeoutMs)));
      req.once('response', (res) => {
        clearTimeout(responseTimer);
        resolve(res);
      });
      req.once('error', (err) => {
        clearTimeout(responseTimer);
        reject(err);
      });
      req.end();
    });

  return {
    async get(request: HttpGetRequest): Promise<HttpStreamResponse> {
      const headers: Record<string, string> = { 'user-agent': options.userAgent, 'accept-encoding': 'gzip, deflate, br', ...lower(request.headers) };
      if (request.range) {
        headers.range = `bytes=${request.range.start}-${request.range.end ?? ''}`;
        headers['accept-encoding'] = 'identity'; // byte ranges of a compressed body are useless
      }
      let url = new URL(request.url);
      for (let hop = 0; ; hop++) {
        const res = await once(url, headers, request.signal);
        const status = res.statusCode ?? 0;
        if (status >= 300 && status < 400 && res.headers.location) {
          res.resume();
          if (hop >= MAX_REDIRECTS) throw new HttpStatusError(status, url.toString());
          const next = new URL(res.headers.location, url);
          if (next.origin !== url.origin) for (const h of CREDENTIAL_HEADERS) delete headers[h];
          url = next;
          continue;
        }
        if (status >= 400) {
          res.resume();
          throw new HttpStatusError(status, url.toString(), parseRetryAfter(res.headers['retry-after']));
        }
        if (options.minSpeed) guardMinSpeed(res, options.minSpeed);
        return { status, headers: res.headers, url: url.toString(), body: decoded(res) };
      }
    },
    close() {
      agents.http.destroy();
      agents.https.destroy();
    },
  };
}

function lower(headers: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) out[k.toLowerCase()] = v;
  return out;
}

function decoded(res: IncomingMessage): Readable {
  const encoding = String(res.headers['content-encoding'] ?? '').toLowerCase();
  const decoder = encoding === 'gzip' || encoding === 'x-gzip' ? zlib.createGunzip() : encoding === 'deflate' ? zlib.createInflate() : encoding === 'br' ? zlib.createBrotliDecompress() : null;
  if (!decoder) return res;
  res.on('error', (err) => decoder.destroy(err));
  return res.pipe(decoder);
}

/** A URL fit for logs and messages: credentials and query strings (often tokens) removed. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    const hadQuery = u.search !== '';
    u.search = '';
    // Xtream Codes puts the account in the path: /movie/{user}/{password}/{id}.mp4
    return redactCredentials(u.toString()) + (hadQuery ? '?…' : '');
  } catch {
    return '[invalid url]';
  }
}
