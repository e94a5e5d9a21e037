import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { progressOf } from '../../addon/jobs/job-service.js';
import type { Job } from '../../addon/jobs/model.js';
import { startMediaOrigin, MOVIE_BYTES, type MediaOrigin } from '../fakes/media-origin.js';
import { startMosquitto, type Mosquitto } from '../fakes/mosquitto.js';
import { mqttProbe, type MqttProbe } from '../fakes/mqtt-probe.js';
import { startFakeSupervisor } from '../fakes/supervisor.js';
import { makeTestApp, waitFor, type TestApp } from '../helpers/app.js';
import { captureLogger } from '../helpers/log-capture.js';

let broker: Mosquitto;
let origin: MediaOrigin;
const apps: TestApp[] = [];
const probes: MqttProbe[] = [];
let n = 0;

beforeAll(async () => {
  [broker, origin] = await Promise.all([startMosquitto(), startMediaOrigin()]);
});
afterEach(async () => {
  await Promise.all(probes.splice(0).map((p) => p.close()));
  await Promise.all(apps.splice(0).map((a) => a.dispose()));
});
afterAll(async () => {
  await broker?.close();
  await origin?.close();
});

const FAST = { mqttBackoff: { initialMs: 100, maxMs: 400 } };

async function startApp(env: Record<string, string> = {}, logger = captureLogger().logger): Promise<{ app: TestApp; base: string }> {
  const base = `m3u_t${process.pid}_${++n}`;
  const app = await makeTestApp({ MQTT_URL: broker.url, MQTT_BASE_TOPIC: base, REQUEST_TIMEOUT_S: '600', ...env }, { notify: FAST, logger });
  apps.push(app);
  return { app, base };
}

const connected = (app: TestApp): Promise<true> =>
  waitFor(() => (app.notifications.status().mqtt.state === 'connected' ? true : undefined), 10_000, 'mqtt connected');

async function probe(topics: string[], url = broker.url, options = {}): Promise<MqttProbe> {
  const p = await mqttProbe(url, topics, options);
  probes.push(p);
  return p;
}

const json = (payload: string): Record<string, unknown> => JSON.parse(payload) as Record<string, unknown>;

