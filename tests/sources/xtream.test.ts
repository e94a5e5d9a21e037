import request from 'supertest';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../addon/platform/logger.js';
import type { ItemView, SyncRecord } from '../../addon/sources/model.js';
import { makeTestApp, waitFor, type TestApp } from '../helpers/app.js';
import { emptyXtream, startFakeProvider, type FakeProvider, type XtreamModel } from '../fakes/iptv-provider.js';
import { startFakeTmdb, type FakeTmdb } from '../fakes/tmdb.js';

/** A panel as inconsistent as real ones: numbers as strings, `info: []`, objects for arrays. */
function panel(): XtreamModel {
  const x = emptyXtream();
  x.vodCategories = [
    { category_id: '10', category_name: 'Filmes | Ação', parent_id: 0 },
    { category_id: 11, category_name: 'Filmes | Drama', parent_id: 0 },
  ];
  x.vodStreams = [
    { num: 1, name: 'Missão: Impossível (1996)', stream_type: 'movie', stream_id: '501', stream_icon: 'http://img.example/mi.jpg', rating: '7.1', added: '1700000000', category_id: '10', container_extension: 'mkv', tmdb: '954' },
    { num: '2', name: 'Cidade de Deus [L]', stream_type: 'movie', stream_id: 502, stream_icon: '', category_id: 11, container_extension: 'mp4', year: '2002' },
    { num: 3, name: '', stream_id: 'abc' }, // malformed: no name, no numeric id
    { num: 4, name: 'Duna: Parte Dois (2024) 4K', stream_id: 503, category_id: '10', container_extension: '.mp4' },
  ];
  x.seriesCategories = [
    { category_id: '20', category_name: 'Séries | Netflix' },
    { category_id: '21', category_name: 'NOVELAS' },
  ];
  x.series = [
    { num: 1, name: 'Round 6 (2021)', series_id: '77', cover: 'http://img.example/r6.jpg', plot: '...', genre: 'Drama', releaseDate: '2021-09-17', last_modified: '1700000100', category_id: '20', tmdb: '93405' },
    { num: 2, name: 'Avenida Brasil', series_id: 78, cover: '', release_date: '2012-03-26', last_modified: '1700000200', category_id: '21' },
    { num: 3, name: 'Vazia', series_id: '79', last_modified: '1700000300', category_id: '20' },
  ];
  x.seriesInfo = {
    '77': {
      seasons: [{ season_number: 1, name: 'Temporada 1' }],
      info: { name: 'Round 6', tmdb: '93405' },
      episodes: {
        '1': [
          { id: '9001', episode_num: '1', title: 'Round 6 - S01E01 - Red Light, Green Light', container_extension: 'mp4', season: '1', info: { tmdb_id: 2345, duration_secs: 3600 } },
          { id: 9002, episode_num: 2, title: 'Round 6 - S01E02', container_extension: 'mkv', season: 1, info: [] },
        ],
        '2': { '0': { id: '9010', episode_num: '1', title: 'Round 6 - S02E01', container_extension: 'mp4', info: [] } },
      },
    },
    '78': { seasons: [], info: [], episodes: { '1': [{ id: '9100', episode_num: '102', title: 'Avenida Brasil Cap 102', container_extension: 'mp4', info: [] }] } },
    '79': { seasons: [], info: [], episodes: [] },
  };
  return x;
}

