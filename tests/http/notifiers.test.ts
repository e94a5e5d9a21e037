import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMediaOrigin, type MediaOrigin } from '../fakes/media-origin.js';
import { startFakeGotify, startFakeNtfy, startFakeWebhook, type FakeReceiver } from '../fakes/notify-receivers.js';
import { makeTestApp, waitFor, type TestApp } from '../helpers/app.js';
import { captureLogger } from '../helpers/log-capture.js';

const API_KEY = 'notifiers-api-admin-key-0123';
const NTFY_TOKEN = 'tk_topsecretntfytoken987654321';
const GOTIFY_TOKEN = 'GotifyAppTokenSecret.55';
const HOOK_SECRET = 'webhook-signing-secret-0123456789';
const admin = { authorization: `Bearer ${API_KEY}` };

let origin: MediaOrigin;
let ntfy: FakeReceiver;
let gotify: FakeReceiver;
let hook: FakeReceiver & { verified: number };
let app: TestApp;
let viewer: { authorization: string };
let operator: { authorization: string };
const capture = captureLogger();

beforeAll(async () => {
  [origin, ntfy, gotify, hook] = await Promise.all([startMediaOrigin(), startFakeNtfy({ token: NTFY_TOKEN }), startFakeGotify({ token: GOTIFY_TOKEN }), startFakeWebhook({ secret: HOOK_SECRET })]);
  app = await makeTestApp({ API_KEY, MQTT_ENABLED: 'false' }, { logger: capture.logger, notify: { retryDelaysMs: [20, 20] } });
  viewer = { authorization: `Bearer ${(await app.auth.createKey({ name: 'viewer', role: 'viewer' }, 'test')).key}` };
  operator = { authorization: `Bearer ${(await app.auth.createKey({ name: 'operator', role: 'operator' }, 'test')).key}` };
});
afterAll(async () => {
  await app?.dispose();
  await Promise.all([origin, ntfy, gotify, hook].map((f) => f?.close()));
});

const secretsIn = (text: string): string[] => [NTFY_TOKEN, GOTIFY_TOKEN, HOOK_SECRET, 'receiver-header-secret'].filter((s) => text.includes(s));

