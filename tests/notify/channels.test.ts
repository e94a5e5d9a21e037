import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Job } from '../../addon/jobs/model.js';
import { systemClock } from '../../addon/platform/clock.js';
import { appriseKind } from '../../addon/notify/kinds/apprise.js';
import { gotifyKind } from '../../addon/notify/kinds/gotify.js';
import { ntfyKind } from '../../addon/notify/kinds/ntfy.js';
import { telegramKind } from '../../addon/notify/kinds/telegram.js';
import { webhookKind } from '../../addon/notify/kinds/webhook.js';
import type { NotifierContext } from '../../addon/notify/notifier-kind.js';
import type { NotificationEvent } from '../../addon/notify/notification-event.js';
import { startFakeApprise, startFakeGotify, startFakeNtfy, startFakeWebhook, verifySignatures, type FakeReceiver } from '../fakes/notify-receivers.js';
import { startFakeTelegram, type FakeTelegram } from '../fakes/telegram.js';
import { captureLogger } from '../helpers/log-capture.js';

const NTFY_TOKEN = 'tk_ntfysecrettoken0123456789';
const GOTIFY_TOKEN = 'AgotifyAppToken.42';
const HOOK_SECRET = 'whsec_' + Buffer.from('a webhook signing key of 32 bytes').toString('base64');

let ntfy: FakeReceiver;
let gotify: FakeReceiver;
let apprise: FakeReceiver;
let hook: FakeReceiver & { verified: number };
let telegram: FakeTelegram;
const BOT_TOKEN = '4242:panelBotTokenSecret_0123456789ab';
const log = captureLogger();

beforeAll(async () => {
  [ntfy, gotify, apprise, hook] = await Promise.all([
    startFakeNtfy({ token: NTFY_TOKEN }),
    startFakeGotify({ token: GOTIFY_TOKEN }),
    startFakeApprise({ keys: ['family'] }),
    startFakeWebhook({ secret: HOOK_SECRET }),
  ]);
  telegram = await startFakeTelegram();
});
afterAll(async () => {
  await Promise.all([ntfy, gotify, apprise, hook, telegram].map((f) => f?.close()));
});

const ctx = (id: string): NotifierContext => ({ id, name: id, fetch: globalThis.fetch, clock: systemClock, logger: log.logger, mediaDir: '/media', fileSize: async () => null, retryDelaysMs: [20, 20] });

const job = (over: Partial<Job> = {}): Job =>
  ({
    id: 'job-1',
    url: 'https://user:hunter2@cdn.example/film/index.m3u8',
    title: 'Big Film (2024)',
    status: 'completed',
    file_path: 'Movies/Big Film (2024)/Big Film (2024).mp4',
    location: null,
    started_at: '2026-12-06T10:00:00.000Z',
    completed_at: '2026-12-06T10:03:12.000Z',
    updated_at: '2026-12-06T10:03:12.000Z',
    error: null,
    headers: { Authorization: 'Bearer upstream-secret' },
    referer: null,
    source_id: null,
    ...over,
  }) as Job;

const completed: NotificationEvent = { type: 'download.completed', job: job() };
const failed: NotificationEvent = { type: 'download.failed', job: job({ status: 'failed', file_path: null, error: { code: 'http_404', message: 'HTTP 404 from cdn.example' } }) };