describe('MQTT against a real mosquitto broker', () => {
  it('publishes the notification events (recordings, destinations, disk, alerts) through its Notifier, not retained', async () => {
    const { app, base } = await startApp();
    await connected(app);
    const p = await probe([`${base}/#`]);
    const alert = { id: 'queue_long', rule: 'queue_long', severity: 'warning' as const, message: '120 downloads waiting', value: 120, threshold: 100, raised_at: '2026-12-06T10:00:00.000Z', resolved_at: null };
    app.bus.emit('alert.raised', alert);
    app.bus.emit('destination.status', { id: 'nas', name: 'NAS', kind: 'smb', status: 'offline', previous: 'online', message: 'connection refused', code: 'destination_unreachable', checked_at: '2026-12-06T10:00:00.000Z' });
    app.bus.emit('queue.held', { reason: 'disk_full', held: true, detail: '/media has 1 GB free', since: '2026-12-06T10:00:00.000Z' });
    const raised = await p.next(`${base}/alert/raised`);
    expect([raised.retain, raised.qos]).toEqual([false, 1]);
    expect(json(raised.payload)).toEqual({ event: 'alert.raised', ...alert });
    expect(json((await p.next(`${base}/destination/down`)).payload)).toMatchObject({ event: 'destination.down', id: 'nas', status: 'offline', message: 'connection refused' });
    expect(json((await p.next(`${base}/disk/full`)).payload)).toEqual({ event: 'disk.full', reason: 'disk_full', detail: '/media has 1 GB free', since: '2026-12-06T10:00:00.000Z' });
    await waitFor(() => (app.notifications.list().find((n) => n.id === 'mqtt')!.status().sent === 3 ? true : undefined), 5000, 'three counted');
  });

  it('announces the device (retained, QoS 1), availability and state', async () => {
    const { app, base } = await startApp();
    await connected(app);
    const p = await probe([`${base}/#`, `homeassistant/device/${base}/config`]);

    const online = await p.next(`${base}/availability`);
    expect([online.payload, online.retain, online.qos]).toEqual(['online', true, 1]);

    const config = await p.next(`homeassistant/device/${base}/config`);
    expect([config.retain, config.qos]).toEqual([true, 1]);
    const discovery = json(config.payload);
    expect(discovery).toMatchObject({ dev: { ids: [base] }, o: { name: 'm3u-downloader' }, availability_topic: `${base}/availability`, qos: 1 });
    const cmps = discovery.cmps as Record<string, Record<string, unknown>>;
    expect(Object.keys(cmps).sort()).toEqual([
      'active_downloads',
      'alert_destination_down',
      'alert_disk_low',
      'alert_failure_rate',
      'alert_job_stalled',
      'alert_queue_long',
      'download_url',
      'downloading',
      'free_space',
      'last_completed',
      'last_failed',
      'limit_speed',
      'pause_queue',
      'queue_length',
      'speed_limit',
      'sync_all',
      'total_speed',
    ]);
    expect(cmps.queue_length).toMatchObject({ p: 'sensor', unique_id: `${base}_queue_length`, default_entity_id: `sensor.${base}_queue_length`, state_topic: `${base}/state` });
    expect(cmps.download_url).toMatchObject({ p: 'text', command_topic: `${base}/download/add`, max: 255 });
    expect(config.payload).not.toContain('object_id');

    const state = await p.next(`${base}/state`);
    expect(state.retain).toBe(true);
    expect(json(state.payload)).toMatchObject({ queue_length: 0, active: 0, downloading: false, queue_paused: false, speed: 0 });
    expect(typeof json(state.payload).free_bytes).toBe('number');
  });

  it('download/add takes the REST JSON or a bare URL, answers on download/added, and reports completion', async () => {
    const { app, base } = await startApp();
    await connected(app);
    const p = await probe([`${base}/#`]);

    await p.publish(`${base}/download/add`, JSON.stringify({ url: origin.url('/movie.mp4'), title: 'Via MQTT', priority: 'high', request_id: 'r-1' }));
    const added = json((await p.next(`${base}/download/added`)).payload) as { ok: boolean; request_id: string; job: Job };
    expect(added).toMatchObject({ ok: true, request_id: 'r-1', job: { title: 'Via MQTT', priority: 'high', url: origin.url('/movie.mp4') } });

    const done = await p.next(`${base}/download/completed`);
    expect(done.retain).toBe(false);
    expect(json(done.payload)).toMatchObject({
      id: added.job.id,
      url: origin.url('/movie.mp4'),
      title: 'Via MQTT',
      filename: 'Via MQTT.mp4',
      path: `${app.config.media_dir}/Downloads/Via MQTT.mp4`, // the default destination's `other` template
      size: MOVIE_BYTES.length,
      error: null,
    });
    const last = await p.next(`${base}/last_completed`);
    expect([last.retain, json(last.payload).title]).toEqual([true, 'Via MQTT']);

    await p.publish(`${base}/download/add`, `  ${origin.url('/missing.mp4')}  `);
    const bare = json((await p.next(`${base}/download/added`, (m) => m.payload.includes('missing'))).payload) as { ok: boolean; job: Job };
    expect(bare.ok).toBe(true);
    const failed = json((await p.next(`${base}/last_failed`)).payload);
    expect(failed).toMatchObject({ id: bare.job.id, error: expect.stringMatching(/404/), filename: null, size: null });
    await p.next(`${base}/download/failed`);
  });

  it('answers bad payloads with an error on the answer topic and keeps running', async () => {
    const { app, base } = await startApp();
    await connected(app);
    const p = await probe([`${base}/download/added`]);
    const cases: [string | Buffer, RegExp, string?][] = [
      ['{"url": ', /invalid JSON/],
      ['ftp://example.com/a.ts', /^url: must be an http\(s\) URL/, 'url'],
      [JSON.stringify({ url: 'http://x.example/a.m3u8', bogus: 1 }), /unknown field\(s\): bogus/],
      [JSON.stringify({ url: 'http://x.example/a.m3u8', priority: 'urgent' }), /priority: must be one of/, 'priority'],
      ['', /empty payload/],
      ['[1, 2]', /expected a JSON object/],
      [Buffer.from([0xff, 0xfe, 0x00, 0x81, 0x7b]), /url: must be an http\(s\) URL/],
      [JSON.stringify({ url: 'http://x.example/a.m3u8', request_id: { no: 1 } }), /request_id/],
    ];
    for (const [payload, message, field] of cases) {
      p.clear();
      await p.client.publishAsync(`${base}/download/add`, payload, { qos: 1 });
      const answer = json((await p.next(`${base}/download/added`)).payload) as { ok: boolean; error: { code: string; message: string; field?: string } };
      expect(answer.ok, String(payload)).toBe(false);
      expect(answer.error.message).toMatch(message);
      if (field) expect(answer.error.field).toBe(field);
    }
    expect(app.jobs.list({ limit: 10, offset: 0 }).total).toBe(0);
    expect(app.notifications.status().mqtt.state).toBe('connected');
    expect((await request(app.koa.callback()).get('/api/downloads')).status).toBe(200);
  });

  it('pauses, resumes and cancels by id, syncs all sources, and switches the queue pause', async () => {
    const { app, base } = await startApp();
    await connected(app);
    const p = await probe([`${base}/download/result`, `${base}/sync/result`, `${base}/queue/result`, `${base}/state`]);
    const job = app.jobs.create({ url: origin.url('/hang.mp4'), title: 'Hanging' });
    await waitFor(() => (app.jobs.get(job.id).status === 'downloading' ? true : undefined));

    const ask = async (topic: string, payload: string, answerTopic = `${base}/download/result`): Promise<Record<string, unknown>> => {
      p.clear();
      await p.publish(topic, payload);
      return json((await p.next(answerTopic)).payload);
    };
    expect(await ask(`${base}/download/pause`, job.id)).toMatchObject({ ok: true, action: 'pause', job: { id: job.id, status: 'paused' } });
    expect(await ask(`${base}/download/resume`, JSON.stringify({ id: job.id, request_id: 7 }))).toMatchObject({ ok: true, action: 'resume', request_id: 7 });
    await waitFor(() => (app.jobs.get(job.id).status === 'downloading' ? true : undefined));
    expect(await ask(`${base}/download/pause`, 'no-such-id')).toMatchObject({ ok: false, action: 'pause', error: { code: 'not_found' } });
    expect(await ask(`${base}/download/cancel`, '{"id": 5}')).toMatchObject({ ok: false, error: { field: 'id' } });

    // The queue switch: running downloads go back to the queue, and come back on OFF.
    expect(await ask(`${base}/queue/pause/set`, 'ON', `${base}/queue/result`)).toEqual({ ok: true, paused: true });
    expect(app.jobs.get(job.id).status).toBe('pending');
    await p.next(`${base}/state`, (m) => json(m.payload).queue_paused === true);
    expect(await ask(`${base}/queue/pause/set`, 'sideways', `${base}/queue/result`)).toMatchObject({ ok: false, error: { message: 'expected ON or OFF' } });
    expect(await ask(`${base}/queue/pause/set`, 'OFF', `${base}/queue/result`)).toEqual({ ok: true, paused: false });
    await waitFor(() => (app.jobs.get(job.id).status === 'downloading' ? true : undefined));

    expect(await ask(`${base}/download/cancel`, JSON.stringify({ id: job.id }))).toMatchObject({ ok: true, action: 'cancel', job: { status: 'cancelled' } });
    // No sources set up: nothing to sync, and the answer says so.
    expect(await ask(`${base}/sync/run`, 'PRESS', `${base}/sync/result`)).toEqual({ ok: true, result: [] });
  });

  it('gives a running job a progress sensor, at most one message a second, removed when it ends', async () => {
    const { app, base } = await startApp();
    await connected(app);
    const p = await probe([`${base}/job/#`, `homeassistant/sensor/${base}/+/config`]);
    const job = app.jobs.create({ url: origin.url('/hang.mp4'), title: 'Progressing' });
    const short = job.id.replace(/-/g, '').slice(0, 8);
    const configTopic = `homeassistant/sensor/${base}/job_${short}/config`;
    const config = await p.next(configTopic);
    expect([config.retain, config.qos]).toEqual([true, 1]);
    expect(json(config.payload)).toMatchObject({
      name: `Download ${short}`,
      unique_id: `${base}_job_${short}`,
      default_entity_id: `sensor.${base}_job_${short}`,
      state_topic: `${base}/job/${job.id}`,
      unit_of_measurement: '%',
      device: { identifiers: [base] },
      availability_topic: `${base}/availability`,
    });

    // 40 progress events in 2 s: the topic gets about three. The figures go where the runner
    // puts them (the progress tracker); the stored job never changes for progress.
    for (let i = 1; i <= 40; i++) {
      app.progress.set(job.id, { progress: i });
      app.bus.emit('job.progress', progressOf(app.jobs.get(job.id)));
      await new Promise((r) => setTimeout(r, 50));
    }
    await waitFor(() => (p.on(`${base}/job/${job.id}`).some((m) => json(m.payload).progress === 40) ? true : undefined), 3000, 'trailing progress');
    const times = p.on(`${base}/job/${job.id}`).map((m) => m.at);
    expect(times.length).toBeGreaterThanOrEqual(2);
    expect(times.length).toBeLessThanOrEqual(5);
    // Arrival times at the subscriber jitter by the broker's and the event loop's delays (899 ms
    // was seen in a .ci/run), so this only shows the messages are not sent back to back; the exact
    // one-second spacing is KeyedThrottle's fake-timer test (tests/notify/discovery.test.ts).
    for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!).toBeGreaterThanOrEqual(500);

    await app.jobs.cancel(job.id);
    const removed = await p.next(configTopic, (m) => m.payload === '');
    expect(removed.retain).toBe(true);
    await p.next(`${base}/job/${job.id}`, (m) => json(m.payload).status === 'cancelled');
  });

  it('keeps a job sensor\'s short id across a restart, clears the UUID-named config of earlier versions, and both when the job is removed', async () => {
    const root = await mkdtemp(path.join(os.tmpdir(), 'm3udl-mqtt-restart-'));
    const dirs = { DATA_DIR: path.join(root, 'data'), MEDIA_DIR: path.join(root, 'media') };
    try {
      const { app: first, base } = await startApp(dirs);
      const p = await probe([`homeassistant/sensor/${base}/+/config`]);
      const job = first.jobs.create({ url: origin.url('/hang.mp4'), title: 'Survives a restart' });
      const short = job.id.replace(/-/g, '').slice(0, 8);
      const shortTopic = `homeassistant/sensor/${base}/job_${short}/config`;
      const before = json((await p.next(shortTopic, (m) => m.payload !== '')).payload);
      expect(before).toMatchObject({ name: `Download ${short}`, unique_id: `${base}_job_${short}` });
      await first.stop();
      apps.splice(apps.indexOf(first), 1);

      // What an earlier version left on the broker for this job: its config under the full UUID.
      const legacyTopic = `homeassistant/sensor/${base}/job_${job.id}/config`;
      await p.publish(legacyTopic, JSON.stringify({ name: 'Download Survives a restart', unique_id: `${base}_job_${job.id}` }), { retain: true });
      const restartedAt = Date.now();
      const second = await makeTestApp({ MQTT_URL: broker.url, MQTT_BASE_TOPIC: base, REQUEST_TIMEOUT_S: '600', ...dirs }, { notify: FAST });
      apps.push(second);
      const again = await p.next(shortTopic, (m) => m.at >= restartedAt && m.payload !== '');
      expect(json(again.payload)).toMatchObject({ name: before.name, unique_id: before.unique_id, default_entity_id: before.default_entity_id });
      expect((await p.next(legacyTopic, (m) => m.payload === '')).retain).toBe(true);

      await second.jobs.cancel(job.id);
      await p.next(shortTopic, (m) => m.payload === '');
      // Put the UUID-named config back (a broker restored from a backup): removing the job clears it.
      await p.publish(legacyTopic, JSON.stringify({ name: 'Download Survives a restart' }), { retain: true });
      await second.jobs.remove(job.id, { deleteFile: false });
      await p.next(legacyTopic, (m) => m.payload === '' && m.at >= restartedAt && p.on(legacyTopic).filter((x) => x.payload === '').length >= 2);
      // The broker keeps nothing for the job under either name.
      const check = await probe([`homeassistant/sensor/${base}/+/config`]);
      await new Promise<void>((resolve) => check.client.publish(`homeassistant/sensor/${base}/zz_marker/config`, 'x', { qos: 1 }, () => resolve()));
      await check.next(`homeassistant/sensor/${base}/zz_marker/config`);
      expect(check.messages.filter((m) => (m.topic === shortTopic || m.topic === legacyTopic) && m.payload !== '')).toEqual([]);
    } finally {
      await Promise.all(apps.splice(0).map((a) => a.dispose())); // before their data dir goes
      await rm(root, { recursive: true, force: true });
    }
  });

  it('answers a download command given the short id its sensor shows', async () => {
    const { app, base } = await startApp();
    await connected(app);
    const p = await probe([`${base}/download/result`]);
    const job = app.jobs.create({ url: origin.url('/hang.mp4'), title: 'Short id command' });
    await p.publish(`${base}/download/cancel`, job.id.replace(/-/g, '').slice(0, 8));
    expect(json((await p.next(`${base}/download/result`)).payload)).toMatchObject({ ok: true, action: 'cancel', job: { id: job.id, status: 'cancelled' } });
  });

  it('clears job sensors left behind by a crash', async () => {
    const base = `m3u_t${process.pid}_${++n}`;
    const p = await probe([`homeassistant/sensor/${base}/+/config`]);
    const stale = `homeassistant/sensor/${base}/job_0000-dead/config`;
    await p.publish(stale, JSON.stringify({ name: 'Download old', unique_id: `${base}_job_0000-dead` }), { retain: true });
    const app = await makeTestApp({ MQTT_URL: broker.url, MQTT_BASE_TOPIC: base }, { notify: FAST });
    apps.push(app);
    const cleared = await p.next(stale, (m) => m.payload === '');
    expect(cleared.retain).toBe(true);
  });

  it('with discovery off, announces nothing and removes an earlier announcement', async () => {
    const base = `m3u_t${process.pid}_${++n}`;
    const p = await probe([`homeassistant/device/${base}/config`, `homeassistant/sensor/${base}/+/config`, `${base}/state`]);
    await p.publish(`homeassistant/device/${base}/config`, '{"dev": {}}', { retain: true });
    const app = await makeTestApp({ MQTT_URL: broker.url, MQTT_BASE_TOPIC: base, MQTT_DISCOVERY: 'false', REQUEST_TIMEOUT_S: '600' }, { notify: FAST });
    apps.push(app);
    const removed = await p.next(`homeassistant/device/${base}/config`, (m) => m.payload === '');
    expect(removed.retain).toBe(true);
    app.jobs.create({ url: origin.url('/hang.mp4') });
    await p.next(`${base}/state`, (m) => json(m.payload).active === 1);
    expect(p.messages.filter((m) => m.topic.startsWith('homeassistant/sensor/'))).toHaveLength(0);
  });

  it('ignores a retained command (it would run again on every reconnect)', async () => {
    const base = `m3u_t${process.pid}_${++n}`;
    const p = await probe([`${base}/download/added`]);
    await p.publish(`${base}/download/add`, 'http://x.example/retained.m3u8', { retain: true });
    const app = await makeTestApp({ MQTT_URL: broker.url, MQTT_BASE_TOPIC: base }, { notify: FAST });
    apps.push(app);
    expect(json((await p.next(`${base}/download/added`)).payload)).toMatchObject({ ok: false, error: { code: 'retained_command' } });
    expect(app.jobs.list({ limit: 10, offset: 0 }).total).toBe(0);
    await p.publish(`${base}/download/add`, '', { retain: true }); // clears it from the broker
  });

  it('republishes when Home Assistant comes online', async () => {
    const { app, base } = await startApp();
    await connected(app);
    const p = await probe([`homeassistant/device/${base}/config`, `${base}/state`]);
    await p.next(`homeassistant/device/${base}/config`);
    p.clear();
    await p.publish('homeassistant/status', 'online');
    const again = await p.next(`homeassistant/device/${base}/config`);
    expect(again.retain).toBe(true);
    await p.next(`${base}/state`);
  });

  it('survives the broker going away: reconnects with backoff and republishes; the last will says offline', async () => {
    const { app, base } = await startApp();
    await connected(app);

    await broker.stop();
    await waitFor(() => (app.notifications.status().mqtt.state === 'reconnecting' ? true : undefined), 5000, 'reconnecting');
    await waitFor(() => (app.notifications.status().mqtt.attempts >= 2 ? true : undefined), 5000, 'a second attempt');
    expect(app.notifications.status().mqtt.reason).toMatch(/connection refused|connection lost/);
    // Everything else keeps working.
    const res = await request(app.koa.callback()).post('/api/downloads').send({ url: origin.url('/movie.mp4'), title: 'While offline' });
    expect(res.status).toBe(201);
    const health = await app.health.run();
    expect(health.checks.mqtt).toMatchObject({ status: 'degraded', state: 'reconnecting' });

    await broker.start(); // no persistence: whatever is retained now was republished
    await connected(app);
    const p = await probe([`${base}/#`, `homeassistant/device/${base}/config`]);
    expect((await p.next(`homeassistant/device/${base}/config`)).retain).toBe(true);
    expect((await p.next(`${base}/availability`)).payload).toBe('online');
    expect(json((await p.next(`${base}/last_completed`)).payload).title).toBe('While offline');

    // Cut the app's socket without a DISCONNECT: the broker publishes the will.
    p.clear();
    const conn = (app.notifications as unknown as { parts: { mqtt: { service: { connection: { client: { stream: { destroy(): void } } } } } } }).parts.mqtt.service.connection;
    conn.client.stream.destroy();
    const will = await p.next(`${base}/availability`, (m) => m.payload === 'offline');
    expect([will.retain, will.qos]).toEqual([true, 1]);
    await p.next(`${base}/availability`, (m) => m.payload === 'online' && m.at >= will.at);
    expect((await app.health.run()).checks.mqtt).toMatchObject({ status: 'ok', state: 'connected' });
  });

  it('publishes a retained offline on a clean stop', async () => {
    const { app, base } = await startApp();
    await connected(app);
    const p = await probe([`${base}/availability`]);
    await p.next(`${base}/availability`, (m) => m.payload === 'online');
    apps.splice(apps.indexOf(app), 1);
    await app.dispose();
    const off = await p.next(`${base}/availability`, (m) => m.payload === 'offline');
    expect(off.retain).toBe(true);
  });

  it('without a broker, MQTT is off and says why', async () => {
    const app = await makeTestApp({});
    apps.push(app);
    const status = app.notifications.status().mqtt;
    expect(status).toMatchObject({ enabled: false, state: 'disabled', reason: expect.stringMatching(/no broker configured/) });
    expect((await app.health.run()).checks.mqtt).toMatchObject({ status: 'ok', state: 'disabled' });
  });
});

