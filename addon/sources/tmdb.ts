/**
 * Optional TMDB enrichment: search a movie or a show by clean title and year, keep the TMDB id,
 * poster, genres, original title and overview. Quiet by design: without an API key every lookup
 * is null; a 429 pauses lookups for a while (Retry-After is not visible through HttpClient, so
 * 10 s); a refused key is logged once. Lookups are cached (LRU of 1000, 1 hour, misses included).
 *
 * Wire format (api.themoviedb.org/3): GET /search/movie?query=&year=, /search/tv?query=
 * &first_air_date_year=, /genre/{movie|tv}/list. A v3 key goes as `api_key=`, a v4 read access
 * token (a JWT) as `Authorization: Bearer`.
 */
import type { Clock } from '../platform/clock.js';
import { HttpStatusError, type HttpClient } from '../platform/http.js';
import type { Logger } from '../platform/logger.js';
import type { TmdbInfo } from './model.js';
import { collapseSpaces, fold } from './normalize.js';
import { TtlLru } from './ttl-lru.js';

export const TMDB_IMAGE_BASE = 'https://image.tmdb.org/t/p/w342';
const CACHE_SIZE = 1000;
const CACHE_TTL_MS = 60 * 60 * 1000;
const RATE_LIMIT_PAUSE_MS = 10_000;
const AUTH_PAUSE_MS = 60 * 60 * 1000;

export interface TmdbOptions {
  http: HttpClient;
  apiKey: string | undefined;
  /** https://api.themoviedb.org/3 (a fake server in tests). */
  baseUrl: string;
  language: string;
  clock: Clock;
  logger: Logger;
}

export interface TmdbQuery {
  kind: 'movie' | 'tv';
  title: string;
  year: number | null;
}

interface SearchResult {
  id?: unknown;
  title?: unknown;
  name?: unknown;
  original_title?: unknown;
  original_name?: unknown;
  overview?: unknown;
  poster_path?: unknown;
  genre_ids?: unknown;
  release_date?: unknown;
  first_air_date?: unknown;
}

/** A movie's or show's full record (GET /movie/{id}, /tv/{id}), for NFO files and artwork. */
export interface TmdbDetails {
  id: number;
  media_type: 'movie' | 'tv';
  title: string;
  original_title: string | null;
  overview: string | null;
  genres: string[];
  /** release_date (movie) or first_air_date (show), YYYY-MM-DD. */
  premiered: string | null;
  year: number | null;
  /** Image paths as TMDB gives them (`/abc.jpg`); imageUrl() makes them URLs. */
  poster_path: string | null;
  backdrop_path: string | null;
  seasons: Array<{ season_number: number; poster_path: string | null }>;
}

/** GET /tv/{id}/season/{s}/episode/{e}. */
export interface TmdbEpisode {
  id: number;
  name: string | null;
  overview: string | null;
  air_date: string | null;
  still_path: string | null;
}

export class TmdbClient {
  readonly enabled: boolean;
  private readonly records: TtlLru<string, unknown>;
  private imageBase: string | null = null;
  private readonly cache: TtlLru<string, TmdbInfo | null>;
  private readonly genres: TtlLru<string, Map<number, string>>;
  private pausedUntil = 0;
  private warnedAuth = false;
  /** Requests actually sent (tests look at it). */
  requests = 0;

  constructor(private readonly options: TmdbOptions) {
    this.enabled = !!options.apiKey;
    this.cache = new TtlLru(CACHE_SIZE, CACHE_TTL_MS, () => options.clock.now());
    this.genres = new TtlLru(2, CACHE_TTL_MS, () => options.clock.now());
    this.records = new TtlLru(200, CACHE_TTL_MS, () => options.clock.now());
  }