describe('ntfy', () => {
  it('publishes JSON at the server root with the Bearer token, priority, tags and click link', async () => {
    const n = ntfyKind.create(ntfyKind.settings.parse({ server_url: ntfy.url, topic: 'm3u_alerts', token: NTFY_TOKEN, priority: 3, click_url: 'http://nas.local:8099/' }), ctx('n1'));
    await n.handle(completed);
    await n.handle(failed);
    const [a, b] = ntfy.requests.slice(-2);
    expect(a).toMatchObject({ method: 'POST', path: '/', status: 200 });
    expect(a!.headers.authorization).toBe(`Bearer ${NTFY_TOKEN}`);
    expect(a!.json).toEqual({
      topic: 'm3u_alerts',
      title: 'Download complete',
      message: 'Big Film (2024) (3m 12s) saved to Movies/Big Film (2024)/Big Film (2024).mp4',
      priority: 3,
      tags: ['white_check_mark'],
      click: 'http://nas.local:8099/',
    });
    // A failure is one step louder.
    expect(b!.json).toMatchObject({ title: 'Download failed', message: 'Big Film (2024): HTTP 404 from cdn.example', priority: 4, tags: ['rotating_light'] });
    expect(n.status()).toMatchObject({ kind: 'ntfy', id: 'n1', state: 'ok', sent: 2, failed: 0 });
  });

  it('says exactly what ntfy answered to a wrong token, without retrying or showing the token', async () => {
    const n = ntfyKind.create(ntfyKind.settings.parse({ server_url: ntfy.url, topic: 'm3u_alerts', token: 'tk_wrong' }), ctx('n2'));
    const before = ntfy.requests.length;
    const result = await n.test();
    expect(result).toEqual({ ok: false, error: `ntfy at ${ntfy.url} answered 401: unauthorized` });
    expect(ntfy.requests.length - before).toBe(1); // 401 is an answer, not a hiccup
    expect(n.status()).toMatchObject({ state: 'error', failed: 1, last_error: `ntfy at ${ntfy.url} answered 401: unauthorized` });
    expect(JSON.stringify(n.status())).not.toContain('tk_wrong');
  });

  it('rejects a topic ntfy would refuse before anything is sent', () => {
    expect(ntfyKind.settings.safeParse({ topic: 'has space' }).success).toBe(false);
    expect(ntfyKind.settings.safeParse({ topic: 'x'.repeat(65) }).success).toBe(false);
    expect(ntfyKind.settings.parse({ topic: 'ok-topic_1' })).toMatchObject({ server_url: 'https://ntfy.sh', priority: 3 });
  });
});

describe('Gotify', () => {
  it('posts /message with X-Gotify-Key (never the token in the URL) and a click extra', async () => {
    const g = gotifyKind.create(gotifyKind.settings.parse({ url: `${gotify.url}/`, token: GOTIFY_TOKEN, priority: 4, click_url: 'http://nas.local:8099/' }), ctx('g1'));
    const result = await g.test();
    expect(result).toMatchObject({ ok: true, message: `Gotify at ${gotify.url} accepted the test message`, message_id: expect.any(Number) });
    await g.handle(failed);
    const [t, f] = gotify.requests.slice(-2);
    expect(t).toMatchObject({ method: 'POST', path: '/message', status: 200 });
    expect(t!.headers['x-gotify-key']).toBe(GOTIFY_TOKEN);
    expect(t!.query.get('token')).toBeNull();
    expect(t!.json).toEqual({
      title: 'M3U Downloader',
      message: 'Test notification from m3u-downloader',
      priority: 4,
      extras: { 'client::display': { contentType: 'text/plain' }, 'client::notification': { click: { url: 'http://nas.local:8099/' } } },
    });
    expect(f!.json).toMatchObject({ title: 'Download failed', priority: 8 });
  });

  it('retries while Gotify answers 503, then delivers once', async () => {
    const g = gotifyKind.create(gotifyKind.settings.parse({ url: gotify.url, token: GOTIFY_TOKEN }), ctx('g2'));
    gotify.failNext(2, 503);
    const before = gotify.requests.length;
    await g.handle(completed);
    expect(gotify.requests.slice(before).map((r) => r.status)).toEqual([503, 503, 200]);
    expect(g.status()).toMatchObject({ sent: 1, failed: 0, state: 'ok' });
  });

  it('reports a wrong token in Gotify\'s own words', async () => {
    const g = gotifyKind.create(gotifyKind.settings.parse({ url: gotify.url, token: 'nope' }), ctx('g3'));
    await expect(g.handle(completed)).rejects.toThrow(`Gotify at ${gotify.url} answered 401: Unauthorized`);
    expect(log.text()).not.toContain(GOTIFY_TOKEN);
  });
});

