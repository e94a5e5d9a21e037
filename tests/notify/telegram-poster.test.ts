import request from 'supertest';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Job } from '../../addon/jobs/model.js';
import { startHlsOrigin, type HlsOrigin } from '../fakes/hls-origin.js';
import { startFakeProvider, type FakeProvider } from '../fakes/iptv-provider.js';
import { startFakeTelegram, type FakeTelegram } from '../fakes/telegram.js';
import { startFakeTmdb, type FakeTmdb } from '../fakes/tmdb.js';
import { ensureFixtures } from '../fixtures/media.js';
import { makeTestApp, waitFor, type TestApp } from '../helpers/app.js';

/**
 * "Poster when known": a download created from a source item TMDB knows carries the poster URL,
 * and its completed message goes out as sendPhoto with that URL (Telegram fetches it; nothing
 * in the add-on or these tests does). Without a poster it is a plain sendMessage.
 */
const TOKEN = '123456789:AAH-posterBotToken_0123456789abcdef';
const POSTER = 'https://image.tmdb.org/t/p/w342/vf.jpg';

describe('Telegram posters for downloads from playlist sources', () => {
  let origin: HlsOrigin;
  let provider: FakeProvider;
  let tmdb: FakeTmdb;
  let telegram: FakeTelegram;
  const apps: TestApp[] = [];

  beforeAll(async () => {
    await ensureFixtures();
    [origin, provider, tmdb, telegram] = await Promise.all([startHlsOrigin(), startFakeProvider(), startFakeTmdb(), startFakeTelegram()]);
    tmdb.movies.push({ id: 9799, title: 'Velozes & Furiosos', original_title: 'The Fast and the Furious', overview: '...', poster_path: '/vf.jpg', genre_ids: [28], release_date: '2001-06-18' });
    // Bacurau is not on (this) TMDB: no poster. Its tvg-logo is not used as one.
    provider.list = [
      '#EXTM3U',
      `#EXTINF:-1 tvg-logo="http://127.0.0.1:9/logo-vf.jpg" group-title="Filmes",Velozes & Furiosos (2001)`,
      origin.url('plain/index.m3u8'),
      `#EXTINF:-1 tvg-logo="http://127.0.0.1:9/logo-b.jpg" group-title="Filmes",Bacurau (2019)`,
      origin.url('plain/index.m3u8'),
      '',
    ].join('\n');
  });
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((a) => a.dispose()));
    telegram.requests.length = 0;
  });
  afterAll(async () => {
    await Promise.all([origin?.close(), provider?.close(), tmdb?.close(), telegram?.close()]);
  });

  async function start(): Promise<{ app: TestApp; server: ReturnType<TestApp['koa']['callback']>; sourceId: string }> {
    const app = await makeTestApp(
      { TELEGRAM_BOT_TOKEN: TOKEN, TELEGRAM_CHAT_IDS: '111', TELEGRAM_API_URL: telegram.url, TMDB_API_KEY: tmdb.apiKey, TMDB_BASE_URL: tmdb.baseUrl },
      { notify: { retryDelaysMs: [50, 50, 50], telegramChatIntervalMs: 50 } },
    );
    apps.push(app);
    const server = app.koa.callback();
    // One message per download, each with its poster: without the digest (which would send the
    // two downloads of this source as one message once both are done).
    await request(server).patch('/api/notifiers/telegram').send({ digest: { enabled: false } }).expect(200);
    const created = await request(server).post('/api/sources').send({ name: 'P', kind: 'm3u', url: `${provider.baseUrl}/list.m3u` });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const sourceId = created.body.id as string;
    return { app, server, sourceId };
  }

  it('a completed download with a TMDB poster goes out as sendPhoto with an escaped caption; one without as sendMessage', async () => {
    const { app, server, sourceId } = await start();
    const sync = await request(server).post(`/api/sources/${sourceId}/sync`);
    expect(sync.body.status, JSON.stringify(sync.body.error)).toBe('completed');
    const items = (await request(server).get(`/api/sources/${sourceId}/items`)).body.items as Array<{ id: number; title: string; tmdb: { poster: string } | null }>;
    const vf = items.find((i) => i.title === 'Velozes & Furiosos')!;
    const bacurau = items.find((i) => i.title === 'Bacurau')!;
    expect(vf.tmdb?.poster).toBe(POSTER);
    expect(bacurau.tmdb).toBeNull();

    const dl = await request(server).post(`/api/sources/${sourceId}/downloads`).send({ ids: [vf.id, bacurau.id] });
    expect(dl.status, JSON.stringify(dl.body)).toBe(201);
    const [withPoster, without] = dl.body.items as Job[];
    expect(withPoster).toMatchObject({ title: 'Velozes & Furiosos (2001)', tmdb_id: 9799, poster: POSTER });
    expect(without!.title).toBe('Bacurau (2019)');
    expect(without!.poster).toBeUndefined();
    // The job view shows it (it is not a secret).
    expect((await request(server).get(`/api/downloads/${withPoster!.id}`)).body.poster).toBe(POSTER);

    const ids = [withPoster!.id, without!.id];
    await waitFor(() => {
      const jobs = ids.map((id) => app.jobs.get(id));
      if (jobs.some((j) => j.status === 'failed')) throw new Error(JSON.stringify(jobs.map((j) => j.error)));
      return jobs.every((j) => j.status === 'completed') ? true : undefined;
    }, 60_000, 'both downloads');
    // The sync's own summary went out first; then one message per completed download.
    const completed = () => telegram.sent().filter((r) => r.status === 200 && String(r.body.text ?? r.body.caption).startsWith('✅'));
    await waitFor(() => (completed().length === 2 ? true : undefined), 10_000, 'two completed messages');

    const photo = telegram.sent().find((r) => r.method === 'sendPhoto');
    expect(photo, JSON.stringify(telegram.sent())).toBeDefined();
    const done = app.jobs.get(withPoster!.id);
    expect(Object.keys(photo!.body).sort()).toEqual(['caption', 'chat_id', 'parse_mode', 'photo']);
    expect(photo!.body).toMatchObject({ chat_id: '111', photo: POSTER, parse_mode: 'HTML' });
    const caption = String(photo!.body.caption);
    expect(caption.length).toBeLessThanOrEqual(1024);
    const path = done.file_path!.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
    expect(caption).toMatch(/^✅ <b>Downloaded:<\/b> Velozes &amp; Furiosos \(2001\)\n\S+ \S+ in \S+( \S+)?\n📁 <code>/);
    expect(caption.endsWith(`📁 <code>${path}</code>`)).toBe(true);
    expect(caption).not.toMatch(/& /); // the raw ampersand never reaches Telegram

    const message = completed().find((r) => r.method === 'sendMessage');
    expect(message!.body).toMatchObject({ chat_id: '111', parse_mode: 'HTML' });
    expect(message!.body.photo).toBeUndefined();
    expect(String(message!.body.text)).toMatch(/^✅ <b>Downloaded:<\/b> Bacurau \(2019\)\n/);
    // Only the fake Bot API was asked: the poster's host never is, and no logo is sent as a photo.
    expect(completed().map((r) => r.method).sort()).toEqual(['sendMessage', 'sendPhoto']);
    expect(telegram.sent().filter((r) => r.method === 'sendPhoto')).toHaveLength(1);
  });

  it('downloads queued by a rule during a sync carry the poster too', async () => {
    const { app, server, sourceId } = await start();
    await app.jobs.pauseQueue();
    await request(server).patch(`/api/sources/${sourceId}`).send({ rules: [{ kind: 'title', value: 'velozes*' }] }).expect(200);
    const sync = await request(server).post(`/api/sources/${sourceId}/sync`);
    expect(sync.body.queued, JSON.stringify(sync.body)).toHaveLength(1);
    expect(app.jobs.get(sync.body.queued[0].job_id)).toMatchObject({ tmdb_id: 9799, poster: POSTER });
  });
});
