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
}

export interface FakeTmdbShow {
  id: number;
  name: string;
  original_name: string;
  overview: string;
  poster_path: string | null;
  genre_ids: number[];
  first_air_date: string;
}

export interface FakeTmdb {
  /** http://127.0.0.1:port/3 */
  baseUrl: string;
  apiKey: string;
  bearer: string;
  movies: FakeTmdbMovie[];
  shows: FakeTmdbShow[];
  rateLimited: boolean;
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
    requests: [],
    close: async () => undefined,
  };
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const query = Object.fromEntries(url.searchParams);
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
      case '/3/genre/movie/list':
        send(200, { genres: MOVIE_GENRES });
        return;
      case '/3/genre/tv/list':
        send(200, { genres: TV_GENRES });
        return;
      default:
        send(404, { status_code: 34, status_message: 'The resource you requested could not be found.', success: false });
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  fake.baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/3`;
  fake.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return fake;
}
