import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { mediaOfSize } from '../fixtures/tiny-mp4.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Job } from '../../addon/jobs/model.js';
import { makeTestApp, waitFor, type TestApp } from '../helpers/app.js';

let app: TestApp;
let server: ReturnType<TestApp['koa']['callback']>;
const keys = { viewer: '', operator: '', admin: '' };
const as = (role: keyof typeof keys) => ({ Authorization: `Bearer ${keys[role]}` });

beforeAll(async () => {
  app = await makeTestApp({ DOWNLOAD_SPEED_LIMIT_KBPS: '4096' });
  server = app.koa.callback();
  for (const role of ['viewer', 'operator', 'admin'] as const) keys[role] = (await app.auth.createKey({ name: role, role }, 'test')).key;
});
afterAll(() => app?.dispose());

describe('/api/speed-limit', () => {
  it('starts from the download_speed_limit_kbps option', async () => {
    const res = await request(server).get('/api/speed-limit').set(as('viewer')).expect(200);
    expect(res.body).toMatchObject({ enabled: true, limit_kbps: 4096, schedule: [], state: { mode: 'limited', limit_bps: 4096 * 1024, source: { kind: 'manual' } } });
  });

  it('the switch and the number (operator) apply at once and go out as an event', async () => {
    const events: unknown[] = [];
    const off = app.bus.on('speed.changed', (e) => void events.push(e));
    try {
      await request(server).patch('/api/speed-limit').set(as('viewer')).send({ enabled: false }).expect(403);
      const res = await request(server).patch('/api/speed-limit').set(as('operator')).send({ enabled: false }).expect(200);
      expect(res.body.state).toMatchObject({ mode: 'unlimited', limit_bps: null });
      expect(events).toEqual([expect.objectContaining({ mode: 'unlimited', enabled: false, limit_kbps: 4096 })]);
      const bad = await request(server).patch('/api/speed-limit').set(as('operator')).send({ limit_kbps: 2 }).expect(400);
      expect(bad.body.error.field).toBe('limit_kbps');
    } finally {
      off();
    }
  });

  it('the weekly schedule (admin) is validated, described and kept across a restart', async () => {
    const schedule = [
      { name: 'Evening', days: [1, 2, 3, 4, 5], start: '18:00', end: '23:00', action: 'limit', limit_kbps: 2048 },
      { name: 'Saturday', days: [6], action: 'pause' },
    ];
    await request(server).put('/api/speed-limit').set(as('operator')).send({ enabled: true, limit_kbps: 1000, schedule }).expect(403);
    const bad = await request(server).put('/api/speed-limit').set(as('admin')).send({ enabled: true, limit_kbps: 1000, schedule: [{ ...schedule[0], start: '7pm' }] }).expect(400);
    expect(bad.body.error).toMatchObject({ code: 'invalid_request' });
    expect(bad.body.error.message).toMatch(/must be a time like 18:00/);
    const res = await request(server).put('/api/speed-limit').set(as('admin')).send({ enabled: true, limit_kbps: 1000, schedule }).expect(200);
    expect(res.body.schedule.map((r: { summary: string }) => r.summary)).toEqual(['Mon-Fri 18:00-23:00: limit 2 MB/s', 'Sat: pause the queue']);
    await app.store.flush();
    const again = await makeTestApp({ DATA_DIR: app.config.data_dir, MEDIA_DIR: app.config.media_dir });
    try {
      expect(again.speed.current().settings).toMatchObject({ enabled: true, limit_kbps: 1000, schedule: [{ name: 'Evening' }, { name: 'Saturday', start: '00:00', end: '24:00' }] });
    } finally {
      await again.dispose();
    }
  });
});

describe('the limit paces real downloads', () => {
  let origin: Server;
  let url: string;
  const BODY = mediaOfSize(2 * 1024 * 1024); // real media: kept as it is, checked by ffmpeg

  beforeAll(async () => {
    origin = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'video/mp4', 'content-length': BODY.length });
      res.end(BODY);
    });
    await new Promise<void>((r) => origin.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(origin.address() as AddressInfo).port}/film.mp4`;
  });
  afterAll(() => new Promise<void>((r) => origin.close(() => r())));

  it('a 2 MiB file at 1 MiB/s takes about two seconds, never less', async () => {
    await app.speed.update({ enabled: true, limit_kbps: 1024, schedule: [] });
    const start = performance.now();
    const job = app.jobs.create({ url, title: 'paced' });
    const done = await waitFor(() => {
      const j: Job = app.jobs.get(job.id);
      return j.status === 'completed' || j.status === 'failed' ? j : undefined;
    }, 30_000, 'the paced download');
    const seconds = (performance.now() - start) / 1000;
    expect(done.status).toBe('completed');
    expect(seconds).toBeGreaterThanOrEqual(1.9);
    await app.speed.update({ enabled: false, limit_kbps: 1024, schedule: [] });
  });
});