  /** The best match, or null (no key, no match, rate-limited, TMDB unreachable). Never throws. */
  async lookup(query: TmdbQuery, signal?: AbortSignal): Promise<TmdbInfo | null> {
    if (!this.enabled || !query.title.trim()) return null;
    const key = `${query.kind}|${collapseSpaces(fold(query.title)).trim()}|${query.year ?? ''}`;
    if (this.cache.has(key)) return this.cache.get(key) ?? null;
    if (this.options.clock.now() < this.pausedUntil) return null;
    try {
      let results = await this.search(query, query.year, signal);
      let pick = results[0];
      if (!pick && query.year !== null) {
        // Lists are often a year off: search without it and take a result within one year.
        results = await this.search(query, null, signal);
        pick = results.find((r) => {
          const y = yearOf(query.kind === 'movie' ? r.release_date : r.first_air_date);
          return y !== null && Math.abs(y - query.year!) <= 1;
        });
      }
      const info = pick ? await this.toInfo(query.kind, pick, signal) : null;
      this.cache.set(key, info);
      return info;
    } catch (err) {
      this.quietly(err);
      return null;
    }
  }

  /** The full record of a movie or show, or null (no key, unknown id, TMDB unreachable). Never throws. */
  async details(kind: 'movie' | 'tv', id: number, signal?: AbortSignal): Promise<TmdbDetails | null> {
    return this.cached(`${kind}/${id}`, async () => {
      const r = (await this.get(`/${kind}/${id}`, { language: this.options.language }, signal)) as Record<string, unknown>;
      const text = (v: unknown): string | null => (typeof v === 'string' && v.trim() ? v.trim() : null);
      const date = text(kind === 'movie' ? r.release_date : r.first_air_date);
      return {
        id,
        media_type: kind,
        title: text(kind === 'movie' ? r.title : r.name) ?? '',
        original_title: text(kind === 'movie' ? r.original_title : r.original_name),
        overview: text(r.overview),
        genres: Array.isArray(r.genres) ? (r.genres as Array<{ name?: unknown }>).map((g) => g?.name).filter((n): n is string => typeof n === 'string') : [],
        premiered: date && /^\d{4}-\d{2}-\d{2}$/.test(date) ? date : null,
        year: yearOf(date),
        poster_path: text(r.poster_path),
        backdrop_path: text(r.backdrop_path),
        seasons: Array.isArray(r.seasons)
          ? (r.seasons as Array<{ season_number?: unknown; poster_path?: unknown }>)
              .filter((x) => typeof x?.season_number === 'number')
              .map((x) => ({ season_number: x.season_number as number, poster_path: text(x.poster_path) }))
          : [],
      };
    });
  }

  /** One episode of a show, or null. Never throws. */
  async episode(showId: number, season: number, episode: number, signal?: AbortSignal): Promise<TmdbEpisode | null> {
    return this.cached(`tv/${showId}/${season}/${episode}`, async () => {
      const r = (await this.get(`/tv/${showId}/season/${season}/episode/${episode}`, { language: this.options.language }, signal)) as Record<string, unknown>;
      const text = (v: unknown): string | null => (typeof v === 'string' && v.trim() ? v.trim() : null);
      return { id: typeof r.id === 'number' ? r.id : 0, name: text(r.name), overview: text(r.overview), air_date: text(r.air_date), still_path: text(r.still_path) };
    });
  }

