import request from 'supertest';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { JobService } from '../../addon/jobs/job-service.js';
import type { Job } from '../../addon/jobs/model.js';
import { systemClock } from '../../addon/platform/clock.js';
import { silentLogger } from '../../addon/platform/logger.js';
import { TelegramApi } from '../../addon/notify/telegram/api.js';
import { TelegramNotifier } from '../../addon/notify/telegram/notifier.js';
import { startMediaOrigin, type MediaOrigin } from '../fakes/media-origin.js';
import { startFakeTelegram, type FakeTelegram } from '../fakes/telegram.js';
import { makeTestApp, waitFor, type TestApp } from '../helpers/app.js';
import { captureLogger } from '../helpers/log-capture.js';

const TOKEN = '123456789:AAH-secretBotToken_0123456789abcdef';
let origin: MediaOrigin;
let telegram: FakeTelegram;
const apps: TestApp[] = [];

beforeAll(async () => {
  [origin, telegram] = await Promise.all([startMediaOrigin(), startFakeTelegram()]);
});
afterEach(async () => {
  await Promise.all(apps.splice(0).map((a) => a.dispose()));
  telegram.requests.length = 0;
  telegram.rateLimitNext(0, 0);
  telegram.failNext(0, 0, '');
});
afterAll(async () => {
  await origin?.close();
  await telegram?.close();
});

async function start(env: Record<string, string> = {}, logger = captureLogger().logger, pollTimeoutS = 1): Promise<TestApp> {
  const app = await makeTestApp(
    { TELEGRAM_BOT_TOKEN: TOKEN, TELEGRAM_CHAT_IDS: '111, -100222', TELEGRAM_API_URL: telegram.url, ...env },
    { logger, notify: { retryDelaysMs: [50, 50, 50], telegramChatIntervalMs: 300, telegramPollTimeoutS: pollTimeoutS, telegramPollRetryMs: 100 } },
  );
  apps.push(app);
  return app;
}

const to = (chat: string) => telegram.sent().filter((r) => r.body.chat_id === chat);

