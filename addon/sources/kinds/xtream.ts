/**
 * An Xtream Codes account through player_api.php: VOD categories and streams, series and, per
 * series, get_series_info's episodes by season.
 *
 * Panels are inconsistent (shared/notes/iptv.md), so every field is read leniently: numbers as
 * strings, `info: []` for an empty object, objects where arrays are expected, fields spelled two
 * ways. A malformed stream is counted and skipped, never fatal.
 *
 * get_series_info costs one request per series, so a sync expands at most SERIES_INFO_PER_SYNC
 * series (followed shows first, then those whose last_modified changed, newest first); the
 * others keep the episodes of the previous catalogue and are expanded by the next syncs.
 *
 * The catalogue never holds the password: stream URLs are stored with `{username}/{password}`
 * placeholders and resolveUrl() fills them in when a download starts.
 */
import { AppError } from '../../errors.js';
import type { HttpClient } from '../../platform/http.js';
import { keyTitle } from '../identity.js';
import type { M3uIssue } from '../m3u-parser.js';
import type { SourceRecord, SyncRecord } from '../model.js';
import { z } from 'zod';
import { isHttpUrl } from '../../domain/validators.js';
import { defineSourceKind, type FetchContext, type SourceEntry, type SourceFetch } from './types.js';

export const SERIES_INFO_PER_SYNC = 200;
const SERIES_INFO_CONCURRENCY = 4;
const MAX_JSON_BYTES = 256 * 1024 * 1024;
const USER = '{username}';
const PASS = '{password}';

/** `http://host:port` from whatever the user pasted (a trailing slash, /player_api.php, /get.php?...). */
export function xtreamBase(server: string): string {
  const u = new URL(server.includes('://') ? server : `http://${server}`);
  let p = u.pathname.replace(/\/(player_api|get|xmltv|panel_api)\.php$/i, '').replace(/\/+$/, '');
  if (p === '/') p = '';
  return `${u.protocol}//${u.host}${p}`;
}

function apiUrl(source: SourceRecord, params: Record<string, string>): string {
  const q = new URLSearchParams({ username: source.username ?? '', password: source.password ?? '', ...params });
  return `${xtreamBase(source.server ?? '')}/player_api.php?${q.toString()}`;
}

async function getJson(http: HttpClient, url: string, signal: AbortSignal): Promise<unknown> {
  const res = await http.get({ url, headers: { accept: 'application/json' }, signal });
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of res.body as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_JSON_BYTES) {
      res.body.destroy();
      throw new AppError('provider_invalid', 'the Xtream panel answered with more than 256 MB', { httpStatus: 502 });
    }
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks, size).toString('utf8').trim();
  if (text === '' || text === 'null') return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new AppError('provider_invalid', 'the Xtream panel did not answer with JSON (wrong server address?)', { httpStatus: 502 });
  }
}

// Lenient readers -------------------------------------------------------------------------------

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {});
/** Arrays, or objects keyed by index (some panels), as a list. */
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : v && typeof v === 'object' ? Object.values(v) : []);
const str = (v: unknown): string | null => {
  if (typeof v === 'string') return v.trim() || null;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  return null;
};
const int = (v: unknown): number | null => {
  if (typeof v === 'number' && Number.isFinite(v)) return Math.trunc(v);
  if (typeof v === 'string' && /^\s*-?\d+\s*$/.test(v)) return Number(v);
  return null;
};
const ext = (v: unknown, fallback: string): string => {
  const e = str(v)?.replace(/^\./, '').toLowerCase();
  return e && /^[a-z0-9]{1,5}$/.test(e) ? e : fallback;
};
const yearOf = (...values: unknown[]): number | null => {
  for (const v of values) {
    const m = /\b(19\d\d|20\d\d)\b/.exec(str(v) ?? '');
    if (m) return Number(m[1]);
  }
  return null;
};
const pad = (n: number): string => String(n).padStart(2, '0');

function categories(data: unknown): Map<string, string> {
  const out = new Map<string, string>();
  for (const c of list(data)) {
    const id = str(obj(c).category_id);
    const name = str(obj(c).category_name);
    if (id && name) out.set(id, name);
  }
  return out;
}

function account(data: unknown): SyncRecord['account'] {
  const u = obj(obj(data).user_info);
  const exp = int(u.exp_date);
  return { status: str(u.status), max_connections: int(u.max_connections), expires_at: exp ? new Date(exp * 1000).toISOString() : null };
}

