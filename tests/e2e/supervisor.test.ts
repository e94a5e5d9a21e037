import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import http, { type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { freePort, startServer, type ServerProcess } from '../helpers/server-process.js';
import { call, type CallResult } from '../helpers/http-call.js';
import { waitFor } from '../helpers/app.js';

/**
 * The add-on run as the Supervisor would run it: the built server with /data/options.json made
 * from config.yaml's own defaults, a SUPERVISOR_TOKEN, and a fake Supervisor on 127.0.0.1. The
 * ingress proxy (Home Assistant + Supervisor) is a small proxy whose connections to the app come
 * from 127.0.0.2, the address the app is told to trust; the test's own requests come from
 * 127.0.0.1, like any other client on the network.
 */
const root = path.resolve(import.meta.dirname, '../..');
const TOKEN = 'supervisor-token-e2e-5f1c9a';
const API_KEY = 'options-api-key-e2e-7d2b4e';
const INGRESS_PATH = '/api/hassio_ingress/Zm9vYmFyYmF6';
const USER = { id: '8b1f0c7e5d2a4c3b9e6f1a2b3c4d5e6f', name: 'maria', display: 'Maria' };

interface SupervisorRequest {
  method: string;
  path: string;
  authorization: string | undefined;
}

/** Answers the Supervisor API paths the app uses, checking the token like the real one. */
async function startFakeSupervisor(): Promise<{ url: string; requests: SupervisorRequest[]; close(): Promise<void> }> {
  const requests: SupervisorRequest[] = [];
  const server = http.createServer((req, res) => {
    requests.push({ method: req.method!, path: req.url!, authorization: req.headers.authorization });
    req.resume();
    const json = (status: number, body: unknown): void => {
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    };
    if (req.headers.authorization !== `Bearer ${TOKEN}`) return json(401, { result: 'error', message: 'Unauthorized' });
    if (req.url === '/services/mqtt') return json(400, { result: 'error', message: 'Service not enabled' });
    if (req.url === '/core/api/') return json(200, { message: 'API running.' });
    if (req.url?.startsWith('/core/api/events/')) return json(200, { message: 'Event fired.' });
    return json(404, { result: 'error', message: 'not found' });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: () => new Promise((r) => server.close(() => r())),
  };
}

/**
 * Home Assistant's ingress as the add-on sees it: requests arrive from the Supervisor's address
 * with X-Ingress-Path and the signed-in user in X-Remote-User-*; a browser's own copies of those
 * headers are dropped; bodies (and server-sent events) stream through.
 */
async function startIngressProxy(target: string): Promise<{ url: string; close(): Promise<void> }> {
  const upstream = new URL(target);
  const server: Server = http.createServer((req: IncomingMessage, res) => {
    const headers: Record<string, string | string[]> = {};
    for (const [name, value] of Object.entries(req.headers)) {
      if (value === undefined || name.startsWith('x-remote-user-') || name === 'host') continue;
      headers[name] = value;
    }
    headers['x-ingress-path'] = INGRESS_PATH;
    headers['x-remote-user-id'] = USER.id;
    headers['x-remote-user-name'] = USER.name;
    headers['x-remote-user-display-name'] = USER.display;
    headers['x-forwarded-for'] = `${req.headers['x-forwarded-for'] ?? 'None'}, ${req.socket.remoteAddress}`;
    const out = http.request(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers, localAddress: '127.0.0.2', agent: false },
      (up) => {
        res.writeHead(up.statusCode!, up.headers);
        up.pipe(res);
      },
    );
    out.on('error', () => res.destroy());
    res.on('close', () => out.destroy());
    req.pipe(out);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

let dir: string;
let supervisor: Awaited<ReturnType<typeof startFakeSupervisor>>;
let server: ServerProcess;
let ingress: Awaited<ReturnType<typeof startIngressProxy>>;
let env: Record<string, string>;
const responses: CallResult[] = [];

async function recorded(p: Promise<CallResult>): Promise<CallResult> {
  const res = await p;
  responses.push(res);
  return res;
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'm3udl-addon-'));
  supervisor = await startFakeSupervisor();
  // The options the Supervisor writes: config.yaml's defaults, plus what the user filled in.
  const manifest = parse(await readFile(path.join(root, 'config.yaml'), 'utf8')) as { options: Record<string, unknown> };
  await writeFile(path.join(dir, 'options.json'), JSON.stringify({ ...manifest.options, api_key: API_KEY, log_level: 'debug' }));
  env = {
    SUPERVISOR_TOKEN: TOKEN,
    SUPERVISOR_URL: supervisor.url,
    TRUSTED_PROXIES: '127.0.0.2',
    OPTIONS_PATH: path.join(dir, 'options.json'),
    DATA_DIR: path.join(dir, 'data'),
    MEDIA_DIR: path.join(dir, 'media'),
    PORT: String(await freePort()),
  };
  server = await startServer(env);
  ingress = await startIngressProxy(server.baseUrl);
});

afterAll(async () => {
  await ingress?.close();
  if (server?.child.exitCode === null) {
    server.child.kill('SIGTERM');
    await server.exited;
  }
  await supervisor?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('the add-on under a (fake) Supervisor', () => {
  it('starts in add-on mode from options.json and talks to the Supervisor with its token', async () => {
    // The start-up line and the first Supervisor call prove it started; no fixed wait.
    const started = await waitFor(
      () =>
        supervisor.requests.length > 0
          ? server
              .output()
              .split('\n')
              .filter((l) => l.startsWith('{'))
              .map((l) => JSON.parse(l) as Record<string, unknown>)
              .find((l) => l.msg === 'm3u-downloader listening')
          : undefined,
      10_000,
      'the start-up line and a Supervisor request',
    );
    expect(started).toMatchObject({ mode: 'addon', options: env.OPTIONS_PATH, trustedProxies: ['127.0.0.2'], bootstrapKey: 'set' });
    expect(supervisor.requests.length).toBeGreaterThan(0);
    expect(supervisor.requests.every((r) => r.authorization === `Bearer ${TOKEN}`)).toBe(true);
  });

  it('serves the panel user through ingress: their identity, the API, and server-sent events', async () => {
    const me = await recorded(call(ingress.url, '/api/auth/me', { headers: { 'x-remote-user-id': 'spoofed-by-the-browser' } }));
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({
      mode: 'addon',
      authenticated: true,
      ingress_path: INGRESS_PATH,
      principal: { kind: 'ingress', id: USER.id, name: USER.name, display_name: USER.display, role: 'admin', via: 'ingress' },
    });
    const created = await recorded(call(ingress.url, '/api/downloads', { method: 'POST', json: { url: 'http://127.0.0.1:9/nothing.m3u8', title: 'through ingress' } }));
    expect(created.status).toBe(201);
    const list = await recorded(call(ingress.url, '/api/downloads'));
    expect(list.status).toBe(200);
    expect(list.body.items.map((j: { title: string }) => j.title)).toContain('through ingress');
    for (const p of ['/api/stats', '/api/users', '/api/keys', '/api/activity', '/api/health']) {
      expect((await recorded(call(ingress.url, p))).status, p).toBe(200);
    }
    const health = await recorded(call(ingress.url, '/api/health'));
    expect(health.body.checks).toMatchObject({ store: { status: 'ok' }, ffmpeg: { status: 'ok' }, disk: { status: 'ok' } });
    const events = await call(ingress.url, '/api/events');
    expect([events.status, events.headers['content-type']]).toEqual([200, 'text/event-stream']);
    const logs = await recorded(call(ingress.url, '/api/logs?level=info&limit=500'));
    expect(logs.body.items.map((l: { msg: string }) => l.msg)).toContain('m3u-downloader listening');
    expect(logs.body.items.every((l: { level: string }) => l.level !== 'debug')).toBe(true);
    const activity = await recorded(call(ingress.url, '/api/activity?action=download.created'));
    expect(activity.body.items[0]).toMatchObject({ actor: { kind: 'ingress', name: USER.name }, via: 'ingress', ip: '127.0.0.2', forwarded_for: '127.0.0.1' });
  });

  it('answers the same requests from another address without credentials with 401', async () => {
    const ingressHeaders = { 'x-ingress-path': INGRESS_PATH, 'x-remote-user-id': USER.id, 'x-remote-user-name': USER.name };
    for (const [method, p] of [
      ['GET', '/api/downloads'],
      ['POST', '/api/downloads'],
      ['GET', '/api/stats'],
      ['GET', '/api/users'],
      ['GET', '/api/keys'],
      ['GET', '/api/activity'],
      ['GET', '/api/logs'],
      ['GET', '/api/events'],
    ] as const) {
      const plain = await recorded(call(server.baseUrl, p, { method, localAddress: '127.0.0.1', ...(method === 'POST' ? { json: { url: 'http://x/a.m3u8' } } : {}) }));
      expect(plain.status, `${method} ${p}`).toBe(401);
      const spoofed = await recorded(call(server.baseUrl, p, { method, localAddress: '127.0.0.1', headers: ingressHeaders, ...(method === 'POST' ? { json: { url: 'http://x/a.m3u8' } } : {}) }));
      expect(spoofed.status, `${method} ${p} with ingress headers`).toBe(401);
    }
    const me = await recorded(call(server.baseUrl, '/api/auth/me', { localAddress: '127.0.0.1', headers: ingressHeaders }));
    expect(me.body).toMatchObject({ authenticated: false, setup_required: false });
    const health = await recorded(call(server.baseUrl, '/api/health', { localAddress: '127.0.0.1' }));
    expect(health.status).toBe(200);
    expect(Object.keys(health.body).sort()).toEqual(['status', 'version']);
  });

  it('takes the api_key option as an admin key on the direct port', async () => {
    const res = await recorded(call(server.baseUrl, '/api/users', { localAddress: '127.0.0.1', headers: { authorization: `Bearer ${API_KEY}` } }));
    expect(res.status).toBe(200);
  });

  it('logs JSON lines with levels, and never the token or the key', () => {
    const lines = server.output().split('\n').filter(Boolean);
    expect(lines.length).toBeGreaterThan(3);
    for (const line of lines) {
      const entry = JSON.parse(line) as { level: string; time: string };
      expect(['trace', 'debug', 'info', 'warn', 'error', 'fatal']).toContain(entry.level);
      expect(line).not.toContain(TOKEN);
      expect(line).not.toContain(API_KEY);
    }
    for (const res of responses) {
      expect(res.text).not.toContain(TOKEN);
      expect(res.text).not.toContain(API_KEY);
    }
  });

  it('after SIGTERM and a damaged db.json, starts again from the last good copy', async () => {
    server.child.kill('SIGTERM');
    expect((await server.exited).code).toBe(0);
    const dbFile = path.join(env.DATA_DIR!, 'db.json');
    await writeFile(dbFile, '{"version": 1, "jobs": [{"id": "tru');
    server = await startServer(env);
    const line = server
      .output()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { level: string; msg: string; restoredFrom?: string })
      .find((l) => l.level === 'error');
    expect(line?.msg).toMatch(/db\.json could not be read .* moved aside to db\.json\.corrupt-.* using the last good copy db\.json\.(last-good|bak)/);
    const list = await call(server.baseUrl, '/api/downloads', { localAddress: '127.0.0.1', headers: { authorization: `Bearer ${API_KEY}` } });
    expect(list.body.items.map((j: { title: string }) => j.title)).toContain('through ingress');
  });
});
