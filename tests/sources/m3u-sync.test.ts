import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import request from 'supertest';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { SyncSummary } from '../../addon/events/app-events.js';
import type { ItemView, SyncRecord } from '../../addon/sources/model.js';
import { makeTestApp, waitFor, type TestApp } from '../helpers/app.js';
import { startFakeProvider, type FakeProvider } from '../fakes/iptv-provider.js';

/** A provider list with the quirks of real ones: BOM, CRLF, a header, broken lines. */
function list(base: string, entries: Array<[attrs: string, title: string, path: string, between?: string] | string>): Buffer {
  const lines = ['#EXTM3U x-tvg-url="http://epg.example/guide.xml"'];
  for (const e of entries) {
    if (typeof e === 'string') lines.push(e);
    else lines.push(`#EXTINF:-1 ${e[0]},${e[1]}`, ...(e[3] ? [e[3]] : []), `${base}${e[2]}`);
  }
  return Buffer.from(`\uFEFF${lines.join('\r\n')}\r\n`);
}

const UA = 'IPTVSmartersPro';

function v1(base: string): Buffer {
  return list(base, [
    ['tvg-logo="http://img.example/duna.jpg" group-title="Filmes | Lançamentos"', 'Duna: Parte Dois (2024) 720p', '/movie/u/p/1001.mp4', '#EXTVLCOPT:http-user-agent=VLC/3.0.20'],
    ['group-title="Filmes | Ação"', 'Missão: Impossível (1996)', '/movie/u/p/1002.mp4'],
    ['group-title="Séries | Netflix"', 'Round 6 S02E03', '/series/u/p/2001.mp4'],
    ['group-title="Séries | Netflix"', 'Round 6 S02E04', '/series/u/p/2002.mp4'],
    ['group-title="NOVELAS"', 'Avenida Brasil Cap 102', '/series/u/p/3001.mp4'],
    ['group-title="SPORTV"', 'SPORTV 2 FHD', '/live/u/p/9001.ts'],
    '#EXTINF:-1 group-title="Filmes | Ação",Entrada Quebrada',
    'lixo sem url',
    ['group-title="Filmes | Drama"', 'Cidade de Deus (2002)', '/movie/u/p/1003.mp4'],
    ['group-title="Filmes | Drama"', 'Central do Brasil (1998) 360p', '/movie/u/p/1004.mp4'],
    ['group-title="4K"', 'Oppenheimer (2023) [4K]', '/movie/u/p/1005.mp4'],
  ]);
}

/** The next day's list: an upgrade, a rotated URL, a new episode, a removal and a rename. */
function v2(base: string): Buffer {
  return list(base, [
    ['tvg-logo="http://img.example/duna.jpg" group-title="Filmes | Lançamentos"', 'Duna: Parte Dois (2024) 1080p', '/movie/u/p/1011.mp4'],
    ['group-title="Filmes | Ação"', 'Missão: Impossível (1996)', '/movie/u/p/1102.mp4'],
    ['group-title="Séries | Netflix"', 'Round 6 S02E03', '/series/u/p/2001.mp4'],
    ['group-title="Séries | Netflix"', 'Round 6 S02E04', '/series/u/p/2002.mp4'],
    ['group-title="Séries | Netflix"', 'Round 6 S02E05', '/series/u/p/2003.mp4'],
    ['group-title="SPORTV"', 'SPORTV 2 FHD', '/live/u/p/9001.ts'],
    ['group-title="Filmes | Drama"', 'Cidade de Deus - O Filme (2002)', '/movie/u/p/1003.mp4'],
    ['group-title="Filmes | Drama"', 'Central do Brasil (1998) 360p', '/movie/u/p/1004.mp4'],
    ['group-title="4K"', 'Oppenheimer (2023) [4K]', '/movie/u/p/1005.mp4'],
  ]);
}