describe('/api/notifiers', () => {
  it('lists each kind with the JSON Schema of its settings, secrets marked write-only', async () => {
    const res = await request(app.koa.callback()).get('/api/notifiers/kinds').set(viewer);
    expect(res.status).toBe(200);
    const kinds = res.body.items as { kind: string; label: string; secrets: string[]; schema: { type: string; properties: Record<string, Record<string, unknown>>; required?: string[] } }[];
    expect(kinds.map((k) => k.kind)).toEqual(['webhook', 'ntfy', 'gotify', 'apprise', 'telegram']);
    expect(kinds.find((k) => k.kind === 'telegram')!.schema.properties.chat_ids).toMatchObject({ type: 'array', items: { type: 'string' }, minItems: 1 });
    const n = kinds.find((k) => k.kind === 'ntfy')!;
    expect(n.schema.type).toBe('object');
    expect(n.schema.required).toEqual(['topic']);
    expect(n.schema.properties.token).toMatchObject({ type: 'string', writeOnly: true, title: 'Access token' });
    expect(n.schema.properties.priority).toMatchObject({ type: 'integer', minimum: 1, maximum: 5, default: 3 });
    expect(n.schema.properties.topic).toMatchObject({ pattern: '^[-_A-Za-z0-9]{1,64}$' });
    expect(kinds.find((k) => k.kind === 'webhook')!.schema.properties.headers).toMatchObject({ type: 'object', writeOnly: true });
  });

  it('lists the option-configured notifiers too, and lets their events and digest change but not their settings', async () => {
    const server = app.koa.callback();
    const list = await request(server).get('/api/notifiers').set(viewer);
    expect(list.body.items.map((i: { id: string; builtin: boolean }) => [i.id, i.builtin])).toEqual([
      ['mqtt', true],
      ['homeassistant', true],
      ['telegram', true],
    ]);
    const patched = await request(server).patch('/api/notifiers/telegram').set(admin).send({ events: ['download.failed'], digest: { window_s: 120 } });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ id: 'telegram', events: ['download.failed'], digest: { enabled: true, window_s: 120 } });
    const refused = await request(server).patch('/api/notifiers/telegram').set(admin).send({ settings: { chat_ids: ['1'] } });
    expect(refused.status).toBe(400);
    expect(refused.body.error).toMatchObject({ field: 'settings', message: expect.stringMatching(/add-on options/) });
    expect((await request(server).delete('/api/notifiers/telegram').set(admin)).status).toBe(409);
  });

  it('adds, shows secrets only as has_<secret>, keeps a secret sent blank, validates, and deletes (admin only)', async () => {
    const server = app.koa.callback();
    const body = { kind: 'ntfy', name: 'Phone', settings: { server_url: ntfy.url, topic: 'm3u_phone', token: NTFY_TOKEN } };
    expect((await request(server).post('/api/notifiers').set(viewer).send(body)).status).toBe(403);
    expect((await request(server).post('/api/notifiers').set(operator).send(body)).status).toBe(403);
    const created = await request(server).post('/api/notifiers').set(admin).send(body);
    expect(created.status).toBe(201);
    expect(created.headers.location).toBe(`/api/notifiers/${created.body.id}`);
    expect(created.body).toMatchObject({
      kind: 'ntfy',
      builtin: false,
      name: 'Phone',
      enabled: true,
      events: expect.arrayContaining(['download.completed', 'download.failed', 'disk.full']),
      digest: { enabled: true, window_s: 60 },
      settings: { server_url: ntfy.url, topic: 'm3u_phone', priority: 3, has_token: true },
      status: { state: 'ok', sent: 0 },
    });
    expect(created.body.settings.token).toBeUndefined();
    const id = created.body.id as string;

    // A blank secret keeps the stored one (a form never shows it back); other fields change.
    const patched = await request(server).patch(`/api/notifiers/${id}`).set(admin).send({ settings: { token: '', priority: 5 } });
    expect(patched.status).toBe(200);
    expect(patched.body.settings).toMatchObject({ priority: 5, has_token: true });
    expect(app.store.data.notifiers.find((n) => n.id === id)!.settings.token).toBe(NTFY_TOKEN);

    const bad = await request(server).patch(`/api/notifiers/${id}`).set(admin).send({ settings: { topic: 'not a topic' } });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toEqual({ code: 'invalid_request', field: 'settings.topic', message: 'settings.topic: must be 1-64 letters, digits, - or _' });
    const missing = await request(server).post('/api/notifiers').set(admin).send({ kind: 'gotify', name: 'G', settings: { url: gotify.url } });
    expect(missing.body.error).toMatchObject({ field: 'settings.token' });
    const unknownKind = await request(server).post('/api/notifiers').set(admin).send({ kind: 'pigeon', name: 'P' });
    expect(unknownKind.body.error).toMatchObject({ field: 'kind', message: 'kind: must be one of webhook, ntfy, gotify, apprise, telegram' });
    const unknownEvent = await request(server).post('/api/notifiers').set(admin).send({ ...body, events: ['download.exploded'] });
    expect(unknownEvent.body.error).toMatchObject({ field: 'events.0' });

    const test = await request(server).post(`/api/notifiers/${id}/test`).set(operator);
    expect(test.status).toBe(200);
    expect(test.body).toMatchObject({ ok: true, message: `ntfy at ${ntfy.url} accepted the test message`, message_id: expect.any(String) });
    expect(ntfy.requests.at(-1)!.json).toMatchObject({ topic: 'm3u_phone', title: 'M3U Downloader', priority: 5 });

    for (const res of [await request(server).get('/api/notifiers').set(viewer), await request(server).get(`/api/notifiers/${id}`).set(viewer), await request(server).get('/api/notifications/status').set(viewer)]) {
      expect(res.status).toBe(200);
      expect(secretsIn(JSON.stringify(res.body))).toEqual([]);
    }
    expect((await request(server).delete(`/api/notifiers/${id}`).set(viewer)).status).toBe(403);
    expect((await request(server).delete(`/api/notifiers/${id}`).set(admin)).status).toBe(204);
    expect((await request(server).get(`/api/notifiers/${id}`).set(viewer)).status).toBe(404);
  });

  it('delivers a finished download to every channel; one channel down never stops the others; the status counts it', async () => {
    const server = app.koa.callback();
    const add = async (b: Record<string, unknown>) => {
      const res = await request(server).post('/api/notifiers').set(admin).send(b);
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      return res.body.id as string;
    };
    const digestOff = { enabled: false, window_s: 60 };
    const phone = await add({ kind: 'ntfy', name: 'Phone', digest: digestOff, settings: { server_url: ntfy.url, topic: 'm3u_e2e', token: NTFY_TOKEN } });
    const down = await add({ kind: 'gotify', name: 'Down', digest: digestOff, settings: { url: 'http://127.0.0.1:9', token: GOTIFY_TOKEN } });
    const hookId = await add({ kind: 'webhook', name: 'Hook', digest: digestOff, events: ['download.completed'], settings: { url: `${hook.url}/in`, secret: HOOK_SECRET, headers: { 'X-Receiver': 'receiver-header-secret' } } });
    const seenBefore = ntfy.requests.length;
    const job = await request(server).post('/api/downloads').set(admin).send({ url: origin.url('/movie.mp4'), title: 'Notified Film' });
    expect(job.status).toBe(201);
    // Each notifier counts a delivery once the service has answered: wait for the counts (a
    // request seen by a fake is not yet an answer read by the notifier).
    const counted = (id: string, key: 'sent' | 'failed') => app.notifications.status().notifiers.find((n) => n.id === id)![key] === 1;
    await waitFor(() => (counted(hookId, 'sent') && counted(phone, 'sent') && counted(down, 'failed') ? true : undefined), 15_000, 'every channel done');
    expect(hook.requests.some((r) => r.path === '/in')).toBe(true);
    expect(ntfy.requests.slice(seenBefore).some((r) => (r.json as { topic?: string }).topic === 'm3u_e2e')).toBe(true);

    const done = app.jobs.get(job.body.id);
    expect(done.status).toBe('completed');
    const delivered = hook.requests.find((r) => r.path === '/in')!;
    expect(delivered.headers['x-receiver']).toBe('receiver-header-secret');
    expect(delivered.json).toMatchObject({ event: 'download.completed', file_path: `${app.config.media_dir}/${done.file_path}`, library_path: done.file_path, job: { id: done.id, title: 'Notified Film' } });
    expect(hook.verified).toBeGreaterThan(0);
    const statuses = app.notifications.status().notifiers;
    expect(statuses.find((n) => n.id === phone)).toMatchObject({ state: 'ok', sent: 1, failed: 0 });
    expect(statuses.find((n) => n.id === hookId)).toMatchObject({ state: 'ok', sent: 1 });
    expect(statuses.find((n) => n.id === down)).toMatchObject({ state: 'error', failed: 1, last_error: expect.stringMatching(/^Gotify at http:\/\/127\.0\.0\.1:9 is unreachable/) });

    // POST /api/notifications/test reaches the panel-configured ones too, by id or with `all`.
    const all = await request(server).post('/api/notifications/test').set(operator).send({});
    expect(all.body.results[phone]).toMatchObject({ ok: true });
    expect(all.body.results[down]).toMatchObject({ ok: false, error: expect.stringMatching(/unreachable/) });
    expect(all.body.results.telegram).toMatchObject({ ok: false, skipped: true });
    expect((await request(server).post('/api/notifications/test').set(operator).send({ target: 'pigeon' })).body.error).toMatchObject({ field: 'target' });

    // A webhook's URL is write-only too (Slack and Discord keep the key in it).
    const hookView = (await request(server).get(`/api/notifiers/${hookId}`).set(viewer)).body;
    expect(hookView.settings).toEqual({ timeout_s: 10, retries: 3, has_url: true, has_headers: true, has_secret: true });
    expect(JSON.stringify(hookView)).not.toContain('/in');

    expect(secretsIn(capture.text())).toEqual([]);
    expect(capture.text()).toContain('notification not delivered');
  });

  it('shows what a digest is collecting, and sends it before a changed notifier restarts', async () => {
    const server = app.koa.callback();
    const created = await request(server)
      .post('/api/notifiers')
      .set(admin)
      .send({ kind: 'ntfy', name: 'Digest', events: ['alert.raised'], digest: { enabled: true, window_s: 600 }, settings: { server_url: ntfy.url, topic: 'm3u_digest', token: NTFY_TOKEN } });
    const id = created.body.id as string;
    const toTopic = () => ntfy.requests.filter((r) => (r.json as { topic?: string }).topic === 'm3u_digest');
    const alert = (n: number) => ({ id: `queue_long:${n}`, rule: 'queue_long', severity: 'warning' as const, message: `alert ${n}`, value: n, threshold: 1, raised_at: '2026-12-06T10:00:00.000Z', resolved_at: null });
    app.bus.emit('alert.raised', alert(1)); // alone: at once
    app.bus.emit('alert.raised', alert(2)); // soon after: collected
    app.bus.emit('alert.raised', alert(3));
    await app.notifications.dispatcher.idle();
    expect(toTopic().map((r) => (r.json as { message: string }).message)).toEqual(['alert 1']);
    const status = (await request(server).get('/api/notifications/status').set(viewer)).body.notifiers.find((n: { id: string }) => n.id === id);
    expect(status).toMatchObject({ pending: 2, sent: 1 });

    // Changing a setting restarts the notifier: what it collected goes out first, not lost.
    expect((await request(server).patch(`/api/notifiers/${id}`).set(admin).send({ settings: { priority: 4 } })).status).toBe(200);
    expect(toTopic().map((r) => r.json)).toEqual([
      expect.objectContaining({ message: 'alert 1' }),
      // Sent by the instance being replaced: its priority 3, one higher for a warning.
      expect.objectContaining({ title: '2 alerts', message: '• alert 2\n• alert 3', priority: 4 }),
    ]);
    expect((await request(server).get(`/api/notifiers/${id}`).set(viewer)).body.status).toMatchObject({ pending: 0, state: 'ok' });
    await request(server).delete(`/api/notifiers/${id}`).set(admin).expect(204);
  });

  it('keeps panel-configured notifiers across a restart (through the store)', async () => {
    const ids = app.store.data.notifiers.map((n) => n.id);
    await app.stop();
    const { createApp } = await import('../../addon/app.js');
    const again = await createApp(app.config, capture.logger, {});
    await again.start();
    try {
      const list = (await request(again.koa.callback()).get('/api/notifiers').set(admin)).body.items as { id: string }[];
      expect(list.map((i) => i.id)).toEqual(expect.arrayContaining(ids));
      expect(list.find((i) => i.id === 'telegram')).toMatchObject({ events: ['download.failed'] });
    } finally {
      await again.stop();
      // dispose() stops `app` again: harmless, and removes the temp dirs.
    }
  });
});
