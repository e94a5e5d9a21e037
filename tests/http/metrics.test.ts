import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JOB_STATUSES, type Job } from '../../addon/jobs/model.js';
import { ALERT_RULES } from '../../addon/metrics/alert-rules.js';
import { ensureFixtures } from '../fixtures/media.js';
import { startHlsOrigin, type HlsOrigin } from '../fakes/hls-origin.js';
import { makeTestApp, waitFor, type TestApp } from '../helpers/app.js';

const KEY = 'metrics-test-admin-key';
const TOKEN = 'scrape-token-0123456789';
const TITLE = 'A Very Private Title';

let origin: HlsOrigin;
let app: TestApp;
let server: ReturnType<TestApp['koa']['callback']>;
const auth = { Authorization: `Bearer ${KEY}` };

/** Prometheus text -> samples, with their labels parsed. */
function samples(text: string): Array<{ name: string; labels: Record<string, string>; value: number }> {
  const out = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!;
    out.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return out;
}

function value(all: ReturnType<typeof samples>, name: string, labels: Record<string, string> = {}): number | undefined {
  return all.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
}

async function scrape(): Promise<ReturnType<typeof samples>> {
  const res = await request(server).get('/metrics').set('Authorization', `Bearer ${TOKEN}`).expect(200);
  expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
  return samples(res.text);
}

/** Queues a download and waits for its final status event (the one the metrics count). */
async function download(url: string): Promise<Job> {
  let finished: Job | undefined;
  let id = '';
  const off = app.bus.on('job.status', ({ job }) => {
    if (job.id === id && (job.status === 'completed' || job.status === 'failed')) finished = job;
  });
  try {
    const res = await request(server).post('/api/downloads').set(auth).send({ url, title: TITLE }).expect(201);
    id = res.body.id as string;
    return await waitFor(() => finished, 60_000, `download ${url}`);
  } finally {
    off();
  }
}

beforeAll(async () => {
  await ensureFixtures();
  origin = await startHlsOrigin();
  app = await makeTestApp({ API_KEY: KEY, METRICS_ENABLED: 'true', METRICS_TOKEN: TOKEN, MAX_CONCURRENT_DOWNLOADS: '1' });
  server = app.koa.callback();
  // One clean download, one that needs three retries (a 503, a reset, a short body), one that fails on a 404.
  expect((await download(origin.url('plain/index.m3u8'))).status).toBe('completed');
  expect((await download(origin.url('flaky/index.m3u8'))).status).toBe('completed');
  expect((await download(origin.url('missing/index.m3u8'))).status).toBe('failed');
  await waitFor(() => (app.jobs.stats().active === 0 ? true : undefined), 10_000, 'the download slots to be free');
}, 180_000);
afterAll(async () => {
  await app?.dispose();
  await origin?.close();
});

