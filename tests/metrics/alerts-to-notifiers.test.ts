/**
 * An alert reaches the user's channels: a rule that begins to hold sends one message, and one
 * "resolved" when it ends (the monitor's events through the notifier dispatcher to a webhook).
 */
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeWebhook, type FakeReceiver } from '../fakes/notify-receivers.js';
import { makeTestApp, waitFor, type TestApp } from '../helpers/app.js';
import { hangingHttp } from '../helpers/hanging-http.js';

let app: TestApp;
let hook: FakeReceiver;

beforeAll(async () => {
  hook = await startFakeWebhook();
  app = await makeTestApp({ ALERT_QUEUE_LENGTH: '2' }, { http: hangingHttp() });
});
afterAll(async () => {
  await app?.dispose();
  await hook?.close();
});

describe('alerts through the notifiers', () => {
  it('a long queue sends one alert and one resolved to a webhook that subscribes to alerts', async () => {
    const res = await request(app.koa.callback())
      .post('/api/notifiers')
      .send({ kind: 'webhook', name: 'Ops', events: ['alert.raised', 'alert.resolved'], digest: { enabled: false, window_s: 60 }, settings: { url: `${hook.url}/alerts` } });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    await app.jobs.pauseQueue();
    const jobs = [1, 2, 3].map((i) => app.jobs.create({ url: `https://cdn.example/${i}.m3u8`, title: `queued ${i}` }));
    expect((await app.observability.alerts.evaluate()).raised.map((a) => a.id)).toEqual(['queue_long']);
    // Evaluated again while it still holds: no second message.
    await app.observability.alerts.evaluate();
    await waitFor(() => (hook.requests.length >= 1 ? true : undefined), 10_000, 'the alert');
    for (const j of jobs) await app.jobs.cancel(j.id);
    expect((await app.observability.alerts.evaluate()).resolved.map((a) => a.id)).toEqual(['queue_long']);
    await waitFor(() => (hook.requests.length >= 2 ? true : undefined), 10_000, 'the resolved message');
    const bodies = hook.requests.map((r) => r.json as { event: string; alert?: { id: string; message: string } });
    expect(bodies.map((b) => b.event)).toEqual(['alert.raised', 'alert.resolved']);
    expect(bodies[0]!.alert).toMatchObject({ id: 'queue_long', message: '3 downloads are waiting in the queue' });
  });
});
