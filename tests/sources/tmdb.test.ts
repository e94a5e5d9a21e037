import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createHttpClient, DEFAULT_USER_AGENT } from '../../addon/platform/http.js';
import { createLogger } from '../../addon/platform/logger.js';
import { TmdbClient } from '../../addon/sources/tmdb.js';
import { TtlLru } from '../../addon/sources/ttl-lru.js';
import { startFakeTmdb, type FakeTmdb } from '../fakes/tmdb.js';

describe('TtlLru', () => {
  it('evicts the least recently used and expires on the clock', () => {
    let now = 0;
    const c = new TtlLru<string, number>(2, 1000, () => now);
    c.set('a', 1);
    c.set('b', 2);
    expect(c.get('a')).toBe(1); // a is now the most recent
    c.set('c', 3);
    expect([c.has('a'), c.has('b'), c.has('c')]).toEqual([true, false, true]);
    now = 999;
    expect(c.get('c')).toBe(3);
    now = 1000;
    expect(c.get('c')).toBeUndefined();
  });
});

describe('TmdbClient against a fake TMDB', () => {
  let tmdb: FakeTmdb;
  let now = 0;
  const http = createHttpClient({ timeoutMs: 5000, maxSocketsPerHost: 4, userAgent: DEFAULT_USER_AGENT });
  const logs: string[] = [];
  const logger = createLogger('debug', { write: (s: string) => void logs.push(s) });
  const clock = { now: () => now, sleep: async () => undefined };
  const client = (apiKey: string | undefined) => new TmdbClient({ http, apiKey, baseUrl: tmdb.baseUrl, language: 'pt-BR', clock, logger });

  beforeAll(async () => {
    tmdb = await startFakeTmdb();
    tmdb.movies.push(
      { id: 693134, title: 'Duna: Parte Dois', original_title: 'Dune: Part Two', overview: 'Paul Atreides se une a Chani.', poster_path: '/poster.jpg', genre_ids: [878, 12], release_date: '2024-02-27' },
      { id: 155, title: 'Batman: O Cavaleiro das Trevas', original_title: 'The Dark Knight', overview: '', poster_path: null, genre_ids: [18, 28], release_date: '2008-07-16' },
    );
    tmdb.shows.push({ id: 93405, name: 'Round 6', original_name: '오징어 게임', overview: 'Centenas de jogadores...', poster_path: '/r6.jpg', genre_ids: [10759, 9648, 18], first_air_date: '2021-09-17' });
  });
  afterAll(async () => {
    await tmdb.close();
    http.close();
  });
  beforeEach(() => {
    tmdb.requests.length = 0;
    tmdb.rateLimited = false;
    logs.length = 0;
  });

  it('searches a movie by title and year (api_key) and keeps id, poster, genres, original title, overview', async () => {
    const c = client(tmdb.apiKey);
    const info = await c.lookup({ kind: 'movie', title: 'Duna: Parte Dois', year: 2024 });
    expect(info).toEqual({
      id: 693134,
      media_type: 'movie',
      title: 'Duna: Parte Dois',
      original_title: 'Dune: Part Two',
      overview: 'Paul Atreides se une a Chani.',
      poster: 'https://image.tmdb.org/t/p/w342/poster.jpg',
      genres: ['Science Fiction', 'Adventure'],
      year: 2024,
    });
    const search = tmdb.requests.find((r) => r.path === '/3/search/movie')!;
    expect(search.query).toMatchObject({ query: 'Duna: Parte Dois', year: '2024', api_key: tmdb.apiKey, language: 'pt-BR' });
  });

  it('uses Bearer for a v4 token; a TV search uses first_air_date_year', async () => {
    const c = client(tmdb.bearer);
    const info = await c.lookup({ kind: 'tv', title: 'Round 6', year: 2021 });
    expect(info).toMatchObject({ id: 93405, media_type: 'tv', original_title: '오징어 게임', genres: ['Action & Adventure', 'Mystery', 'Drama'] });
    const search = tmdb.requests.find((r) => r.path === '/3/search/tv')!;
    expect(search.auth).toBe(`Bearer ${tmdb.bearer}`);
    expect(search.query.api_key).toBeUndefined();
    expect(search.query.first_air_date_year).toBe('2021');
  });

  it('a year off by one still matches; the cache (misses included) holds for an hour', async () => {
    const c = client(tmdb.apiKey);
    expect((await c.lookup({ kind: 'movie', title: 'Batman: O Cavaleiro das Trevas', year: 2009 }))?.id).toBe(155);
    expect(await c.lookup({ kind: 'movie', title: 'Filme Que Não Existe', year: 2001 })).toBeNull();
    const sent = c.requests;
    await c.lookup({ kind: 'movie', title: 'batman: o cavaleiro das trevas', year: 2009 });
    await c.lookup({ kind: 'movie', title: 'Filme Que Não Existe', year: 2001 });
    expect(c.requests).toBe(sent);
    now += 60 * 60 * 1000;
    await c.lookup({ kind: 'movie', title: 'Filme Que Não Existe', year: 2001 });
    expect(c.requests).toBeGreaterThan(sent);
  });

  it('without a key: null and no request; a bad key: null, one warning, and a pause', async () => {
    expect(await client(undefined).lookup({ kind: 'movie', title: 'Duna: Parte Dois', year: 2024 })).toBeNull();
    expect(tmdb.requests).toHaveLength(0);
    const bad = client('0000');
    expect(await bad.lookup({ kind: 'movie', title: 'Duna: Parte Dois', year: 2024 })).toBeNull();
    expect(await bad.lookup({ kind: 'movie', title: 'Outro', year: 2024 })).toBeNull();
    expect(tmdb.requests).toHaveLength(1);
    expect(logs.filter((l) => l.includes('TMDB refused the API key'))).toHaveLength(1);
    expect(logs.join('\n')).not.toContain('0000');
  });

  it('429: null, quietly, and lookups pause for a while instead of hammering', async () => {
    const c = client(tmdb.apiKey);
    tmdb.rateLimited = true;
    expect(await c.lookup({ kind: 'movie', title: 'Duna: Parte Dois', year: 2024 })).toBeNull();
    const sent = tmdb.requests.length;
    expect(await c.lookup({ kind: 'movie', title: 'Duna: Parte Dois', year: 2024 })).toBeNull();
    expect(tmdb.requests.length).toBe(sent);
    tmdb.rateLimited = false;
    now += 11_000;
    expect((await c.lookup({ kind: 'movie', title: 'Duna: Parte Dois', year: 2024 }))?.id).toBe(693134);
    expect(logs.some((l) => /"level":"(warn|error)"/.test(l))).toBe(false);
  });
});