describe('Xtream Codes sources', () => {
  let provider: FakeProvider;
  let tmdb: FakeTmdb;
  let app: TestApp;
  let server: ReturnType<TestApp['koa']['callback']>;
  const logs: string[] = [];

  beforeAll(async () => {
    provider = await startFakeProvider();
    tmdb = await startFakeTmdb();
    tmdb.movies.push({ id: 954, title: 'Missão: Impossível', original_title: 'Mission: Impossible', overview: 'Ethan Hunt...', poster_path: '/mi.jpg', genre_ids: [28], release_date: '1996-05-22' });
    tmdb.shows.push({ id: 93405, name: 'Round 6', original_name: '오징어 게임', overview: '...', poster_path: '/r6.jpg', genre_ids: [18], first_air_date: '2021-09-17' });
  });
  afterAll(async () => {
    await provider.close();
    await tmdb.close();
  });
  beforeEach(async () => {
    provider.xtream = panel();
    provider.hits.clear();
    provider.urls.length = 0;
    logs.length = 0;
    app = await makeTestApp(
      { TMDB_API_KEY: tmdb.apiKey, TMDB_BASE_URL: tmdb.baseUrl, TMDB_LANGUAGE: 'pt-BR' },
      { logger: createLogger('trace', { write: (s: string) => void logs.push(s) }) },
    );
    server = app.koa.callback();
    await app.jobs.pauseQueue();
  });
  afterEach(() => app.dispose());

  const create = async (): Promise<string> => {
    const res = await request(server)
      .post('/api/sources')
      .send({ name: 'Meu IPTV', kind: 'xtream', server: `${provider.baseUrl}/player_api.php`, username: provider.xtream.username, password: provider.xtream.password });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body.id as string;
  };

  it('reads categories, VOD and series episodes leniently; secrets never leave the add-on', async () => {
    const id = await create();
    const created = await request(server).get(`/api/sources/${id}`);
    expect(created.body).toMatchObject({ kind: 'xtream', server: `${provider.baseUrl}/player_api.php`, username: 'cliente', has_password: true });
    expect(created.body.password).toBeUndefined();

    const res = await request(server).post(`/api/sources/${id}/sync`);
    const record = res.body as SyncRecord;
    expect(record.status, JSON.stringify(record.error)).toBe('completed');
    expect(record.counts).toMatchObject({ entries: 7, malformed: 1, accepted: 6, optional: 1, new: 7 });
    expect(record.account).toEqual({ status: 'Active', max_connections: 2, expires_at: '2030-01-01T00:00:00.000Z' });

    const items = (await request(server).get(`/api/sources/${id}/items?limit=100`)).body.items as ItemView[];
    const by = (name: string) => items.find((i) => i.name === name)!;
    expect(by('Missão: Impossível (1996)')).toMatchObject({ content_type: 'movie', year: 1996, group: 'Filmes | Ação', logo: 'http://img.example/mi.jpg' });
    expect(by('Missão: Impossível (1996)').tmdb).toMatchObject({ id: 954, original_title: 'Mission: Impossible', genres: ['Action'] });
    expect(by('Cidade de Deus [L]')).toMatchObject({ year: 2002, language: 'subtitled', group: 'Filmes | Drama' });
    expect(by('Round 6 - S01E01 - Red Light, Green Light')).toMatchObject({ content_type: 'series', show: 'Round 6', season: 1, episode: 1, group: 'Séries | Netflix' });
    expect(by('Round 6 - S02E01')).toMatchObject({ season: 2, episode: 1 });
    expect(by('Round 6 - S02E01').tmdb).toMatchObject({ id: 93405 });
    expect(by('Avenida Brasil Cap 102')).toMatchObject({ content_type: 'novela', episode: 102 });
    expect(by('Round 6 - S01E02').url).toBe(`${provider.baseUrl}/series/[redacted]/[redacted]/9002.mkv`);

    // A download gets the real URL for its own requests; the API shows it masked.
    const dl = await request(server).post(`/api/sources/${id}/downloads`).send({ ids: [by('Missão: Impossível (1996)').id] });
    expect(dl.status).toBe(201);
    expect(dl.body.items[0]).toMatchObject({ url: `${provider.baseUrl}/movie/[redacted]/[redacted]/501.mkv`, tmdb_id: 954, year: 1996, source_id: id });
    const job = app.jobs.get(dl.body.items[0].id);
    expect(job.url).toBe(`${provider.baseUrl}/movie/cliente/s3cr3t-P4ss/501.mkv`);

    // Nothing the API answers or the log says contains the password.
    const answers = await Promise.all(
      ['/api/sources', `/api/sources/${id}`, `/api/sources/${id}/syncs`, `/api/sources/${id}/items?limit=500`, '/api/downloads', `/api/downloads/${job.id}`].map((p) => request(server).get(p)),
    );
    for (const a of answers) {
      expect(a.status).toBe(200);
      expect(a.text).not.toContain(provider.xtream.password);
    }
    expect(res.text).not.toContain(provider.xtream.password);
    const log = logs.join('');
    expect(log.length).toBeGreaterThan(0);
    expect(log).not.toContain(provider.xtream.password);
    expect(log).not.toContain(tmdb.apiKey);
    // The catalogue file holds placeholders, not the account.
    const { readFile } = await import('node:fs/promises');
    const file = await readFile(app.sources.files.pathOf(id), 'utf8');
    expect(file).not.toContain(provider.xtream.password);
    expect(file).toContain('/movie/{username}/{password}/501.mkv');
  });

  it('series are read again only when last_modified changes', async () => {
    const id = await create();
    await request(server).post(`/api/sources/${id}/sync`).expect(200);
    expect(provider.hits.get('api:get_series_info')).toBe(3);
    // Same panel: no series re-read, the episodes are kept.
    const again = (await request(server).post(`/api/sources/${id}/sync`)).body as SyncRecord;
    expect(again.counts).toMatchObject({ entries: 7, new: 0, removed: 0 });
    expect(provider.hits.get('api:get_series_info')).toBe(3);
    // A new episode: the panel bumps last_modified of that series only.
    const info = provider.xtream.seriesInfo['77'] as { episodes: Record<string, unknown[]> };
    info.episodes['1']!.push({ id: '9003', episode_num: '3', title: 'Round 6 - S01E03', container_extension: 'mp4', info: [] });
    provider.xtream.series[0]!.last_modified = '1700009999';
    const third = (await request(server).post(`/api/sources/${id}/sync`)).body as SyncRecord;
    expect(provider.hits.get('api:get_series_info')).toBe(4);
    expect(third.counts).toMatchObject({ new: 1, removed: 0, entries: 8 });
    expect(third.new_titles).toEqual(['Round 6 S01E03']);
  });

  it('a refused login fails the sync clearly; a changed password is write-only and takes effect', async () => {
    const id = await create();
    provider.xtream.password = 'changed-on-the-panel';
    const failed = (await request(server).post(`/api/sources/${id}/sync`)).body as SyncRecord;
    expect(failed).toMatchObject({ status: 'failed', error: { code: 'provider_auth', message: 'the Xtream panel refused the username or password' } });
    const patched = await request(server).patch(`/api/sources/${id}`).send({ password: 'changed-on-the-panel' });
    expect([patched.status, patched.body.has_password, patched.body.password]).toEqual([200, true, undefined]);
    expect(((await request(server).post(`/api/sources/${id}/sync`)).body as SyncRecord).status).toBe('completed');
    await waitFor(() => (app.sources.isSyncing(id) ? undefined : true));
  });
});
