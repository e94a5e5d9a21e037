/**
 * A loopback HTTP origin serving the generated HLS fixtures (or any directory), with the
 * misbehaviours real CDNs have. Virtual path prefixes on top of the plain file tree:
 *
 *   /redirect/<p>.m3u8   302 to /moved/deep/<p>.m3u8; anything else under /redirect/ is 404, so
 *                        a client resolving segment URIs against the original URL fails loudly.
 *   /moved/deep/<p>      the `plain` scenario.
 *   /referer/<p>         the `aes` scenario (playlist, key, segments); 403 unless
 *                        `Referer: <baseUrl>/page` is sent.
 *   /flaky/<p>           the `plain` scenario; the first GET of each FLAKY_SEGMENTS entry fails
 *                        (503, connection reset, short body), later requests succeed.
 *   /missing/<p>         the `plain` scenario with MISSING_SEGMENT always 404.
 *   /direct-norange/<p>  `direct/` with Range ignored and no Accept-Ranges header.
 *
 * Bodies stream from disk (never buffered whole); with `perConnectionBytesPerSec` every
 * connection is paced by its own token bucket, which survives across keep-alive requests.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import http, { type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { ensureFixtures } from '../fixtures/media.js';

export const REFERER_PATH = '/page';
/** Segment file names (in the plain scenario) that fail once under /flaky/. */
export const FLAKY_SEGMENTS = { status503: 'seg001.ts', reset: 'seg002.ts', truncate: 'seg003.ts' } as const;
/** Segment file name that always 404s under /missing/. */
export const MISSING_SEGMENT = 'seg004.ts';

export function expectedReferer(baseUrl: string): string {
  return `${baseUrl}${REFERER_PATH}`;
}

export interface HlsOriginOptions {
  /** Directory to serve; defaults to the fixture cache from ensureFixtures(). */
  root?: string;
  /** Pace every response body to this many bytes per second per TCP connection. */
  perConnectionBytesPerSec?: number;
  /** Wait this long before sending the status line of every response. */
  firstByteDelayMs?: number;
}

export type RequestOutcome = 'pending' | 'complete' | 'aborted' | 'reset' | 'truncated' | 'hung';

export interface RequestRecord {
  id: number;
  /** Same number for requests that shared a TCP connection (keep-alive). */
  connectionId: number;
  method: string;
  /** Decoded path without the query, e.g. '/plain/seg001.ts'. */
  path: string;
  /** Query string including '?', or ''. */
  query: string;
  headers: IncomingHttpHeaders;
  range: string | undefined;
  /** 0 until the status line is sent (stays 0 for 'hang' and reset-before-headers). */
  status: number;
  bytesSent: number;
  outcome: RequestOutcome;
  startedAt: number;
  endedAt?: number;
}

export type PathMatch = RegExp | string;

/** A string matches when the path contains it; a RegExp is tested against the path. */
function matches(m: PathMatch | undefined, p: string): boolean {
  if (m === undefined) return true;
  return typeof m === 'string' ? p.includes(m) : m.test(p);
}

export class RequestLog {
  readonly entries: RequestRecord[] = [];
  private waiters: Array<() => void> = [];

  /** @internal */
  add(r: RequestRecord): void {
    this.entries.push(r);
    for (const w of this.waiters.slice()) w();
  }

  get length(): number {
    return this.entries.length;
  }

  filter(match?: PathMatch, method?: string): RequestRecord[] {
    return this.entries.filter((r) => matches(match, r.path) && (method === undefined || r.method === method));
  }

  count(match?: PathMatch, method?: string): number {
    return this.filter(match, method).length;
  }

  paths(match?: PathMatch): string[] {
    return this.filter(match).map((r) => r.path);
  }

  clear(): void {
    this.entries.length = 0;
  }

  /** Resolves once at least `count` requests matching have arrived (not necessarily finished). */
  waitFor(match: PathMatch, count = 1, timeoutMs = 30_000): Promise<RequestRecord[]> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        const found = this.filter(match);
        if (found.length < count) return false;
        cleanup();
        resolve(found);
        return true;
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`timed out waiting for ${count} request(s) matching ${String(match)}`));
      }, timeoutMs);
      const cleanup = (): void => {
        clearTimeout(timer);
        this.waiters = this.waiters.filter((w) => w !== waiter);
      };
      const waiter = (): void => void check();
      this.waiters.push(waiter);
      check();
    });
  }
}

export type InjectionKind = 'status' | 'reset' | 'truncate' | 'delay' | 'hang';