describe('apprise-api', () => {
  it('sends stateless to /notify with the URLs, and keyed to /notify/{key} with a tag', async () => {
    const stateless = appriseKind.create(appriseKind.settings.parse({ url: apprise.url, urls: 'ntfys://secret-topic, mailto://u:p@example.com' }), ctx('a1'));
    await stateless.handle(failed);
    const keyed = appriseKind.create(appriseKind.settings.parse({ url: `${apprise.url}/`, config_key: 'family', tag: 'phones' }), ctx('a2'));
    await keyed.handle({ type: 'digest', events: [completed, { ...completed, job: job({ id: 'job-2', title: 'Second' }) }] });
    const [s, k] = apprise.requests.slice(-2);
    expect(s).toMatchObject({ method: 'POST', path: '/notify', status: 200 });
    expect(s!.headers.accept).toBe('application/json');
    expect(s!.json).toEqual({ title: 'Download failed', body: 'Big Film (2024): HTTP 404 from cdn.example', type: 'failure', format: 'text', urls: 'ntfys://secret-topic, mailto://u:p@example.com' });
    expect(k).toMatchObject({ path: '/notify/family', status: 200 });
    expect(k!.json).toEqual({ title: '2 downloads complete', body: '• Big Film (2024)\n• Second', type: 'success', format: 'text', tag: 'phones' });
  });

  it('treats 204 (nothing to send to) and 424 (some services failed) as failures, saying which', async () => {
    const unknownKey = appriseKind.create(appriseKind.settings.parse({ url: apprise.url, config_key: 'nobody' }), ctx('a3'));
    expect(await unknownKey.test()).toEqual({ ok: false, error: `apprise-api at ${apprise.url} had nothing to send to (204): no configuration saved under key "nobody"` });
    const some = appriseKind.create(appriseKind.settings.parse({ url: apprise.url, urls: 'json://x' }), ctx('a4'));
    apprise.failNext(1, 424);
    expect(await some.test()).toEqual({ ok: false, error: `apprise-api at ${apprise.url} answered 424: some of its services did not take the message (apprise-api's log says which)` });
  });
});

