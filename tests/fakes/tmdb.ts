/**
 * A loopback TMDB (api.themoviedb.org/3) speaking its wire format for what the add-on uses:
 * /search/movie?query=&year=, /search/tv?query=&first_air_date_year=, /genre/{movie,tv}/list.
 * Auth as TMDB does it: `api_key=` (v3) or `Authorization: Bearer` (v4 token); 401 with
 * status_code 7 otherwise. `rateLimited` answers 429 with status_code 25.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeTmdbMovie {
  id: number;
  title: string;
  original_title: string;
  overview: string;
  poster_path: string | null;
  genre_ids: number[];
  release_date: string;
  /** For /movie/{id} (artwork). */
  backdrop_path?: string | null;
}

export interface FakeTmdbShow {
  id: number;
  name: string;
  original_name: string;
  overview: string;
  poster_path: string | null;
  genre_ids: number[];
  first_air_date: string;
  /** For /tv/{id} and its episodes (NFO files and artwork). */
  backdrop_path?: string | null;
  seasons?: Array<{ season_number: number; poster_path: string | null }>;
  episodes?: Array<{ id: number; season_number: number; episode_number: number; name: string; overview: string; air_date: string; still_path: string | null }>;
}

export interface FakeTmdb {
  /** http://127.0.0.1:port/3 */
  baseUrl: string;
  apiKey: string;
  bearer: string;
  movies: FakeTmdbMovie[];
  shows: FakeTmdbShow[];
  rateLimited: boolean;
  /** Image CDN paths served (as image.tmdb.org/t/p/<size>/<file>), no auth, like the real CDN. */
  imageRequests: string[];
  /** Path and query of every request (api_key included, to check it is never logged elsewhere). */
  requests: Array<{ path: string; query: Record<string, string>; auth: string | undefined }>;
  close(): Promise<void>;
}

const MOVIE_GENRES = [
  { id: 28, name: 'Action' },
  { id: 18, name: 'Drama' },
  { id: 878, name: 'Science Fiction' },
  { id: 12, name: 'Adventure' },
];
const TV_GENRES = [
  { id: 18, name: 'Drama' },
  { id: 10759, name: 'Action & Adventure' },
  { id: 9648, name: 'Mystery' },
];

const fold = (s: string): string => s.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase();

export async function startFakeTmdb(): Promise<FakeTmdb> {
  const fake: FakeTmdb = {
    baseUrl: '',
    apiKey: 'a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6',
    bearer: 'eyJhbGciOiJIUzI1NiJ9.eyJhdWQiOiJ0ZXN0In0.c2lnbmF0dXJl',
    movies: [],
    shows: [],
    rateLimited: false,
    imageRequests: [],
    requests: [],
    close: async () => undefined,
  };
  let port = 0;
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const query = Object.fromEntries(url.searchParams);
    const image = /^\/t\/p\/(w\d+|original)\/([\w-]+\.jpg)$/.exec(url.pathname);
    if (image) {
      // The image CDN: a small JPEG whose bytes name the file, so tests can tell which one landed.
      fake.imageRequests.push(url.pathname);
      const body = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.from(`JFIF ${image[2]} ${image[1]}`), Buffer.from([0xff, 0xd9])]);
      res.writeHead(200, { 'content-type': 'image/jpeg', 'content-length': body.length });
      res.end(body);
      return;
    }
    fake.requests.push({ path: url.pathname, query, auth: req.headers.authorization });
    const send = (status: number, body: unknown): void => {
      const text = JSON.stringify(body);
      res.writeHead(status, { 'content-type': 'application/json;charset=utf-8', 'content-length': Buffer.byteLength(text) });
      res.end(text);
    };
    const authorised = query.api_key === fake.apiKey || req.headers.authorization === `Bearer ${fake.bearer}`;
    if (!authorised) {
      send(401, { status_code: 7, status_message: 'Invalid API key: You must be granted a valid key.', success: false });
      return;
    }
    if (fake.rateLimited) {
      res.setHeader('retry-after', '1');
      send(429, { status_code: 25, status_message: 'Your request count (41) is over the allowed limit of (40).', success: false });
      return;
    }
    const page = <T>(results: T[]): unknown => ({ page: 1, results, total_pages: results.length > 0 ? 1 : 0, total_results: results.length });
    const q = fold(query.query ?? '');
    switch (url.pathname) {
      case '/3/search/movie': {
        const year = query.year ?? query.primary_release_year;
        send(200, page(fake.movies.filter((m) => fold(m.title).includes(q) && (!year || m.release_date.startsWith(year)))));
        return;
      }
      case '/3/search/tv': {
        const year = query.first_air_date_year;
        send(200, page(fake.shows.filter((s) => fold(s.name).includes(q) && (!year || s.first_air_date.startsWith(year)))));
        return;
      }
      case '/3/configuration':
        send(200, { images: { base_url: `http://127.0.0.1:${port}/t/p/`, secure_base_url: `http://127.0.0.1:${port}/t/p/`, backdrop_sizes: ['w300', 'w780', 'w1280', 'original'], poster_sizes: ['w92', 'w154', 'w185', 'w342', 'w500', 'w780', 'original'], still_sizes: ['w92', 'w185', 'w300', 'original'] }, change_keys: [] });
        return;
      case '/3/genre/movie/list':
        send(200, { genres: MOVIE_GENRES });
        return;
      case '/3/genre/tv/list':
        send(200, { genres: TV_GENRES });
        return;
      default: {
        const movie = /^\/3\/movie\/(\d+)$/.exec(url.pathname);
        const show = /^\/3\/tv\/(\d+)$/.exec(url.pathname);
        const episode = /^\/3\/tv\/(\d+)\/season\/(\d+)\/episode\/(\d+)$/.exec(url.pathname);
        const genres = (ids: number[], list: Array<{ id: number; name: string }>) => list.filter((g) => ids.includes(g.id));
        const m = movie && fake.movies.find((x) => x.id === Number(movie[1]));
        if (m) {
          const { genre_ids, ...rest } = m;
          send(200, { ...rest, backdrop_path: m.backdrop_path ?? null, genres: genres(genre_ids, MOVIE_GENRES), runtime: 96, status: 'Released', tagline: '' });
          return;
        }
        const sh = show && fake.shows.find((x) => x.id === Number(show[1]));
        if (sh) {
          const { genre_ids, episodes: _e, ...rest } = sh;
          send(200, { ...rest, backdrop_path: sh.backdrop_path ?? null, genres: genres(genre_ids, TV_GENRES), seasons: (sh.seasons ?? []).map((x) => ({ ...x, id: sh.id * 100 + x.season_number, name: `Season ${x.season_number}` })) });
          return;
        }
        const ep = episode && fake.shows.find((x) => x.id === Number(episode[1]))?.episodes?.find((e) => e.season_number === Number(episode[2]) && e.episode_number === Number(episode[3]));
        if (ep) {
          send(200, ep);
          return;
        }
        send(404, { status_code: 34, status_message: 'The resource you requested could not be found.', success: false });
      }
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
  fake.baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/3`;
  fake.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return fake;
}