/** The Xtream calls, on the stored source (server, account, headers). */
const xtream = {
  async fetch(source: SourceRecord, ctx: FetchContext): Promise<SourceFetch> {
    if (!source.server || !source.username || !source.password) throw new AppError('invalid_source', 'the Xtream source needs server, username and password', { httpStatus: 400 });
    const base = xtreamBase(source.server);
    const { http, signal } = ctx;
    const login = await getJson(http, apiUrl(source, {}), signal);
    const user = obj(obj(login).user_info);
    if (!login || int(user.auth) === 0 || (str(user.status) ?? 'Active').toLowerCase() === 'disabled') {
      throw new AppError('provider_auth', 'the Xtream panel refused the username or password', { httpStatus: 502 });
    }
    const acct = account(login);
    const issues: M3uIssue[] = [];
    let malformed = 0;
    const bad = (what: string, v: unknown): void => {
      malformed++;
      if (issues.length < 100) issues.push({ line: 0, kind: 'bad-attribute', text: `${what}: ${JSON.stringify(v).slice(0, 180)}` });
    };
    const [vodCats, seriesCats] = await Promise.all([
      getJson(http, apiUrl(source, { action: 'get_vod_categories' }), signal).then(categories),
      getJson(http, apiUrl(source, { action: 'get_series_categories' }), signal).then(categories),
    ]);
    const prevState = obj(ctx.previous.state.series) as Record<string, string>;
    const nextState: Record<string, string> = {};
    const notes: string[] = [];

    async function* movies(): AsyncGenerator<SourceEntry[]> {
      const streams = list(await getJson(http, apiUrl(source, { action: 'get_vod_streams' }), signal));
      let batch: SourceEntry[] = [];
      for (const raw of streams) {
        const s = obj(raw);
        const id = int(s.stream_id);
        const name = str(s.name) ?? str(s.title);
        if (id === null || !name) {
          bad('vod stream', raw);
          continue;
        }
        const cat = str(s.category_id);
        const tmdb = str(s.tmdb) ?? str(s.tmdb_id);
        batch.push({
          title: name,
          url: `${base}/movie/${USER}/${PASS}/${id}.${ext(s.container_extension, 'mp4')}`,
          groupTitle: cat ? (vodCats.get(cat) ?? null) : null,
          typeHint: 'movie',
          headers: {},
          tvgLogo: str(s.stream_icon),
          override: { year: yearOf(s.year, s.releaseDate, s.release_date), tmdb: tmdb && /^\d+$/.test(tmdb) ? tmdb : null },
        });
        if (batch.length >= 2000) {
          yield batch;
          batch = [];
        }
      }
      if (batch.length > 0) yield batch;
    }

    async function* series(): AsyncGenerator<SourceEntry[]> {
      const all = list(await getJson(http, apiUrl(source, { action: 'get_series' }), signal));
      const cached = new Map<string, SourceEntry[]>();
      for (const item of ctx.previous.items) {
        if (!item.series_ref) continue;
        let l = cached.get(item.series_ref);
        if (!l) cached.set(item.series_ref, (l = []));
        l.push({ title: item.name, url: item.url, headers: {}, tvgLogo: item.logo, carried: item });
      }
      interface Show {
        id: string;
        name: string;
        group: string | null;
        cover: string | null;
        year: number | null;
        tmdb: string | null;
        modified: string;
      }
      const shows: Show[] = [];
      for (const raw of all) {
        const s = obj(raw);
        const id = str(s.series_id);
        const name = str(s.name) ?? str(s.title);
        if (!id || !name) {
          bad('series', raw);
          continue;
        }
        const cat = str(s.category_id);
        const tmdb = str(s.tmdb) ?? str(s.tmdb_id);
        shows.push({
          id,
          name,
          group: cat ? (seriesCats.get(cat) ?? null) : null,
          cover: str(s.cover),
          year: yearOf(s.year, s.releaseDate, s.release_date),
          tmdb: tmdb && /^\d+$/.test(tmdb) ? tmdb : null,
          modified: str(s.last_modified) ?? '',
        });
      }
      // Which series to expand this time: followed first, then changed ones, newest first.
      const stale = shows.filter((s) => !(s.id in prevState) || (s.modified !== '' && prevState[s.id] !== s.modified));
      const followed = (s: Show): boolean => ctx.followed.has(keyTitle(s.name));
      stale.sort((a, b) => Number(followed(b)) - Number(followed(a)) || (Number(b.modified) || 0) - (Number(a.modified) || 0));
      const expand = new Set(stale.slice(0, SERIES_INFO_PER_SYNC).map((s) => s.id));
      if (stale.length > expand.size) {
        notes.push(`${stale.length - expand.size} series have new or unread episodes; the next syncs read them (${SERIES_INFO_PER_SYNC} per sync)`);
      }
      for (const s of shows) if (s.id in prevState && !expand.has(s.id)) nextState[s.id] = prevState[s.id]!;

      // Expanded series are fetched a few at a time (a sliding window), yielded in the list's order.
      type Outcome = { ok: SourceEntry[] } | { err: unknown };
      const pending = shows.filter((s) => expand.has(s.id));
      const window = new Map<string, Promise<Outcome>>();
      let next = 0;
      const launch = (): void => {
        while (next < pending.length && window.size < SERIES_INFO_CONCURRENCY) {
          const s = pending[next++]!;
          // Settled into a value at once: a failure never becomes an unhandled rejection.
          window.set(s.id, episodes(s).then((ok) => ({ ok }), (err: unknown) => ({ err })));
        }
      };
      const episodes = async (s: Show): Promise<SourceEntry[]> => {
        const info = obj(await getJson(http, apiUrl(source, { action: 'get_series_info', series_id: s.id }), signal));
        const out: SourceEntry[] = [];
        const bySeason = info.episodes;
        const seasons = bySeason && typeof bySeason === 'object' && !Array.isArray(bySeason) ? Object.entries(bySeason as Obj) : [['', bySeason] as const];
        for (const [seasonKey, eps] of seasons) {
          for (const raw of list(eps)) {
            const e = obj(raw);
            const id = int(e.id) ?? int(e.stream_id);
            const season = int(e.season) ?? int(seasonKey) ?? 1;
            const episode = int(e.episode_num) ?? int(e.episode);
            if (id === null || episode === null) {
              bad(`episode of series ${s.id}`, raw);
              continue;
            }
            out.push({
              title: `${s.name} S${pad(season)}E${pad(episode)}`,
              name: str(e.title) ?? `${s.name} S${pad(season)}E${pad(episode)}`,
              url: `${base}/series/${USER}/${PASS}/${id}.${ext(e.container_extension, 'mp4')}`,
              groupTitle: s.group,
              typeHint: 'series',
              headers: {},
              tvgLogo: str(obj(e.info).movie_image) ?? s.cover,
              override: { season, episode, year: s.year, tmdb: s.tmdb },
              seriesRef: s.id,
            });
          }
        }
        return out;
      };
      launch();
      for (const s of shows) {
        const job = window.get(s.id);
        if (!job) {
          const eps = cached.get(s.id);
          if (eps && eps.length > 0) yield eps;
          continue;
        }
        const outcome = await job;
        window.delete(s.id);
        launch();
        let eps: SourceEntry[];
        if ('ok' in outcome) {
          eps = outcome.ok;
          nextState[s.id] = s.modified;
        } else {
          if (signal.aborted) throw outcome.err;
          // One broken series must not fail the sync: keep what the last sync had.
          bad(`series ${s.id} info`, String((outcome.err as Error)?.message ?? outcome.err));
          eps = cached.get(s.id) ?? [];
          if (s.id in prevState) nextState[s.id] = prevState[s.id]!;
        }
        if (eps.length > 0) yield eps;
      }
    }

    async function* batches(): AsyncGenerator<SourceEntry[]> {
      yield* movies();
      yield* series();
    }

    return {
      batches: batches(),
      summary: () => ({ malformed, issues, looksLikeList: true, account: acct, state: { series: nextState }, notes }),
    };
  },

  downloadHeaders: (source: SourceRecord): Record<string, string> => source.headers,

  resolveUrl(source: SourceRecord, url: string): string {
    if (!url.includes(`/${USER}/${PASS}/`)) return url;
    const m = /\/(movie|series|live)\/\{username\}\/\{password\}\/([^/]+)$/.exec(url);
    if (!m || !source.server) return url;
    return `${xtreamBase(source.server)}/${m[1]}/${encodeURIComponent(source.username ?? '')}/${encodeURIComponent(source.password ?? '')}/${m[2]}`;
  },
};