describe('Telegram alerts against a fake Bot API', () => {
  it('sends an escaped HTML message to every chat when a download completes', async () => {
    const app = await start();
    const job = app.jobs.create({ url: origin.url('/movie.mp4'), title: 'Tom & Jerry <Best of>' });
    await waitFor(() => (telegram.sent().length === 2 ? true : undefined), 10_000, 'two messages');
    const done = app.jobs.get(job.id);
    // The duration is the job's own started -> completed time; on a loaded machine a 66 kB
    // download can take over a second, so it is read from the job rather than assumed to be 0s.
    const seconds = Math.round((Date.parse(done.completed_at!) - Date.parse(done.started_at!)) / 1000);
    const [first] = to('111');
    expect(first).toMatchObject({ method: 'sendMessage', token: TOKEN });
    expect(first!.body).toEqual({
      chat_id: '111',
      text: `✅ <b>Downloaded:</b> Tom &amp; Jerry &lt;Best of&gt;\n66 kB in ${seconds}s\n📁 <code>${done.file_path!.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')}</code>`,
      parse_mode: 'HTML',
      link_preview_options: { is_disabled: true },
    });
    expect(to('-100222')[0]!.body.text).toBe(first!.body.text);
  });

  it('waits what a 429 says, then retries; paces messages to one chat', async () => {
    const app = await start({ TELEGRAM_CHAT_IDS: '111' });
    telegram.rateLimitNext(1, 1);
    app.jobs.create({ url: origin.url('/movie.mp4'), title: 'First' });
    app.jobs.create({ url: origin.url('/missing.mp4'), title: 'Second' });
    await waitFor(() => (telegram.sent().filter((r) => r.status === 200).length === 2 ? true : undefined), 10_000, 'both delivered');
    const [limited, retried, next] = telegram.sent();
    expect(limited!.status).toBe(429);
    expect(retried!.body).toEqual(limited!.body);
    expect(retried!.at - limited!.at).toBeGreaterThanOrEqual(990);
    expect(next!.at - retried!.at).toBeGreaterThanOrEqual(290);
    const texts = telegram.sent().filter((r) => r.status === 200).map((r) => String(r.body.text));
    expect(texts.some((t) => t.startsWith('❌ <b>Download failed:</b> Second\n') && /HTTP 404/.test(t))).toBe(true);
  });

  it('never lets a failing Telegram touch a download, and keeps the token out of logs and the API', async () => {
    const capture = captureLogger();
    const app = await start({ TELEGRAM_CHAT_IDS: '111' }, capture.logger);
    telegram.failNext(4, 500, 'Internal Server Error'); // the first try and its three retries
    const job = app.jobs.create({ url: origin.url('/movie.mp4'), title: 'Still fine' });
    await waitFor(() => (app.notifications.status().telegram.failed === 1 ? true : undefined), 10_000, 'failure counted');
    expect(app.jobs.get(job.id).status).toBe('completed');
    expect(telegram.sent().length).toBe(4);
    const status = await request(app.koa.callback()).get('/api/notifications/status');
    expect(status.body.telegram).toMatchObject({ enabled: true, chats: 1, failed: 1, last_error: 'Telegram sendMessage: Internal Server Error' });
    const test = await request(app.koa.callback()).post('/api/notifications/test').send({ target: 'telegram' });
    expect(test.body.results.telegram).toMatchObject({ ok: true, chats: [{ chat_id: '111', ok: true }] });
    for (const text of [JSON.stringify(status.body), JSON.stringify(test.body), capture.text()]) {
      expect(text).not.toContain(TOKEN);
      expect(text).not.toContain('AAH-secretBotToken');
    }
    expect(capture.text()).toContain('telegram message not delivered');
  });

  it('answers /status, /queue and /add from allowed chats only, and stops polling at once', async () => {
    // A 30 s long poll: stopping must abort the open getUpdates, not wait it out (checked below).
    const app = await start({ TELEGRAM_CHAT_IDS: '111', TELEGRAM_COMMANDS: 'true', MAX_CONCURRENT_DOWNLOADS: '1' }, undefined, 30);
    await waitFor(() => (telegram.requests.some((r) => r.method === 'getUpdates') ? true : undefined), 5000, 'polling');
    expect(telegram.requests[0]).toMatchObject({ method: 'setMyCommands' });
    expect(telegram.requests.find((r) => r.method === 'getUpdates')!.body).toMatchObject({ timeout: 30, allowed_updates: ['message'] });

    telegram.pushUpdate({ chatId: 999, text: '/add http://evil.example/x.m3u8' });
    telegram.pushUpdate({ chatId: 111, text: `/add ${origin.url('/hang.mp4')} My <Show>` });
    const queued = await waitFor(() => to('111').find((r) => String(r.body.text).startsWith('➕ Queued')), 5000, 'queued reply');
    const job = app.jobs.list({ limit: 10, offset: 0 }).items[0]!;
    expect(app.jobs.list({ limit: 10, offset: 0 }).total).toBe(1);
    expect(job.title).toBe('My <Show>');
    expect(queued.body.text).toBe(`➕ Queued: My &lt;Show&gt;\n<code>${job.id}</code>`);

    telegram.pushUpdate({ chatId: 111, text: '/add@m3u_bot notaurl' });
    telegram.pushUpdate({ chatId: 111, text: '/status' });
    telegram.pushUpdate({ chatId: 111, text: '/queue' });
    await waitFor(() => (to('111').length >= 4 ? true : undefined), 5000, 'replies');
    const [, invalid, status, queue] = to('111').map((r) => String(r.body.text));
    expect(invalid).toMatch(/^⚠️ url: must be an http\(s\) URL\nUsage: \/add &lt;url&gt; \[title\]$/);
    expect(status).toMatch(/^<b>M3U Downloader<\/b>\nActive: 1 · waiting: 0/);
    expect(queue).toMatch(/<b>Running<\/b>\n▶️ My &lt;Show&gt; — downloading 0%/);
    expect(to('999')).toHaveLength(0);

    // A getUpdates is open for up to 30 s now. Waiting it out would take ~30 s; aborting it takes
    // well under a second, so 10 s leaves a loaded machine room and still tells the two apart
    // (with the 1 s poll used before, 3 s could not, and a loaded dispose came close to it).
    const t0 = Date.now();
    apps.splice(0);
    await app.dispose();
    expect(Date.now() - t0).toBeLessThan(10_000);
  });

  it('sends the poster with sendPhoto (caption within 1024) and falls back to text when Telegram cannot fetch it', async () => {
    const api = new TelegramApi({ baseUrl: telegram.url, token: TOKEN, fetch: globalThis.fetch, clock: systemClock });
    const notifier = new TelegramNotifier({
      api,
      chatIds: ['111'],
      commands: false,
      jobs: {} as JobService,
      mediaDir: '/media',
      fileSize: async () => 123_456_789,
      freeBytes: async () => null,
      clock: systemClock,
      logger: silentLogger(),
      poster: (job) => `https://img.example/${job.id}.jpg`,
      chatIntervalMs: 0,
    });
    notifier.start();
    const job = { id: 'j1', url: 'http://x/a.m3u8', title: `${'Very long title '.repeat(200)}`, status: 'completed', file_path: 'Movies/a.mp4', started_at: '2026-01-01T10:00:00.000Z', completed_at: '2026-01-01T10:03:12.000Z', updated_at: '2026-01-01T10:03:12.000Z', error: null, headers: {}, referer: null } as unknown as Job;
    await notifier.handle({ type: 'download.completed', job });
    await waitFor(() => (telegram.sent().length === 1 ? true : undefined), 5000, 'photo');
    const photo = telegram.sent()[0]!;
    expect(photo.method).toBe('sendPhoto');
    expect(photo.body).toMatchObject({ chat_id: '111', photo: 'https://img.example/j1.jpg', parse_mode: 'HTML' });
    const caption = String(photo.body.caption);
    expect(caption.length).toBeLessThanOrEqual(1024);
    expect(caption).toMatch(/^✅ <b>Downloaded:<\/b> Very long title/);
    expect(caption).toContain('123 MB in 3m 12s');

    telegram.failNext(1, 400, 'Bad Request: wrong file identifier/HTTP URL specified');
    await notifier.handle({ type: 'download.completed', job: { ...job, id: 'j2' } });
    await waitFor(() => (telegram.sent().length === 3 ? true : undefined), 5000, 'fallback');
    expect(telegram.sent()[2]).toMatchObject({ method: 'sendMessage', status: 200 });
    await notifier.stop();
  });
});
