import http from 'node:http';
import https from 'node:https';
import type { IncomingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import { got, type Got } from 'got';

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
  ) {
    super(`HTTP ${status} from ${redactUrl(url)}`);
    this.name = 'HttpStatusError';
  }
}

export interface HttpClientOptions {
  /** Idle time without a byte (and time to the response headers) before giving up. */
  timeoutMs: number;
  maxSocketsPerHost: number;
  userAgent: string;
}

export const DEFAULT_USER_AGENT =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0 Safari/537.36';

/**
 * got with keep-alive agents, no automatic retries (the engine retries by error class) and
 * strict Content-Length checks, so a body cut short is an error rather than a short segment.
 */
export function createHttpClient(options: HttpClientOptions): HttpClient {
  const agentOptions = { keepAlive: true, keepAliveMsecs: 15_000, maxSockets: options.maxSocketsPerHost, scheduling: 'lifo' as const };
  const agent = { http: new http.Agent(agentOptions), https: new https.Agent(agentOptions) };
  const client: Got = got.extend({
    agent,
    retry: { limit: 0 },
    throwHttpErrors: false,
    decompress: true,
    followRedirect: true,
    maxRedirects: 10,
    strictContentLength: true,
    timeout: { lookup: 10_000, connect: 15_000, response: options.timeoutMs, socket: options.timeoutMs },
    headers: { 'user-agent': options.userAgent },
  });

  return {
    get(request) {
      const headers: Record<string, string> = { ...request.headers };
      if (request.range) headers.range = `bytes=${request.range.start}-${request.range.end ?? ''}`;
      const stream = client.stream(request.url, { headers, signal: request.signal });
      return new Promise<HttpStreamResponse>((resolve, reject) => {
        const onError = (err: Error): void => reject(err);
        stream.once('error', onError);
        stream.once('response', (response: http.IncomingMessage & { url?: string; redirectUrls?: URL[] }) => {
          stream.off('error', onError);
          const status = response.statusCode ?? 0;
          const finalUrl = response.url ?? request.url;
          if (status >= 400) {
            stream.destroy();
            reject(new HttpStatusError(status, finalUrl));
            return;
          }
          resolve({ status, headers: response.headers, url: finalUrl, body: stream });
        });
      });
    },
    close() {
      agent.http.destroy();
      agent.https.destroy();
    },
  };
}

/** A URL fit for logs and messages: credentials and query strings (often tokens) removed. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    const hadQuery = u.search !== '';
    u.search = '';
    return u.toString() + (hadQuery ? '?…' : '');
  } catch {
    return '[invalid url]';
  }
}
