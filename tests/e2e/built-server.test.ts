import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMosquitto, type Mosquitto } from '../fakes/mosquitto.js';
import { waitFor } from '../helpers/app.js';
import { BUILT_MAIN, startServer, type ServerProcess } from '../helpers/server-process.js';

/**
 * The server as users run it: dist/addon/main.js is one bundle of the compiled server
 * (scripts/bundle-server.mjs, run by `npm run build` and `npm test`). What a bundle can break
 * and unit tests of the sources cannot see: files found next to the code (package.json for the
 * version, the panel), modules loaded on first use (prom-client in its own chunk, mqtt from
 * node_modules), and the ffmpeg probe that now runs while the modules load.
 */
const root = path.resolve(import.meta.dirname, '../..');
const API_KEY = 'built-server-key-3c9d1e';
const METRICS_TOKEN = 'built-server-metrics-8a7f2b';

let broker: Mosquitto;
let server: ServerProcess;
let dir: string;

beforeAll(async () => {
  broker = await startMosquitto();
  dir = await mkdtemp(path.join(os.tmpdir(), 'built-server-'));
  server = await startServer({
    DATA_DIR: path.join(dir, 'data'),
    MEDIA_DIR: path.join(dir, 'media'),
    TMP_DIR: path.join(dir, 'tmp'),
    API_KEY,
    METRICS_ENABLED: 'true',
    METRICS_TOKEN,
    MQTT_URL: broker.url,
  });
});

afterAll(async () => {
  server?.child.kill('SIGTERM');
  await server?.exited;
  await broker?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const auth = { authorization: `Bearer ${API_KEY}` };

describe('the built server', () => {
  it('is the bundle, not the compiled modules one by one', () => {
    expect(readFileSync(BUILT_MAIN, 'utf8').split('\n', 1)[0]).toMatch(/server bundle \(scripts\/bundle-server\.mjs\)/);
  });

  it('answers /api/health with the version from package.json and a probed ffmpeg', async () => {
    const version = (JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string }).version;
    const res = await fetch(`${server.baseUrl}/api/health`, { headers: auth });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { version: string; ffmpeg: { version: string | null; source: string }; checks: Record<string, { status: string }> };
    expect(body.version).toBe(version);
    expect(body.ffmpeg.version).toMatch(/\d/);
    expect(body.checks.ffmpeg?.status).toBe('ok');
    expect(body.checks.store?.status).toBe('ok');
  });

  it('connects to the MQTT broker with mqtt loaded on first use', async () => {
    const state = await waitFor(async () => {
      const body = (await (await fetch(`${server.baseUrl}/api/health`, { headers: auth })).json()) as { checks: { mqtt?: { state: string } } };
      return body.checks.mqtt?.state === 'connected' ? body.checks.mqtt.state : undefined;
    }, 20_000, 'the MQTT check to say connected');
    expect(state).toBe('connected');
  });

  it('serves /metrics from prom-client, loaded only because metrics are enabled', async () => {
    const res = await fetch(`${server.baseUrl}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await res.text();
    expect(text).toMatch(/^# HELP /m);
    expect(text).toMatch(/^m3u_downloader_process_cpu_seconds_total /m);
  });

  it('serves the panel from dist/panel', async () => {
    expect(existsSync(path.join(root, 'dist/panel/index.html')), 'the panel is built by npm test (npm run build:ui)').toBe(true);
    const res = await fetch(`${server.baseUrl}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/html/);
    expect(await res.text()).toMatch(/<html/i);
  });
});
