/**
 * Fake notification services on 127.0.0.1 that accept only what the real ones accept, so a
 * notifier speaking the wrong wire format fails its test. Each records every request (method,
 * path, headers, raw and parsed body, the status it answered) and can be told to fail or hang.
 *
 * What the fakes rely on (read December 2026; notes in /work/shared/notes/mediaservers.md):
 * - ntfy (docs.ntfy.sh/publish, "Publish as JSON"; binwiederhier/ntfy server/): JSON publishing
 *   is `POST /` (the root, not `/<topic>`) with `{topic, message, title, tags[], priority 1-5,
 *   click}`; only `topic` is required and must match `^[-_A-Za-z0-9]{1,64}$`. Access tokens go as
 *   `Authorization: Bearer tk_...`. Success: 200 with the message JSON `{id, time, expires,
 *   event: "message", topic, ...}`; errors `{code, http, error, link}` such as 401/40101
 *   "unauthorized" and 400/40009 for a bad topic.
 * - Gotify (gotify.net/docs, gotify/server api/message.go, auth/authentication.go): `POST
 *   /message` with the app token as query `token`, header `X-Gotify-Key` or `Authorization:
 *   Bearer`; JSON `{title?, message (required, non-empty), priority? (integer), extras?}`.
 *   Success: 200 `{id, appid, message, title, priority, extras, date}`; errors `{error,
 *   errorCode, errorDescription}`.
 * - apprise-api (caronc/apprise-api README, api/urls.py, views.py): stateless `POST /notify`
 *   (trailing slash optional) with `{urls, title, body, type, format}`, or `POST /notify/{KEY}`
 *   with KEY matching `[\w_-]{1,128}` for a saved configuration (plus `tag`). JSON bodies need
 *   `Content-Type: application/json`; `body` is required; `type` is one of info, success,
 *   warning, failure. 200 sent; 204 nothing to send to (no URLs, unknown key); 400 bad payload;
 *   424 some services failed. The answer is JSON when Accept asks for it.
 * - Webhooks signed per Standard Webhooks 1.0 (standard-webhooks spec): `webhook-id`,
 *   `webhook-timestamp` (unix seconds), `webhook-signature: v1,<base64 HMAC-SHA256(key,
 *   "{id}.{timestamp}.{raw body}")>`, a `whsec_` secret's key being its base64-decoded rest; and
 *   GitHub's `X-Hub-Signature-256: sha256=<hex HMAC of the raw body>`. Both checked here in
 *   constant time over the raw bytes received.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface ReceivedRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: http.IncomingHttpHeaders;
  raw: string;
  json: unknown;
  status: number;
  at: number;
}

export interface FakeReceiver {
  url: string;
  requests: ReceivedRequest[];
  /** Answer the next `count` requests with `status` (and a JSON error body). */
  failNext(count: number, status: number): void;
  /** Accept the next `count` requests and never answer them (a hung server). */
  hangNext(count: number): void;
  close(): Promise<void>;
}

type Answer = { status: number; body?: unknown };
type Handler = (req: ReceivedRequest) => Answer;

async function startReceiver(name: string, handle: Handler): Promise<FakeReceiver> {
  let failures = { count: 0, status: 0 };
  let hangs = 0;
  const sockets = new Set<Socket>();
  const fake: FakeReceiver = {
    url: '',
    requests: [],
    failNext(count, status) {
      failures = { count, status };
    },
    hangNext(count) {
      hangs = count;
    },
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://x');
      const raw = Buffer.concat(chunks).toString('utf8');
      let json: unknown = undefined;
      try {
        json = raw ? JSON.parse(raw) : undefined;
      } catch {
        json = undefined;
      }
      const record: ReceivedRequest = { method: req.method ?? '', path: url.pathname, query: url.searchParams, headers: req.headers, raw, json, status: 0, at: Date.now() };
      fake.requests.push(record);
      if (hangs > 0) {
        hangs--;
        return; // never answered; the socket is destroyed on close
      }
      let answer: Answer;
      if (failures.count > 0) {
        failures.count--;
        answer = { status: failures.status, body: { error: `${name} is failing on purpose`, code: failures.status } };
      } else {
        answer = handle(record);
      }
      record.status = answer.status;
      if (answer.body === undefined) {
        res.writeHead(answer.status).end();
      } else {
        res.writeHead(answer.status, { 'content-type': 'application/json' }).end(JSON.stringify(answer.body));
      }
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  fake.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return fake;
}

const isJson = (r: ReceivedRequest): boolean => /^application\/json\b/.test(String(r.headers['content-type'] ?? ''));
const obj = (v: unknown): Record<string, unknown> | null => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null);