describe('webhook', () => {
  it('POSTs the event, the job view, the file and library paths, signed (HMAC verified by the receiver), with custom headers', async () => {
    const w = webhookKind.create(webhookKind.settings.parse({ url: `${hook.url}/hooks/m3u?x=1`, secret: HOOK_SECRET, headers: { 'X-Api-Key': 'receiver-key' } }), ctx('w1'));
    const before = hook.verified;
    await w.handle(completed);
    const r = hook.requests.at(-1)!;
    expect(r).toMatchObject({ method: 'POST', path: '/hooks/m3u', status: 204 });
    expect(hook.verified).toBe(before + 1);
    expect(verifySignatures(HOOK_SECRET, r)).toBeNull();
    expect(verifySignatures('whsec_' + Buffer.from('another key').toString('base64'), r)).toMatch(/does not match/);
    expect(r.headers['x-api-key']).toBe('receiver-key');
    expect(r.headers['content-type']).toBe('application/json');
    const body = r.json as Record<string, unknown> & { job: Record<string, unknown> };
    expect(body).toMatchObject({
      event: 'download.completed',
      file_path: '/media/Movies/Big Film (2024)/Big Film (2024).mp4',
      library_path: 'Movies/Big Film (2024)/Big Film (2024).mp4',
      title: 'Download complete',
      at: expect.any(String),
    });
    expect(body.job).toMatchObject({ id: 'job-1', title: 'Big Film (2024)', status: 'completed' });
    // The job view masks what the job's URL and headers carry.
    expect(r.raw).not.toContain('hunter2');
    expect(r.raw).not.toContain('upstream-secret');
  });

  it('retries a 500 with the same webhook-id, and gives up on a hung receiver after the timeout', async () => {
    const w = webhookKind.create(webhookKind.settings.parse({ url: hook.url, secret: HOOK_SECRET, retries: 2, timeout_s: 1 }), ctx('w2'));
    hook.failNext(1, 500);
    const before = hook.requests.length;
    await w.handle(failed);
    const tries = hook.requests.slice(before);
    expect(tries.map((t) => t.status)).toEqual([500, 204]);
    expect(tries[0]!.headers['webhook-id']).toBe(tries[1]!.headers['webhook-id']);

    hook.hangNext(3);
    const started = Date.now();
    await expect(w.handle(completed)).rejects.toThrow(`the webhook at ${hook.url} did not answer within 1 s`);
    expect(hook.requests.length - before).toBe(2 + 3); // three attempts: the first and two retries
    expect(Date.now() - started).toBeLessThan(8000);
    expect(w.status()).toMatchObject({ state: 'error', sent: 1, failed: 1 });

    // A Test makes one attempt: a person is waiting for the answer.
    hook.failNext(1, 503);
    expect(await w.test()).toEqual({ ok: false, error: `the webhook at ${hook.url} answered 503: webhook is failing on purpose` });
    expect(hook.requests.length - before).toBe(2 + 3 + 1);
  });

  it('sends a digest as one request listing every event', async () => {
    const w = webhookKind.create(webhookKind.settings.parse({ url: hook.url, secret: HOOK_SECRET }), ctx('w3'));
    await w.handle({ type: 'digest', events: [completed, completed, completed] });
    expect(hook.requests.at(-1)!.json).toMatchObject({ event: 'digest', type: 'download.completed', count: 3, events: [{ event: 'download.completed' }, {}, {}] });
  });

  it('refuses settings a receiver could not use', () => {
    expect(webhookKind.settings.safeParse({ url: 'ftp://x' }).success).toBe(false);
    expect(webhookKind.settings.safeParse({ url: 'http://x', secret: 'short' }).success).toBe(false);
    expect(webhookKind.settings.safeParse({ url: 'http://x', headers: { 'bad header': 'v' } }).success).toBe(false);
  });
});

describe('Telegram added in the panel', () => {
  it('sends to each chat through the Bot API with its own token; a digest is one message; no bot commands', async () => {
    const settings = telegramKind.settings.parse({ bot_token: BOT_TOKEN, chat_ids: ['111', '-1001234567890'], api_url: telegram.url });
    const t = telegramKind.create(settings, ctx('tg-1'));
    t.start();
    try {
      expect(await t.test()).toMatchObject({ ok: true, chats: [{ chat_id: '111', ok: true }, { chat_id: '-1001234567890', ok: true }] });
      await t.handle({ type: 'digest', events: [completed, { ...completed, job: job({ id: 'job-2', title: 'Second <b>' }) }] });
      const sent = telegram.sent();
      expect(sent.every((r) => r.token === BOT_TOKEN)).toBe(true);
      const digest = sent.filter((r) => String(r.body.text).startsWith('<b>2 downloads complete</b>'));
      expect(digest.map((r) => r.body.chat_id).sort()).toEqual(['-1001234567890', '111']);
      expect(digest[0]!.body.text).toBe('<b>2 downloads complete</b>\n• Big Film (2024)\n• Second &lt;b&gt;');
      expect(telegram.requests.some((r) => r.method === 'getUpdates')).toBe(false);
      expect(t.status()).toMatchObject({ kind: 'telegram', id: 'tg-1', state: 'ok', commands: false });
    } finally {
      await t.stop();
    }
    expect(telegramKind.settings.safeParse({ bot_token: 'nope', chat_ids: ['1'] }).success).toBe(false);
    expect(telegramKind.settings.safeParse({ bot_token: BOT_TOKEN, chat_ids: [] }).success).toBe(false);
  });
});