export interface InjectionRule {
  match: PathMatch;
  kind: InjectionKind;
  /** For 'status' (default 500). */
  status?: number;
  /** For 'status': extra response headers (e.g. Retry-After). */
  headers?: Record<string, string>;
  /** How many matching requests to affect (default: all). */
  times?: number;
  /** For 'delay': wait this long before responding normally. */
  delayMs?: number;
  /** Only requests with this method (default: any). */
  method?: string;
}

export interface InjectionHandle {
  readonly hits: number;
  remove(): void;
}

export interface HlsOrigin {
  baseUrl: string;
  port: number;
  root: string;
  /** The Referer value /referer/ requires. */
  referer: string;
  url(p: string): string;
  requests: RequestLog;
  inject(rule: InjectionRule): InjectionHandle;
  clearInjections(): void;
  /** Clears the log and injections and re-arms the one-time /flaky/ failures. */
  reset(): void;
  /** Change throttling at runtime; affects bodies written after the call. */
  setThrottle(options: Pick<HlsOriginOptions, 'perConnectionBytesPerSec' | 'firstByteDelayMs'>): void;
  /** TCP connections accepted so far. */
  connectionCount(): number;
  close(): Promise<void>;
}

const CONTENT_TYPES: Record<string, string> = {
  '.m3u8': 'application/vnd.apple.mpegurl',
  '.ts': 'video/mp2t',
  '.mp4': 'video/mp4',
  '.m4s': 'video/mp4',
  '.aac': 'audio/aac',
  '.key': 'application/octet-stream',
  '.bin': 'application/octet-stream',
  '.jpg': 'image/jpeg',
  '.html': 'text/html; charset=utf-8',
};

type Route =
  | { kind: 'redirect'; location: string }
  | { kind: 'status'; status: number }
  | {
      kind: 'file';
      rel: string;
      ranges: boolean;
      needsReferer: boolean;
      flaky?: keyof typeof FLAKY_SEGMENTS;
    };

function route(p: string): Route {
  const m = /^\/([^/]+)\/(.+)$/.exec(p);
  const prefix = m?.[1];
  const rest = m?.[2] ?? '';
  const file = (rel: string, extra: Partial<Extract<Route, { kind: 'file' }>> = {}): Route => ({
    kind: 'file', rel, ranges: true, needsReferer: false, ...extra,
  });
  switch (prefix) {
    case 'redirect':
      return rest.endsWith('.m3u8') ? { kind: 'redirect', location: `/moved/deep/${rest}` } : { kind: 'status', status: 404 };
    case 'moved':
      return rest.startsWith('deep/') ? file(`plain/${rest.slice(5)}`) : { kind: 'status', status: 404 };
    case 'referer':
      return file(`aes/${rest}`, { needsReferer: true });
    case 'flaky': {
      const base = path.posix.basename(rest);
      const which = (Object.keys(FLAKY_SEGMENTS) as Array<keyof typeof FLAKY_SEGMENTS>).find((k) => FLAKY_SEGMENTS[k] === base);
      return file(`plain/${rest}`, which ? { flaky: which } : {});
    }
    case 'missing':
      return path.posix.basename(rest) === MISSING_SEGMENT ? { kind: 'status', status: 404 } : file(`plain/${rest}`);
    case 'direct-norange':
      return file(`direct/${rest}`, { ranges: false });
    default:
      return file(p.slice(1));
  }
}

type ByteRange = { start: number; end: number };

/** Single `bytes=` ranges only; anything else is ignored (full 200), as RFC 9110 allows. */
function parseRange(header: string, size: number): ByteRange | 'unsatisfiable' | undefined {
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return undefined;
  if (m[1] === '') {
    const n = Number(m[2]);
    if (n === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - n), end: size - 1 };
  }
  const start = Number(m[1]);
  if (start >= size) return 'unsatisfiable';
  const last = m[2] === '' ? size - 1 : Number(m[2]);
  if (last < start) return undefined;
  return { start, end: Math.min(last, size - 1) };
}

interface Bucket {
  /** performance.now() time at which the next byte may be sent. */
  next: number;
}

interface Injection extends InjectionRule {
  hits: number;
}

