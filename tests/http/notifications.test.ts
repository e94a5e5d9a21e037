import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeSupervisor, type FakeSupervisor } from '../fakes/supervisor.js';
import { startFakeTelegram, type FakeTelegram } from '../fakes/telegram.js';
import { hangingHttp } from '../helpers/hanging-http.js';
import { makeTestApp, waitFor, type TestApp } from '../helpers/app.js';
import { captureLogger } from '../helpers/log-capture.js';

const SECRETS = {
  API_KEY: 'route-test-api-key-42',
  MQTT_PASSWORD: 'MqttRoutePass77',
  TELEGRAM_BOT_TOKEN: '42:routeTestTokenABCDEFGHIJKLMNOP',
};

let supervisor: FakeSupervisor;
let telegram: FakeTelegram;
let app: TestApp;
const capture = captureLogger();
const auth = { authorization: `Bearer ${SECRETS.API_KEY}` };

beforeAll(async () => {
  [supervisor, telegram] = await Promise.all([startFakeSupervisor(), startFakeTelegram()]);
  app = await makeTestApp(
    {
      ...SECRETS,
      MQTT_HOST: '127.0.0.1',
      MQTT_PORT: '1', // nothing listens: refused
      MQTT_USERNAME: 'addons',
      SUPERVISOR_URL: supervisor.url,
      SUPERVISOR_TOKEN: supervisor.token,
      TELEGRAM_CHAT_IDS: '555',
      TELEGRAM_API_URL: telegram.url,
      MAX_CONCURRENT_DOWNLOADS: '1',
    },
    { logger: capture.logger, http: hangingHttp(), notify: { mqttBackoff: { initialMs: 100, maxMs: 200 }, telegramChatIntervalMs: 0 } },
  );
});
afterAll(async () => {
  await app?.dispose();
  await supervisor?.close();
  await telegram?.close();
});

const expectNoSecrets = (text: string): void => {
  for (const secret of [...Object.values(SECRETS), supervisor.token]) expect(text).not.toContain(secret);
};

describe('notification and queue routes', () => {
  it('GET /api/notifications/status says what is on and why MQTT is not connected, without secrets', async () => {
    await waitFor(() => (app.notifications.status().mqtt.attempts > 0 ? true : undefined), 5000, 'an attempt');
    const res = await request(app.koa.callback()).get('/api/notifications/status').set(auth);
    expect(res.status).toBe(200);
    expect(res.body.mqtt).toMatchObject({ enabled: true, state: expect.stringMatching(/connecting|reconnecting/), broker: 'mqtt://127.0.0.1:1', source: 'config', base_topic: 'm3u_downloader' });
    expect(res.body.mqtt.reason).toMatch(/connection refused by mqtt:\/\/127\.0\.0\.1:1|connecting/);
    expect(res.body.homeassistant).toMatchObject({ enabled: true, events: true, notify_service: null });
    expect(res.body.telegram).toMatchObject({ enabled: true, chats: 1, commands: false, polling: 'off' });
    expectNoSecrets(JSON.stringify(res.body));
    expect((await request(app.koa.callback()).get('/api/notifications/status')).status).toBe(401);
  });

  it('POST /api/notifications/test sends through each target and reports', async () => {
    const res = await request(app.koa.callback()).post('/api/notifications/test').set(auth).send({});
    expect(res.status).toBe(200);
    expect(res.body.results.mqtt).toMatchObject({ ok: false, error: expect.any(String) });
    expect(res.body.results.telegram).toMatchObject({ ok: true, chats: [{ chat_id: '555', ok: true }] });
    expect(res.body.results.homeassistant).toMatchObject({ ok: true, event: 'm3u_downloader_test' });
    expect(telegram.sent()[0]!.body).toMatchObject({ chat_id: '555', text: '🔔 Test message from <b>m3u-downloader</b>', parse_mode: 'HTML' });
    expect(supervisor.requests.filter((r) => r.path === '/core/api/events/m3u_downloader_test')).toHaveLength(1);
    expectNoSecrets(JSON.stringify(res.body));

    const bad = await request(app.koa.callback()).post('/api/notifications/test').set(auth).send({ target: 'pigeon' });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatchObject({ code: 'invalid_request', field: 'target' });
  });

  it('pauses and resumes the queue: running downloads go back to pending and restart', async () => {
    const server = app.koa.callback();
    const job = (await request(server).post('/api/downloads').set(auth).send({ url: 'http://x.example/a.m3u8' })).body as { id: string };
    await waitFor(() => (app.jobs.get(job.id).status === 'downloading' ? true : undefined));
    expect((await request(server).get('/api/queue').set(auth)).body).toEqual({ paused: false });

    expect((await request(server).post('/api/queue/pause').set(auth)).body).toEqual({ paused: true });
    expect(app.jobs.get(job.id).status).toBe('pending');
    expect(app.store.data.queue.paused).toBe(true);
    const stats = await request(server).get('/api/stats').set(auth);
    expect(stats.body).toMatchObject({ queue_paused: true, queue_length: 1, speed: 0 });
    // A single resume does not bypass the paused queue.
    await request(server).post(`/api/downloads/${job.id}/pause`).set(auth);
    await request(server).post(`/api/downloads/${job.id}/resume`).set(auth);
    // The scheduler decides synchronously (kick); one more pass proves it would not start the job.
    app.jobs.kick();
    expect(app.jobs.stats().active).toBe(0); // a launch registers the job as active at once
    expect(app.jobs.get(job.id).status).toBe('pending');

    expect((await request(server).post('/api/queue/resume').set(auth)).body).toEqual({ paused: false });
    await waitFor(() => (app.jobs.get(job.id).status === 'downloading' ? true : undefined));
  });

  it('reports MQTT in /api/health (details for signed-in callers only)', async () => {
    const anonymous = await request(app.koa.callback()).get('/api/health');
    expect(Object.keys(anonymous.body).sort()).toEqual(['status', 'version']);
    const full = await request(app.koa.callback()).get('/api/health').set(auth);
    expect(full.body.checks.mqtt).toMatchObject({ status: 'degraded', message: expect.any(String) });
    expectNoSecrets(JSON.stringify(full.body));
    expectNoSecrets(capture.text());
  });
});