/** http(s)://host[:port][/path]; a bare host:port gets http://. */
const server = z
  .string({ error: 'must be a string' })
  .trim()
  .min(1, 'is required')
  .max(2000, 'is too long')
  .transform((s) => (/^[a-z][a-z0-9+.-]*:\/\//i.test(s) ? s : `http://${s}`))
  .refine(isHttpUrl, 'must be the panel address, e.g. http://provider.example:8080')
  .meta({ title: 'Server', description: 'The panel address, e.g. http://provider.example:8080' });
const accountField = (title: string) => z.string({ error: 'must be a string' }).trim().min(1, 'is required').max(200, 'is too long').meta({ title });

export const xtreamKind = defineSourceKind({
  kind: 'xtream',
  label: 'Xtream Codes account',
  help: 'A provider panel with a server address, user name and password (player_api.php).',
  settings: z.object({ server, username: accountField('User name'), password: accountField('Password').meta({ title: 'Password', writeOnly: true }) }),
  secrets: ['password'],
  defaults: {},
  create: (_settings, { source }) => ({
    fetch: (ctx) => xtream.fetch(source, ctx),
    downloadHeaders: () => xtream.downloadHeaders(source),
    resolveUrl: (url) => xtream.resolveUrl(source, url),
  }),
});

export type { FetchContext };