  /**
   * The URL of an image path at a size (w780, w1280, original...), from TMDB's own
   * /configuration (images.secure_base_url), asked once. Null without a key or when TMDB is down.
   */
  async imageUrl(imagePath: string, size: string, signal?: AbortSignal): Promise<string | null> {
    if (!this.enabled) return null;
    if (!this.imageBase) {
      try {
        const conf = (await this.get('/configuration', {}, signal)) as { images?: { secure_base_url?: unknown } };
        const base = conf.images?.secure_base_url;
        if (typeof base !== 'string' || !/^https?:\/\//.test(base)) return null;
        this.imageBase = base.endsWith('/') ? base : `${base}/`;
      } catch (err) {
        this.quietly(err);
        return null;
      }
    }
    return `${this.imageBase}${size}${imagePath.startsWith('/') ? '' : '/'}${imagePath}`;
  }

  private async cached<T>(key: string, load: () => Promise<T>): Promise<T | null> {
    if (!this.enabled) return null;
    if (this.records.has(key)) return (this.records.get(key) as T | null) ?? null;
    if (this.options.clock.now() < this.pausedUntil) return null;
    try {
      const value = await load();
      this.records.set(key, value);
      return value;
    } catch (err) {
      if (err instanceof HttpStatusError && err.status === 404) this.records.set(key, null);
      this.quietly(err);
      return null;
    }
  }

  private async search(query: TmdbQuery, year: number | null, signal?: AbortSignal): Promise<SearchResult[]> {
    const params: Record<string, string> = { query: query.title, include_adult: 'false', language: this.options.language, page: '1' };
    if (year !== null) params[query.kind === 'movie' ? 'year' : 'first_air_date_year'] = String(year);
    const body = await this.get(`/search/${query.kind}`, params, signal);
    const results = (body as { results?: unknown }).results;
    return Array.isArray(results) ? (results.filter((r) => r && typeof r === 'object' && typeof (r as SearchResult).id === 'number') as SearchResult[]) : [];
  }

  private async toInfo(kind: 'movie' | 'tv', r: SearchResult, signal?: AbortSignal): Promise<TmdbInfo> {
    const names = await this.genreNames(kind, signal);
    const ids = Array.isArray(r.genre_ids) ? r.genre_ids.filter((g): g is number => typeof g === 'number') : [];
    const text = (v: unknown): string | null => (typeof v === 'string' && v.trim() ? v.trim() : null);
    const poster = text(r.poster_path);
    return {
      id: r.id as number,
      media_type: kind,
      title: text(kind === 'movie' ? r.title : r.name) ?? '',
      original_title: text(kind === 'movie' ? r.original_title : r.original_name),
      overview: text(r.overview),
      poster: poster ? `${TMDB_IMAGE_BASE}${poster.startsWith('/') ? '' : '/'}${poster}` : null,
      genres: ids.map((id) => names.get(id)).filter((n): n is string => !!n),
      year: yearOf(kind === 'movie' ? r.release_date : r.first_air_date),
    };
  }

  private async genreNames(kind: 'movie' | 'tv', signal?: AbortSignal): Promise<Map<number, string>> {
    const cached = this.genres.get(kind);
    if (cached) return cached;
    const names = new Map<number, string>();
    try {
      const body = (await this.get(`/genre/${kind}/list`, { language: this.options.language }, signal)) as { genres?: unknown };
      if (Array.isArray(body.genres)) {
        for (const g of body.genres as Array<{ id?: unknown; name?: unknown }>) {
          if (typeof g.id === 'number' && typeof g.name === 'string') names.set(g.id, g.name);
        }
      }
      this.genres.set(kind, names);
    } catch (err) {
      this.quietly(err);
    }
    return names;
  }

  private async get(pathname: string, params: Record<string, string>, signal?: AbortSignal): Promise<unknown> {
    const apiKey = this.options.apiKey!;
    const bearer = apiKey.startsWith('eyJ') && apiKey.includes('.');
    const q = new URLSearchParams(params);
    if (!bearer) q.set('api_key', apiKey);
    const headers: Record<string, string> = { accept: 'application/json' };
    if (bearer) headers.authorization = `Bearer ${apiKey}`;
    this.requests++;
    const res = await this.options.http.get({ url: `${this.options.baseUrl}${pathname}?${q.toString()}`, headers, signal: signal ?? AbortSignal.timeout(15_000) });
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of res.body as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > 4 * 1024 * 1024) {
        res.body.destroy();
        throw new Error('TMDB answer too large');
      }
      chunks.push(chunk);
    }
    return JSON.parse(Buffer.concat(chunks, size).toString('utf8')) as unknown;
  }

  private quietly(err: unknown): void {
    const now = this.options.clock.now();
    if (err instanceof HttpStatusError && err.status === 429) {
      this.pausedUntil = now + RATE_LIMIT_PAUSE_MS;
      this.options.logger.debug('TMDB rate limit reached; lookups paused for 10 s');
    } else if (err instanceof HttpStatusError && (err.status === 401 || err.status === 403)) {
      this.pausedUntil = now + AUTH_PAUSE_MS;
      if (!this.warnedAuth) this.options.logger.warn('TMDB refused the API key (tmdb_api_key); lookups paused for an hour');
      this.warnedAuth = true;
    } else {
      // The URL carries the key: log the message only (HttpStatusError's is already redacted).
      this.options.logger.debug({ error: err instanceof HttpStatusError ? err.message : String((err as Error)?.message ?? err) }, 'TMDB lookup failed');
    }
  }
}

function yearOf(date: unknown): number | null {
  if (typeof date !== 'string') return null;
  const m = /^(\d{4})/.exec(date);
  return m ? Number(m[1]) : null;
}