/** ntfy; `token` set: the topic is protected and needs that Bearer token. */
export function startFakeNtfy(options: { token?: string } = {}): Promise<FakeReceiver> {
  let id = 0;
  const ntfyError = (http: number, code: number, error: string): Answer => ({ status: http, body: { code, http, error, link: 'https://ntfy.sh/docs/publish/' } });
  return startReceiver('ntfy', (r) => {
    if (r.method !== 'POST' && r.method !== 'PUT') return ntfyError(405, 40501, 'method not allowed');
    if (options.token && r.headers.authorization !== `Bearer ${options.token}`) return ntfyError(401, 40101, 'unauthorized');
    // JSON publishing is only understood at the root; at /<topic> the JSON would become the message text.
    if (r.path !== '/') return ntfyError(400, 40000, 'this fake only accepts JSON publishing at /');
    const body = obj(r.json);
    if (!body) return ntfyError(400, 40024, 'invalid request: request body must be message JSON');
    if (typeof body.topic !== 'string' || !/^[-_A-Za-z0-9]{1,64}$/.test(body.topic)) return ntfyError(400, 40009, 'invalid request: topic invalid');
    if (body.priority !== undefined && !(Number.isInteger(body.priority) && (body.priority as number) >= 1 && (body.priority as number) <= 5)) return ntfyError(400, 40007, 'invalid priority');
    if (body.tags !== undefined && !(Array.isArray(body.tags) && body.tags.every((t) => typeof t === 'string'))) return ntfyError(400, 40024, 'invalid tags');
    for (const key of ['message', 'title', 'click'] as const) if (body[key] !== undefined && typeof body[key] !== 'string') return ntfyError(400, 40024, `invalid ${key}`);
    const now = Math.floor(Date.now() / 1000);
    return { status: 200, body: { id: `msg${++id}`, time: now, expires: now + 43200, event: 'message', ...body } };
  });
}

/** Gotify with one application whose token is `token`. */
export function startFakeGotify(options: { token: string }): Promise<FakeReceiver> {
  let id = 0;
  const gotifyError = (status: number, error: string, description: string): Answer => ({ status, body: { error, errorCode: status, errorDescription: description } });
  return startReceiver('gotify', (r) => {
    if (r.method !== 'POST' || r.path !== '/message') return gotifyError(404, 'Not Found', 'page not found');
    const bearer = /^Bearer (.+)$/.exec(String(r.headers.authorization ?? ''))?.[1];
    const token = r.query.get('token') ?? (r.headers['x-gotify-key'] as string | undefined) ?? bearer;
    if (token !== options.token) return gotifyError(401, 'Unauthorized', 'you need to provide a valid access token or user credentials to access this api');
    if (!isJson(r)) return gotifyError(400, 'Bad Request', 'this fake expects a JSON body');
    const body = obj(r.json);
    if (!body || typeof body.message !== 'string' || body.message === '') return gotifyError(400, 'Bad Request', "Field 'message' is required");
    if (body.priority !== undefined && !Number.isInteger(body.priority)) return gotifyError(400, 'Bad Request', "Field 'priority' must be an integer");
    if (body.extras !== undefined && !obj(body.extras)) return gotifyError(400, 'Bad Request', "Field 'extras' must be an object");
    return { status: 200, body: { id: ++id, appid: 1, message: body.message, title: body.title ?? 'm3u-downloader', priority: body.priority ?? 5, extras: body.extras, date: new Date().toISOString() } };
  });
}

