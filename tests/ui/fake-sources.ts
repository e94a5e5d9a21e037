/**
 * A stand-in for the playlist-sources API (issue 4) with the shapes of addon/sources/model.ts:
 * one source whose catalogue has 50,000 items, paged and filtered by the server, and the
 * "download selected" call recorded. Only the 50,000-row paging check uses it (a real sync of that
 * size would time the sync, not the table); reviewing and queueing run against the real API.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ItemView, SourceView } from '../../addon/sources/model.js';
import type { Intercept } from './harness.js';

const GROUPS = ['Filmes | Ação', 'Filmes | Comédia', 'Filmes | Lançamentos 2026', 'Séries | Netflix', 'Séries | Amazon Prime Video', 'NOVELAS', '4K'];
const MOVIES = ['Duna: Parte Dois', 'Ainda Estou Aqui', 'Um Sonho de Liberdade', 'Missão: Impossível', 'Minha Mãe é uma Peça 3', 'Oppenheimer', 'The Matrix', 'Interestelar'];
const SHOWS = ['The Boys', 'Round 6', 'Avenida Brasil', 'One Piece', 'Cheias de Charme', 'The Last of Us'];
const QUALITIES = ['720p', '1080p', '1080p', '2160p', '480p', null] as const;

export function fakeItems(count: number): ItemView[] {
  const items: ItemView[] = [];
  for (let i = 0; i < count; i++) {
    const group = GROUPS[i % GROUPS.length]!;
    const episodic = group.startsWith('Séries') || group === 'NOVELAS';
    const base = episodic ? SHOWS[i % SHOWS.length]! : MOVIES[i % MOVIES.length]!;
    const season = episodic ? 1 + (Math.floor(i / 7) % 5) : null;
    const episode = episodic ? 1 + (i % 24) : null;
    const quality = QUALITIES[i % QUALITIES.length] ?? null;
    items.push({
      id: i + 1,
      status: i % 11 === 0 ? 'upgrade' : i % 13 === 0 ? 'downloaded' : 'new',
      title: episodic ? base : `${base}${i >= MOVIES.length ? ` ${Math.floor(i / MOVIES.length)}` : ''}`,
      name: `${base} #${i}`,
      content_type: group === 'NOVELAS' ? 'novela' : episodic ? 'series' : 'movie',
      show: episodic ? base : null,
      season,
      episode,
      episode_title: null,
      year: 1994 + (i % 33),
      quality,
      quality_status: quality === '2160p' ? 'optional' : quality === null ? 'unknown' : 'accepted',
      language: i % 3 === 0 ? 'dubbed' : i % 3 === 1 ? 'subtitled' : null,
      group,
      url: `http://provider.example/movie/u/***/${100000 + i}.mp4`,
      logo: null,
      priority: 'medium',
      job_id: null,
      tmdb: null,
    } as ItemView);
  }
  return items;
}

export interface FakeSources {
  intercept: Intercept;
  /** Bodies of POST .../downloads. */
  queued: Array<{ ids: number[] }>;
  /** Item pages requested (offset, limit). */
  pages: Array<{ offset: number; limit: number }>;
}

export function fakeSources(count = 50_000): FakeSources {
  const items = fakeItems(count);
  const now = new Date().toISOString();
  const source = {
    id: 'src1',
    name: 'My IPTV provider',
    kind: 'xtream',
    enabled: true,
    url: null,
    headers: {},
    server: 'http://provider.example:8080',
    username: 'me',
    has_password: true,
    file: null,
    schedule: '0 4 * * *',
    next_sync_at: new Date(Date.now() + 6 * 3600_000).toISOString(),
    quality: { min: '480p', max: '1080p', ceiling: '2160p', accept_unknown: true },
    content_types: ['movie', 'series', 'novela'],
    include_groups: [],
    exclude_groups: [],
    rules: [],
    priority: { high_max_age_years: 2, low_min_age_years: 5 },
    connection_limit: 1,
    status: 'ok',
    error: null,
    last_sync_at: new Date(Date.now() - 25 * 60_000).toISOString(),
    last_sync_id: 'sync1',
    item_count: count,
    created_at: now,
    updated_at: now,
  } as unknown as SourceView;
  const queued: FakeSources['queued'] = [];
  const pages: FakeSources['pages'] = [];

  const json = (res: ServerResponse, status: number, body: unknown): true => {
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    return true;
  };
  const readBody = (req: IncomingMessage): Promise<unknown> =>
    new Promise((resolve) => {
      let data = '';
      req.on('data', (c: Buffer) => (data += c.toString()));
      req.on('end', () => resolve(data ? JSON.parse(data) : {}));
    });

  const intercept: Intercept = async (req, res, pathAndQuery) => {
    const url = new URL(pathAndQuery, 'http://x');
    const p = url.pathname;
    if (!p.startsWith('/api/sources')) return false;
    if (p === '/api/sources' && req.method === 'GET') return json(res, 200, { items: [source], total: 1 });
    if (p === '/api/sources/src1' && req.method === 'GET') return json(res, 200, source);
    if (p === '/api/sources/src1/items' && req.method === 'GET') {
      const q = url.searchParams;
      const status = q.get('status') ?? 'all';
      const needle = (q.get('q') ?? '').toLowerCase();
      const type = q.get('type');
      const group = q.get('group');
      const limit = Number(q.get('limit') ?? 50);
      const offset = Number(q.get('offset') ?? 0);
      pages.push({ offset, limit });
      const matching = items.filter(
        (it) =>
          (status === 'all' || it.status === status) &&
          (!type || it.content_type === type) &&
          (!group || it.group === group) &&
          (!needle || it.title.toLowerCase().includes(needle) || (it.show ?? '').toLowerCase().includes(needle)),
      );
      return json(res, 200, { items: matching.slice(offset, offset + limit), total: matching.length });
    }
    if (p === '/api/sources/src1/groups' && req.method === 'GET') {
      const counts = new Map<string, number>();
      for (const it of items) counts.set(it.group!, (counts.get(it.group!) ?? 0) + 1);
      return json(res, 200, { items: [...counts].map(([group, count]) => ({ group, count })), total: counts.size });
    }
    if (p === '/api/sources/src1/downloads' && req.method === 'POST') {
      const body = (await readBody(req)) as { ids: number[] };
      queued.push(body);
      return json(res, 201, { items: body.ids.map((id) => ({ id: `job-${id}` })), skipped: [] });
    }
    return json(res, 404, { error: { code: 'not_found', message: `no route for ${req.method} ${p}` } });
  };
  return { intercept, queued, pages };
}