export async function startHlsOrigin(options: HlsOriginOptions = {}): Promise<HlsOrigin> {
  const root = path.resolve(options.root ?? (await ensureFixtures()).root);
  let rate = options.perConnectionBytesPerSec ?? 0;
  let firstByteDelayMs = options.firstByteDelayMs ?? 0;
  const requests = new RequestLog();
  let injections: Injection[] = [];
  const flakyFired = new Set<string>();
  const connIds = new WeakMap<Socket, number>();
  const buckets = new WeakMap<Socket, Bucket>();
  const hanging = new Set<ServerResponse>();
  let connections = 0;
  let nextRequestId = 1;
  let baseUrl = '';

  const server = http.createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) {
        res.writeHead(500, { 'Content-Type': 'text/plain' }).end(String(err));
      } else {
        res.destroy();
      }
    });
  });
  // Long keep-alive so client pools never race an idle close; no request timeout for slow bodies.
  server.keepAliveTimeout = 60_000;
  server.requestTimeout = 0;
  server.on('connection', (socket: Socket) => {
    connIds.set(socket, ++connections);
    socket.setNoDelay(true);
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    let urlPath: string;
    try {
      urlPath = decodeURIComponent(url.pathname);
    } catch {
      urlPath = url.pathname;
    }
    const method = req.method ?? 'GET';
    const rangeHeader = req.headers.range;
    const rec: RequestRecord = {
      id: nextRequestId++,
      connectionId: connIds.get(req.socket) ?? 0,
      method,
      path: urlPath,
      query: url.search,
      headers: req.headers,
      range: rangeHeader,
      status: 0,
      bytesSent: 0,
      outcome: 'pending',
      startedAt: Date.now(),
    };
    requests.add(rec);
    res.on('finish', () => {
      if (rec.outcome === 'pending') rec.outcome = 'complete';
      rec.endedAt = Date.now();
    });
    res.on('close', () => {
      hanging.delete(res);
      if (rec.outcome === 'pending') rec.outcome = 'aborted';
      rec.endedAt ??= Date.now();
    });

    const head = (status: number, headers: http.OutgoingHttpHeaders): void => {
      rec.status = status;
      res.writeHead(status, headers);
    };
    const simple = (status: number, extra: http.OutgoingHttpHeaders = {}): void => {
      const body = `${status} ${http.STATUS_CODES[status] ?? ''}\n`;
      head(status, { 'Content-Type': 'text/plain', 'Content-Length': Buffer.byteLength(body), ...extra });
      res.end(method === 'HEAD' ? undefined : body);
    };

    if (firstByteDelayMs > 0) await sleep(firstByteDelayMs);

    let failure: 'reset' | 'truncate' | undefined;
    const inj = injections.find(
      (i) => (i.times === undefined || i.hits < i.times) && (i.method === undefined || i.method === method) && matches(i.match, urlPath),
    );
    if (inj) {
      inj.hits++;
      switch (inj.kind) {
        case 'status':
          return simple(inj.status ?? 500, inj.headers ?? {});
        case 'hang':
          rec.outcome = 'hung';
          hanging.add(res);
          return;
        case 'delay':
          await sleep(inj.delayMs ?? 1000);
          break;
        case 'reset':
        case 'truncate':
          failure = inj.kind;
          break;
      }
    }

    const r = route(urlPath);
    if (r.kind === 'redirect') return simple(302, { Location: `${baseUrl}${r.location}${url.search}` });
    if (r.kind === 'status') return simple(r.status);
    if (r.needsReferer && req.headers.referer !== expectedReferer(baseUrl)) return simple(403);
    if (r.flaky && method === 'GET' && !flakyFired.has(r.flaky)) {
      flakyFired.add(r.flaky);
      if (r.flaky === 'status503') return simple(503);
      failure = r.flaky === 'reset' ? 'reset' : 'truncate';
    }

    const file = path.join(root, r.rel);
    if (file !== root && !file.startsWith(root + path.sep)) return simple(403);
    const st = await stat(file).catch(() => undefined);
    if (!st?.isFile()) return simple(404);

    const etag = `"${st.size.toString(16)}-${Math.floor(st.mtimeMs).toString(16)}"`;
    const headers: http.OutgoingHttpHeaders = {
      'Content-Type': CONTENT_TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream',
      'Last-Modified': st.mtime.toUTCString(),
      ETag: etag,
    };
    if (r.ranges) headers['Accept-Ranges'] = 'bytes';

    let status = 200;
    let start = 0;
    let end = st.size - 1;
    const ifRange = req.headers['if-range'];
    if (r.ranges && rangeHeader && (ifRange === undefined || ifRange === etag)) {
      const range = parseRange(rangeHeader, st.size);
      if (range === 'unsatisfiable') return simple(416, { 'Content-Range': `bytes */${st.size}` });
      if (range) {
        status = 206;
        ({ start, end } = range);
        headers['Content-Range'] = `bytes ${start}-${end}/${st.size}`;
      }
    }
    const length = end - start + 1;
    headers['Content-Length'] = length;
    head(status, headers);
    if (method === 'HEAD' || length === 0) {
      res.end();
      return;
    }

    if (!failure) {
      if (await pump(res, rec, file, start, end)) res.end();
      return;
    }

    // Failures: send part of the body, make sure it left the process, then break the connection.
    const partial = failure === 'reset' ? Math.floor(length / 4) : Math.floor(length / 2);
    res.flushHeaders();
    if (partial > 0 && !(await pump(res, rec, file, start, start + partial - 1))) return;
    const socket = res.socket;
    if (!socket) return;
    while (socket.writableLength > 0 && !socket.destroyed) await sleep(2);
    if (failure === 'reset') {
      rec.outcome = 'reset';
      await sleep(10);
      socket.resetAndDestroy();
    } else {
      rec.outcome = 'truncated';
      socket.end(() => socket.destroy());
    }
  }

  /** The socket Node assigns to a queued response, or null when the connection closed first. */
  function socketOf(res: ServerResponse): Promise<Socket | null> {
    return new Promise((resolve) => {
      const done = (): void => {
        res.off('socket', done);
        res.off('close', done);
        resolve(res.socket ?? null);
      };
      res.on('socket', done);
      res.on('close', done);
    });
  }

  /** Streams file[start..end] to res; false when the client went away first. */
  async function pump(res: ServerResponse, rec: RequestRecord, file: string, start: number, end: number): Promise<boolean> {
    // A request that arrived on a keep-alive connection before the previous response had
    // finished (the client had its last byte, our res.end() was a tick away) has no socket yet:
    // Node assigns it when the previous response finishes. Returning here left the response open
    // forever (ffmpeg hung for 17 min, the engine waited out its 30 s response timeout).
    const socket = res.socket ?? (await socketOf(res));
    if (!socket) return false;
    const hwm = rate > 0 ? Math.min(65_536, Math.max(1024, Math.floor(rate / 50))) : 65_536;
    const stream = createReadStream(file, { start, end, highWaterMark: hwm });
    let bucket = buckets.get(socket);
    if (!bucket) buckets.set(socket, (bucket = { next: 0 }));
    // An idle connection banks no credit: a new body starts on the clock, not behind it.
    if (bucket.next < performance.now() - 50) bucket.next = performance.now();
    try {
      for await (const chunk of stream as AsyncIterable<Buffer>) {
        if (res.destroyed) return false;
        if (rate > 0) {
          const now = performance.now();
          if (bucket.next > now) await sleep(bucket.next - now);
          // Within a body, lateness (late timers, a busy event loop, slow disk reads) is made up,
          // so the average rate stays the configured one on a loaded machine too; at most 1 s of
          // it, so a long stall does not turn into a long burst. Never ahead of the schedule
          // counted from the body's start. (Dropping any lateness over 50 ms lost whole stalls:
          // 0.63x the rate in a loaded full run.)
          const t = performance.now();
          bucket.next = Math.max(bucket.next, t - 1000) + (chunk.length * 1000) / rate;
          if (res.destroyed) return false;
        }
        rec.bytesSent += chunk.length;
        if (!res.write(chunk)) {
          await new Promise<void>((resolve) => {
            const done = (): void => {
              res.off('drain', done);
              res.off('close', done);
              resolve();
            };
            res.on('drain', done);
            res.on('close', done);
          });
        }
      }
      return !res.destroyed;
    } finally {
      stream.destroy();
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  baseUrl = `http://127.0.0.1:${port}`;

  return {
    baseUrl,
    port,
    root,
    referer: expectedReferer(baseUrl),
    url: (p) => `${baseUrl}/${p.replace(/^\/+/, '')}`,
    requests,
    inject(rule) {
      const entry: Injection = { ...rule, hits: 0 };
      injections.push(entry);
      return {
        get hits() {
          return entry.hits;
        },
        remove() {
          injections = injections.filter((i) => i !== entry);
        },
      };
    },
    clearInjections() {
      injections = [];
    },
    reset() {
      injections = [];
      requests.clear();
      flakyFired.clear();
    },
    setThrottle(o) {
      if (o.perConnectionBytesPerSec !== undefined) rate = o.perConnectionBytesPerSec;
      if (o.firstByteDelayMs !== undefined) firstByteDelayMs = o.firstByteDelayMs;
    },
    connectionCount: () => connections,
    close() {
      for (const res of hanging) res.destroy();
      hanging.clear();
      return new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