/** apprise-api; `keys` are the saved configurations, `statelessUrls` the server's APPRISE_STATELESS_URLS. */
export function startFakeApprise(options: { keys?: string[]; statelessUrls?: string } = {}): Promise<FakeReceiver> {
  const TYPES = ['info', 'success', 'warning', 'failure'];
  return startReceiver('apprise-api', (r) => {
    const match = /^\/notify(?:\/([^/]*))?\/?$/.exec(r.path);
    if (r.method !== 'POST' || !match) return { status: 404, body: { error: 'not found' } };
    const key = match[1] || null;
    if (key !== null && !/^[\w-]{1,128}$/.test(key)) return { status: 404, body: { error: 'invalid key' } };
    if (!isJson(r)) return { status: 400, body: { error: 'this fake expects a JSON body' } };
    const body = obj(r.json);
    if (!body || typeof body.body !== 'string' || !body.body) return { status: 400, body: { error: 'body is required' } };
    if (body.type !== undefined && !TYPES.includes(String(body.type))) return { status: 400, body: { error: 'An invalid notification type was specified.' } };
    if (body.format !== undefined && !['text', 'markdown', 'html'].includes(String(body.format))) return { status: 400, body: { error: 'An invalid body input format was specified.' } };
    if (key !== null) {
      if (!(options.keys ?? []).includes(key)) return { status: 204 };
    } else if (!(typeof body.urls === 'string' && body.urls.trim()) && !options.statelessUrls) {
      return { status: 204 };
    }
    return { status: 200, body: { error: null, details: [] } };
  });
}

/** A webhook receiver; with `secret`, every request must carry valid signatures. */
export function startFakeWebhook(options: { secret?: string } = {}): Promise<FakeReceiver & { verified: number }> {
  const state = { verified: 0 };
  const promise = startReceiver('webhook', (r) => {
    if (r.method !== 'POST') return { status: 405 };
    if (!isJson(r) || r.json === undefined) return { status: 400, body: { error: 'expected a JSON body' } };
    if (options.secret) {
      const problem = verifySignatures(options.secret, r);
      if (problem) return { status: 401, body: { error: problem } };
      state.verified++;
    }
    return { status: 204 };
  });
  return promise.then((fake) => Object.defineProperty(fake, 'verified', { get: () => state.verified }) as FakeReceiver & { verified: number });
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Null when both signatures over the raw body check out; else what is wrong. */
export function verifySignatures(secret: string, r: ReceivedRequest): string | null {
  const key = secret.startsWith('whsec_') ? Buffer.from(secret.slice(6), 'base64') : Buffer.from(secret, 'utf8');
  const id = r.headers['webhook-id'];
  const timestamp = r.headers['webhook-timestamp'];
  const signature = String(r.headers['webhook-signature'] ?? '');
  if (typeof id !== 'string' || typeof timestamp !== 'string' || !/^\d+$/.test(timestamp)) return 'missing webhook-id or webhook-timestamp';
  if (Math.abs(Date.now() / 1000 - Number(timestamp)) > 300) return 'timestamp too far from now';
  const expected = createHmac('sha256', key).update(`${id}.${timestamp}.${r.raw}`).digest('base64');
  const offered = signature.split(' ').filter((s) => s.startsWith('v1,')).map((s) => s.slice(3));
  if (!offered.some((s) => safeEqual(s, expected))) return 'webhook-signature does not match';
  const hub = `sha256=${createHmac('sha256', key).update(r.raw).digest('hex')}`;
  if (!safeEqual(String(r.headers['x-hub-signature-256'] ?? ''), hub)) return 'x-hub-signature-256 does not match';
  return null;
}