describe('GET /metrics (Prometheus)', () => {
  it('counts the scripted downloads, their retries by class, durations and finish latency', async () => {
    const all = await scrape();
    expect(value(all, 'm3u_downloader_downloads_total', { kind: 'hls', result: 'completed', source: 'none' })).toBe(2);
    expect(value(all, 'm3u_downloader_downloads_total', { kind: 'hls', result: 'failed', source: 'none' })).toBe(1);
    expect(value(all, 'm3u_downloader_segment_retries_total', { error_class: 'server' })).toBe(1);
    expect(value(all, 'm3u_downloader_segment_retries_total', { error_class: 'network' })).toBe(2);
    expect(value(all, 'm3u_downloader_download_duration_seconds_count', { kind: 'hls' })).toBe(2);
    expect(value(all, 'm3u_downloader_finish_latency_seconds_count', { kind: 'hls' })).toBe(2);
    expect(value(all, 'm3u_downloader_finish_latency_seconds_bucket', { kind: 'hls', le: '+Inf' })).toBe(2);
    expect(value(all, 'm3u_downloader_jobs', { status: 'completed' })).toBe(2);
    expect(value(all, 'm3u_downloader_jobs', { status: 'failed' })).toBe(1);
    expect(value(all, 'm3u_downloader_queue_length')).toBe(0);
    expect(value(all, 'm3u_downloader_active_downloads')).toBe(0);
    expect(value(all, 'm3u_downloader_destination_up', { destination: 'default', kind: 'local' })).toBeDefined();
    const bytes = value(all, 'm3u_downloader_download_bytes_total')!;
    const fetched = app.jobs.list({ limit: 10, offset: 0 }).items.reduce((sum, j) => sum + j.bytes_done, 0);
    expect(bytes).toBeGreaterThan(0);
    expect(bytes).toBeLessThanOrEqual(fetched);
    expect(value(all, 'm3u_downloader_process_cpu_user_seconds_total')).toBeGreaterThan(0);
  });

  it('times API requests by route pattern, never by path, and counts 429s as rate-limit hits', async () => {
    const id = app.jobs.list({ limit: 1, offset: 0 }).items[0]!.id;
    for (let i = 0; i < 3; i++) await request(server).get(`/api/downloads/${id}`).set(auth).expect(200);
    // Five failed sign-ins for one user name, then the limiter answers 429.
    for (let i = 0; i < 7; i++) await request(server).post('/api/auth/login').send({ username: 'nobody', password: 'wrong' });
    const all = await scrape();
    expect(value(all, 'm3u_downloader_http_request_duration_seconds_count', { method: 'GET', route: '/api/downloads/:id', status: '200' })).toBe(3);
    expect(value(all, 'm3u_downloader_rate_limit_hits_total', { route: '/api/auth/login' })).toBeGreaterThanOrEqual(1);
    expect(all.some((s) => s.labels.route?.includes(id))).toBe(false);
  });

  it('keeps every label value in a fixed set: no URL, title or secret', async () => {
    const text = (await request(server).get('/metrics').set(auth).expect(200)).text;
    for (const secret of [KEY, TOKEN, TITLE, origin.baseUrl, '127.0.0.1']) expect(text).not.toContain(secret);
    const routes = new Set([...app.koa.routeTable.map((r) => r.path), 'unmatched', 'panel']);
    const allowed: Record<string, (v: string) => boolean> = {
      status: (v) => (JOB_STATUSES as readonly string[]).includes(v) || /^[1-5]\d\d$/.test(v),
      // job kinds, destination kinds, and V8's garbage collection kinds (nodejs_gc_duration_seconds)
      kind: (v) => ['hls', 'direct', 'dash', 'recording', 'unknown', 'local', 'smb', 'sftp', 'rsync', 'minor', 'major', 'incremental', 'weakcb'].includes(v),
      result: (v) => ['completed', 'failed'].includes(v),
      source: (v) => v === 'none',
      destination: (v) => v === 'default',
      destination_kind: (v) => ['local', 'smb', 'sftp', 'rsync'].includes(v),
      error_class: (v) => ['network', 'server'].includes(v),
      method: (v) => ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'].includes(v),
      route: (v) => routes.has(v),
      notifier: (v) => ['homeassistant', 'telegram', 'mqtt'].includes(v),
      rule: (v) => (ALERT_RULES as readonly string[]).includes(v),
      le: (v) => v === '+Inf' || Number.isFinite(Number(v)),
      quantile: (v) => Number.isFinite(Number(v)),
      // prom-client's process and Node.js metrics
      version: (v) => /^v\d+\.\d+\.\d+$/.test(v),
      major: (v) => /^\d+$/.test(v),
      minor: (v) => /^\d+$/.test(v),
      patch: (v) => /^\d+$/.test(v),
      space: (v) => /^[a-z_]+$/.test(v),
      type: (v) => /^[A-Za-z_]+$/.test(v),
    };
    for (const s of samples(text)) {
      for (const [label, v] of Object.entries(s.labels)) {
        const check = allowed[label];
        expect(check, `unexpected label ${label} on ${s.name}`).toBeDefined();
        expect(check!(v), `${s.name}{${label}="${v}"}`).toBe(true);
      }
    }
  });

  it('needs an API key (viewer) or the metrics token; the token opens nothing else', async () => {
    await request(server).get('/metrics').expect(401);
    await request(server).get('/metrics').set('Authorization', 'Bearer wrong-token-wrong-token').expect(401);
    await request(server).get('/api/downloads').set('Authorization', `Bearer ${TOKEN}`).expect(401);
  });

  it('answers 404 with a JSON reason when metrics are off', async () => {
    const off = await makeTestApp({ API_KEY: KEY });
    try {
      const res = await request(off.koa.callback()).get('/metrics').set(auth).expect(404);
      expect(res.body.error).toMatchObject({ code: 'metrics_disabled' });
    } finally {
      await off.dispose();
    }
  });
});

describe('statistics views', () => {
  it('history, downloads, destinations and users agree with what happened', async () => {
    const history = (await request(server).get('/api/stats/history?range=24h').set(auth).expect(200)).body;
    expect(history.bucket).toBe('hour');
    expect(history.points).toHaveLength(24);
    expect(history.totals).toMatchObject({ completed: 2, failed: 1 });
    expect(history.failures).toHaveLength(1);
    const downloads = (await request(server).get('/api/stats/downloads?range=7d').set(auth).expect(200)).body;
    expect(downloads).toMatchObject({ completed: 2, failed: 1, queue_length: 0 });
    expect(downloads.success_rate).toBeCloseTo(2 / 3);
    expect(downloads.by_kind.hls).toMatchObject({ completed: 2, failed: 1 });
    const destinations = (await request(server).get('/api/stats/destinations').set(auth).expect(200)).body;
    expect(destinations.items).toEqual([expect.objectContaining({ id: 'default', kind: 'local', completed: 2, failed: 0 })]);
    const users = (await request(server).get('/api/stats/users').set(auth).expect(200)).body;
    expect(users.items).toEqual([expect.objectContaining({ created: 3, completed: 2, failed: 1 })]);
    const bad = await request(server).get('/api/stats/history?range=1y').set(auth).expect(400);
    expect(bad.body.error).toMatchObject({ code: 'invalid_request', field: 'range' });
  });

  it('the history survives a restart (its own file beside db.json)', async () => {
    await app.observability.statistics.stop();
    const again = await makeTestApp({ DATA_DIR: app.config.data_dir, MEDIA_DIR: app.config.media_dir, API_KEY: KEY });
    try {
      const res = await request(again.koa.callback()).get('/api/stats/history?range=24h').set(auth).expect(200);
      expect(res.body.totals).toMatchObject({ completed: 2, failed: 1 });
    } finally {
      await again.dispose();
    }
    app.observability.statistics.start();
  });
});
