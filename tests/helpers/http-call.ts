import http, { type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http';

export interface CallResult {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  /** The parsed JSON body, or null. */
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  /** Set-Cookie values as name=value pairs. */
  cookies: Record<string, string>;
}

export interface CallOptions {
  method?: string;
  headers?: OutgoingHttpHeaders;
  /** Sent as JSON. */
  json?: unknown;
  /**
   * The source address of the connection, to tell a trusted proxy (127.0.0.2) from anyone else
   * (127.0.0.1): both are loopback, so tests need no real network.
   */
  localAddress?: string;
  /** Header lines sent in order, repeats included (a proxy forwarding a client's copy after its own). */
  rawHeaders?: [string, string][];
  /** Sent as is (set content-type yourself); for malformed and oversized bodies. */
  rawBody?: string | Buffer;
}

/**
 * One HTTP request with full control of the source address and headers. A server-sent events
 * response is closed after its headers (its body never ends).
 */
export function call(baseUrl: string, path: string, opts: CallOptions = {}): Promise<CallResult> {
  const url = new URL(path, baseUrl);
  const body = opts.json === undefined ? undefined : Buffer.from(JSON.stringify(opts.json));
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: url.hostname,
        port: url.port,
        path: `${url.pathname}${url.search}`,
        method: opts.method ?? 'GET',
        localAddress: opts.localAddress,
        agent: false,
        setHost: true,
      },
      (res) => {
        const cookies: Record<string, string> = {};
        for (const line of res.headers['set-cookie'] ?? []) {
          const [pair] = line.split(';');
          const eq = pair!.indexOf('=');
          cookies[pair!.slice(0, eq).trim()] = pair!.slice(eq + 1).trim();
        }
        if (String(res.headers['content-type'] ?? '').startsWith('text/event-stream')) {
          res.destroy();
          resolve({ status: res.statusCode!, headers: res.headers, text: '', body: null, cookies });
          return;
        }
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown = null;
          try {
            parsed = text ? JSON.parse(text) : null;
          } catch {
            parsed = null;
          }
          resolve({ status: res.statusCode!, headers: res.headers, text, body: parsed, cookies });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    for (const [name, value] of Object.entries(opts.headers ?? {})) if (value !== undefined) req.setHeader(name, value);
    // setHeader() replaces by name (case-insensitively); an array sends one line per value.
    if (opts.rawHeaders?.length) {
      const grouped = new Map<string, string[]>();
      for (const [name, value] of opts.rawHeaders) grouped.set(name.toLowerCase(), [...(grouped.get(name.toLowerCase()) ?? []), value]);
      for (const [name, values] of grouped) req.setHeader(name, values.length === 1 ? values[0]! : values);
    }
    if (opts.rawBody !== undefined) {
      const raw = Buffer.from(opts.rawBody);
      if (!req.hasHeader('content-length')) req.setHeader('content-length', raw.length);
      // The server may answer (413) and close before the whole body is written: keep its answer.
      req.on('error', () => undefined);
      req.end(raw);
    } else if (body) {
      req.setHeader('content-type', 'application/json');
      req.setHeader('content-length', body.length);
      req.end(body);
    } else {
      req.end();
    }
  });
}

/** A Cookie header from cookies collected off responses. */
export const cookieHeader = (cookies: Record<string, string>): string =>
  Object.entries(cookies)
    .filter(([, v]) => v !== '')
    .map(([k, v]) => `${k}=${v}`)
    .join('; ');