describe('M3U sources: sync, diff, items, rules, selection', () => {
  let provider: FakeProvider;
  let app: TestApp;
  let server: ReturnType<TestApp['koa']['callback']>;
  const events: SyncSummary[] = [];

  beforeAll(async () => {
    provider = await startFakeProvider();
  });
  afterAll(() => provider.close());
  beforeEach(async () => {
    app = await makeTestApp();
    server = app.koa.callback();
    // Jobs stay queued: these tests look at what is created, not at downloads.
    await app.jobs.pauseQueue();
    events.length = 0;
    app.bus.on('sync.completed', (e) => void events.push(e));
    provider.list = v1(provider.baseUrl);
    provider.requiredUserAgent = UA;
    provider.hits.clear();
  });
  afterEach(() => app.dispose());

  const createSource = async (body: Record<string, unknown> = {}): Promise<string> => {
    const res = await request(server)
      .post('/api/sources')
      .send({ name: 'Provedor', kind: 'm3u', url: `${provider.baseUrl}/list.m3u`, headers: { 'User-Agent': UA }, ...body });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body.id as string;
  };
  const sync = async (id: string, query = ''): Promise<SyncRecord> => {
    const res = await request(server).post(`/api/sources/${id}/sync${query}`);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return res.body as SyncRecord;
  };
  const items = async (id: string, query: string): Promise<{ items: ItemView[]; total: number }> => {
    const res = await request(server).get(`/api/sources/${id}/items?${query}`);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return res.body;
  };
  const names = (page: { items: ItemView[] }) => page.items.map((i) => i.name).sort();

  it('two syncs in a row: counts, and new / upgrade / removed / changed URL / renamed by identity', async () => {
    const id = await createSource();
    const first = await sync(id);
    expect(first.status).toBe('completed');
    expect(first.counts).toMatchObject({
      entries: 9, // 8 VOD + 1 live; the broken EXTINF and the garbage line are not entries
      malformed: 2,
      filtered: 1, // the live channel
      rejected: 1, // 360p is below the 480p minimum
      optional: 1, // 4K: listed, selectable, never automatic
      accepted: 6,
      new: 7,
      removed: 0,
      items: 7,
    });
    expect(first.issues.map((i) => i.kind).sort()).toEqual(['extinf-without-url', 'not-a-url']);
    expect(first.new_titles).toContain('Duna: Parte Dois (2024)');

    const all = await items(id, 'status=all&limit=50');
    expect(all.total).toBe(7);
    const duna = all.items.find((i) => i.name.startsWith('Duna'))!;
    expect(duna).toMatchObject({ title: 'Duna: Parte Dois', content_type: 'movie', year: 2024, quality: '720p', group: 'Filmes | Lançamentos', status: 'new', logo: 'http://img.example/duna.jpg', priority: 'high' });
    const episode = all.items.find((i) => i.name === 'Round 6 S02E04')!;
    expect(episode).toMatchObject({ content_type: 'series', show: 'Round 6', season: 2, episode: 4 });
    expect(all.items.find((i) => i.name.startsWith('Avenida'))).toMatchObject({ content_type: 'novela', season: null, episode: 102 });
    expect(all.items.find((i) => i.name.startsWith('Oppenheimer'))).toMatchObject({ quality: '2160p', quality_status: 'optional' });

    provider.list = v2(provider.baseUrl);
    const second = await sync(id);
    expect(second.counts).toMatchObject({ entries: 9, malformed: 0, new: 1, upgraded: 1, removed: 1, changed_url: 1, renamed: 1, items: 7 });
    expect(second.anomaly).toBeNull();
    expect(names(await items(id, 'status=new'))).toEqual(['Round 6 S02E05']);
    expect(names(await items(id, 'status=upgrade'))).toEqual(['Duna: Parte Dois (2024) 1080p']);
    expect(names(await items(id, 'status=removed'))).toEqual(['Avenida Brasil Cap 102']);
    const missao = (await items(id, 'q=missao')).items[0]!;
    // Xtream-style paths carry the account: the API masks them (the job keeps the real URL).
    expect(missao.url).toBe(`${provider.baseUrl}/movie/[redacted]/[redacted]/1102.mp4`);
    expect(missao.status).toBe('listed');
    // The item keeps its id across the rename and the URL change.
    expect((await items(id, 'q=cidade')).items[0]!.id).toBe(all.items.find((i) => i.name.startsWith('Cidade'))!.id);

    // Filters and paging.
    expect((await items(id, 'type=series')).total).toBe(3);
    expect((await items(id, 'group=Filmes | *')).total).toBe(3);
    expect((await items(id, 'quality=1080p')).total).toBe(1);
    expect((await items(id, 'year=1996')).total).toBe(1);
    const page = await items(id, 'limit=2&offset=2');
    expect([page.items.length, page.total]).toEqual([2, 7]);
    // Newest first: the items of the second sync lead.
    expect((await items(id, 'limit=2')).items.map((i) => i.status).sort()).toEqual(['new', 'upgrade']);

    const history = await request(server).get(`/api/sources/${id}/syncs`);
    expect(history.body.total).toBe(2);
    expect(history.body.items[0].id).toBe(second.id);
    expect(events.map((e) => [e.new_items, e.updated_items, e.removed_items, e.error])).toEqual([
      [7, 0, 0, null],
      [1, 1, 1, null],
    ]);
    expect(events[1]).toMatchObject({ source: { id, name: 'Provedor' }, total_items: 7, queued: 0 });
    expect(events[1]!.record?.id).toBe(second.id);

    const view = await request(server).get(`/api/sources/${id}`);
    expect(view.body).toMatchObject({ status: 'ok', item_count: 7, last_sync_id: second.id, error: null });
  });

  it('an unchanged list rewrites neither the catalogue nor another source\'s; jobs are untouched', async () => {
    const a = await createSource();
    const b = await createSource({ name: 'Outro' });
    await sync(a);
    await sync(b);
    await request(server).post(`/api/sources/${a}/downloads`).send({ ids: [1] }).expect(201);
    const file = (id: string) => path.join(app.config.data_dir, 'catalogues', `${id}.ndjson`);
    const before = [await stat(file(a)), await stat(file(b))];
    const bytesBefore = await readFile(file(a));
    const jobsBefore = JSON.stringify(app.store.data.jobs);
    const again = await sync(a);
    expect(again.counts).toMatchObject({ new: 0, upgraded: 0, removed: 0, changed_url: 0 });
    const after = [await stat(file(a)), await stat(file(b))];
    expect(after.map((s) => [s.ino, s.mtimeMs])).toEqual(before.map((s) => [s.ino, s.mtimeMs]));
    expect(await readFile(file(a))).toEqual(bytesBefore);
    expect(JSON.stringify(app.store.data.jobs)).toBe(jobsBefore);
    // The catalogue is not in db.json.
    await app.store.flush();
    const db = await readFile(path.join(app.config.data_dir, 'db.json'), 'utf8');
    expect(db).not.toContain('/movie/u/p/1003.mp4');
    // "New" means since the last sync: nothing now.
    expect((await items(a, 'status=new')).total).toBe(0);
  });

  it('a truncated list removes nothing and the sync reports the anomaly', async () => {
    const movies: Array<[string, string, string]> = Array.from({ length: 20 }, (_, i) => ['group-title="Filmes"', `Filme Número ${i + 1} (2010)`, `/movie/u/p/${7000 + i}.mp4`]);
    provider.list = list(provider.baseUrl, movies);
    const id = await createSource();
    await sync(id);
    provider.list = list(provider.baseUrl, movies.slice(0, 12));
    const cut = await sync(id);
    expect(cut.status).toBe('completed');
    expect(cut.anomaly).toMatchObject({ kind: 'vanished', previous: 20, missing: 8 });
    expect(cut.counts.removed).toBe(0);
    expect((await items(id, 'status=all')).total).toBe(20);
    expect((await items(id, 'status=removed')).total).toBe(0);
    // Once the provider is whole again nothing was lost.
    provider.list = list(provider.baseUrl, movies);
    expect((await sync(id)).counts).toMatchObject({ new: 0, removed: 0 });
  });

  it('rules queue the right downloads, carrying headers and naming data; dry-run only reports', async () => {
    const id = await createSource({
      rules: [
        { kind: 'series', value: 'round 6', name: 'Round 6' },
        { kind: 'group', value: 'Filmes | Drama' },
        { kind: 'title', value: '*duna*' },
        { kind: 'group', value: 'Filmes | Ação', dry_run: true },
      ],
    });
    const first = await sync(id);
    expect(first.queued.map((q) => [q.rule, q.title]).sort()).toEqual([
      ['*duna*', 'Duna: Parte Dois (2024)'],
      ['Filmes | Drama', 'Cidade de Deus (2002)'],
      ['Round 6', 'Round 6 S02E03'],
      ['Round 6', 'Round 6 S02E04'],
    ]);
    expect(first.would_queue.map((q) => q.title)).toEqual(['Missão: Impossível (1996)']);
    expect(first.counts.queued).toBe(4);
    const jobs = app.store.data.jobs;
    expect(jobs).toHaveLength(4);
    const duna = jobs.find((j) => j.title.startsWith('Duna'))!;
    expect(duna).toMatchObject({
      source_id: id,
      content_type: 'movie',
      year: 2024,
      priority: 'high',
      url: `${provider.baseUrl}/movie/u/p/1001.mp4`,
      headers: { 'User-Agent': 'VLC/3.0.20' }, // the entry's #EXTVLCOPT wins over the source's header
    });
    const e3 = jobs.find((j) => j.title === 'Round 6 S02E03')!;
    expect(e3).toMatchObject({ show: 'Round 6', season: 2, episode: 3, content_type: 'series', headers: { 'User-Agent': UA }, priority: 'medium' });
    // Queued items count as the library.
    expect(names(await items(id, 'status=downloaded'))).toHaveLength(4);

    provider.list = v2(provider.baseUrl);
    const second = await sync(id);
    // The new episode, and the 1080p Duna as an upgrade of the queued 720p; nothing twice.
    expect(second.queued.map((q) => q.title).sort()).toEqual(['Duna: Parte Dois (2024)', 'Round 6 S02E05']);
    expect(app.store.data.jobs).toHaveLength(6);

    // A dry-run sync creates nothing.
    const dry = await sync(id, '?dry_run=true');
    expect([dry.dry_run, dry.queued.length]).toEqual([true, 0]);
    expect(app.store.data.jobs).toHaveLength(6);
  });

  it('max per sync, and the preview of a rule', async () => {
    const id = await createSource({ rules: [{ kind: 'series', value: 'Round 6', max_per_sync: 1 }] });
    const first = await sync(id);
    expect(first.queued.map((q) => q.title)).toEqual(['Round 6 S02E03']);
    const preview = await request(server)
      .post(`/api/sources/${id}/rules/preview`)
      .send({ rules: [{ kind: 'group', value: 'Filmes | *', max_per_sync: 5 }], scope: 'all' });
    expect(preview.status).toBe(200);
    expect(preview.body.items.map((m: { item: ItemView }) => m.item.title).sort()).toEqual(['Cidade de Deus', 'Duna: Parte Dois', 'Missão: Impossível']);
    expect(app.store.data.jobs).toHaveLength(1);
  });

  it('a selection becomes downloads in one call; the library is not downloaded twice unless forced', async () => {
    const id = await createSource();
    await sync(id);
    const all = await items(id, 'status=all');
    const pick = all.items.filter((i) => i.name === 'Round 6 S02E04' || i.name.startsWith('Oppenheimer')).map((i) => i.id);
    const res = await request(server).post(`/api/sources/${id}/downloads`).send({ ids: [...pick, 999], priority: 'low' });
    expect(res.status).toBe(201);
    expect(res.body.items).toHaveLength(2);
    expect(res.body.skipped).toEqual([{ id: 999, reason: 'not_found' }]);
    const ep = res.body.items.find((j: { title: string }) => j.title === 'Round 6 S02E04');
    expect(ep).toMatchObject({ priority: 'low', source_id: id, show: 'Round 6', season: 2, episode: 4, content_type: 'series', headers: { 'User-Agent': UA } });
    const again = await request(server).post(`/api/sources/${id}/downloads`).send({ ids: pick });
    expect([again.status, again.body.items.length, again.body.skipped.map((s: { reason: string }) => s.reason)]).toEqual([200, 0, ['already_downloaded', 'already_downloaded']]);
    const forced = await request(server).post(`/api/sources/${id}/downloads`).send({ ids: pick.slice(0, 1), force: true });
    expect(forced.body.items).toHaveLength(1);
    const downloaded = await items(id, 'status=downloaded');
    expect(downloaded.items.every((i) => typeof i.job_id === 'string')).toBe(true);
  });

  it('a failing provider fails the sync (recorded, with the reason) and keeps the catalogue', async () => {
    const id = await createSource();
    await sync(id);
    provider.requiredUserAgent = 'something else';
    const failed = await sync(id);
    expect(failed).toMatchObject({ status: 'failed', error: { code: 'sync_failed' } });
    expect(failed.error!.message).toMatch(/HTTP 403/);
    expect((await items(id, 'status=all')).total).toBe(7);
    expect((await request(server).get(`/api/sources/${id}`)).body).toMatchObject({ status: 'failed', error: { code: 'sync_failed' } });
    expect(events.at(-1)!.error).toMatch(/HTTP 403/);
    // An HTML page is not a playlist.
    provider.requiredUserAgent = null;
    provider.list = '<html><body>Login</body></html>';
    expect((await sync(id)).error).toMatchObject({ code: 'not_a_playlist' });
  });

  it('a second sync of a source that is syncing is refused with 409', async () => {
    const id = await createSource();
    let release!: () => void;
    provider.holdList = new Promise<void>((r) => (release = r));
    const running = request(server).post(`/api/sources/${id}/sync`).then((r) => r);
    await waitFor(() => (provider.hits.get('/list.m3u') ? true : undefined), 5000, 'the list request');
    const again = await request(server).post(`/api/sources/${id}/sync`);
    expect([again.status, again.body.error?.code]).toEqual([409, 'sync_running']);
    release();
    provider.holdList = null;
    expect((await running).status).toBe(200);
  });
});

describe('stopping during a sync', () => {
  it('aborts the running sync and stops promptly, recording why', async () => {
    const provider = await startFakeProvider();
    const app = await makeTestApp();
    try {
      provider.list = '#EXTM3U\n#EXTINF:-1,Bacurau (2019)\nhttp://p/movie/u/p/1.mp4\n';
      const created = await request(app.koa.callback()).post('/api/sources').send({ name: 'P', kind: 'm3u', url: `${provider.baseUrl}/list.m3u` });
      provider.holdList = new Promise<void>(() => undefined); // never answers
      const running = app.sources.sync(created.body.id);
      await waitFor(() => (provider.hits.get('/list.m3u') ? true : undefined), 5000);
      const started = Date.now();
      await app.stop();
      // Without the abort, stop() would wait for the held list until request_timeout_s (30 s by
      // default). 10 s tells the two apart and leaves a loaded machine room to stop every service.
      expect(Date.now() - started).toBeLessThan(10_000);
      const record = await running;
      expect(record).toMatchObject({ status: 'failed', error: { code: 'shutdown' } });
    } finally {
      await provider.close();
      await app.dispose().catch(() => undefined);
    }
  });
});