describe('MQTT credentials and Supervisor discovery', () => {
  let secured: Mosquitto;
  const PASSWORD = 'mqtt-Pa55-word-xyz';
  beforeAll(async () => {
    secured = await startMosquitto({ users: { addons: PASSWORD } });
  });
  afterAll(() => secured?.close());

  it('connects with the right credentials and says why with the wrong ones; the password shows nowhere', async () => {
    const capture = captureLogger();
    const wrong = await startApp({ MQTT_URL: '', MQTT_HOST: '127.0.0.1', MQTT_PORT: String(secured.port), MQTT_USERNAME: 'addons', MQTT_PASSWORD: `${PASSWORD}-wrong` }, capture.logger);
    await waitFor(() => (wrong.app.notifications.status().mqtt.reason?.includes('refused the credentials') ? true : undefined), 5000, 'refused');
    const status = await request(wrong.app.koa.callback()).get('/api/notifications/status');
    expect(status.body.mqtt).toMatchObject({ state: 'reconnecting', broker: `mqtt://127.0.0.1:${secured.port}`, source: 'config' });
    expect(JSON.stringify(status.body)).not.toContain(PASSWORD);

    const right = await startApp({ MQTT_URL: `mqtt://addons:${encodeURIComponent(PASSWORD)}@127.0.0.1:${secured.port}` }, capture.logger);
    await connected(right.app);
    const s = await request(right.app.koa.callback()).get('/api/notifications/status');
    expect(s.body.mqtt.broker).toBe(`mqtt://127.0.0.1:${secured.port}`);
    expect(JSON.stringify(s.body)).not.toContain(PASSWORD);
    expect(capture.text()).toContain('mqtt connected');
    expect(capture.text()).not.toContain(PASSWORD);
  });

  it('asks the Supervisor for the broker when none is configured', async () => {
    const supervisor = await startFakeSupervisor({ mqtt: { host: '127.0.0.1', port: secured.port, ssl: false, username: 'addons', password: PASSWORD, protocol: '3.1.1' } });
    try {
      const capture = captureLogger();
      const { app } = await startApp({ MQTT_URL: '', SUPERVISOR_URL: supervisor.url, SUPERVISOR_TOKEN: supervisor.token }, capture.logger);
      await connected(app);
      expect(app.notifications.status().mqtt).toMatchObject({ source: 'supervisor', broker: `mqtt://127.0.0.1:${secured.port}` });
      expect(supervisor.requests[0]).toMatchObject({ method: 'GET', path: '/services/mqtt', authorization: `Bearer ${supervisor.token}` });
      const body = JSON.stringify((await request(app.koa.callback()).get('/api/notifications/status')).body);
      expect(body).not.toContain(PASSWORD);
      expect(body).not.toContain(supervisor.token);
      expect(capture.text()).not.toContain(PASSWORD);
      expect(capture.text()).not.toContain(supervisor.token);

      supervisor.mqtt = null; // no Mosquitto app installed
      const { app: without } = await startApp({ MQTT_URL: '', SUPERVISOR_URL: supervisor.url, SUPERVISOR_TOKEN: supervisor.token });
      await waitFor(() => (without.notifications.status().mqtt.state === 'disabled' ? true : undefined), 5000, 'disabled');
      expect(without.notifications.status().mqtt.reason).toMatch(/Supervisor has no MQTT service/);
    } finally {
      await supervisor.close();
    }
  });
});
