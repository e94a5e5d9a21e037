/**
 * What the panel's source editor relies on: the SourceRepository hands out copies; an edit saved
 * while a sync runs survives the sync; a changed URL is what the next sync reads; the groups a
 * sync saw are listed even when a filter leaves them out; a running sync reports its phases and
 * entries read on the bus, on GET /api/sources and over SSE.
 */
import http, { type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SyncProgress, SyncRecord } from '../../addon/sources/model.js';
import { SourceRepository } from '../../addon/sources/source-repository.js';
import { makeTestApp, waitFor, type TestApp } from '../helpers/app.js';

const entry = (group: string, title: string, n: number): string => `#EXTINF:-1 group-title="${group}",${title}\nhttp://cdn.example/movie/u/p/${n}.mp4\n`;
const LIST_A = `#EXTM3U\n${entry('Filmes | Ação', 'Tropa de Elite (2007)', 1)}${entry('Filmes | Comédia', 'O Auto da Compadecida (2000)', 2)}${entry('Filmes | Comédia', 'Minha Mãe é uma Peça (2013)', 3)}`;
const LIST_B = `#EXTM3U\n${entry('Lançamentos', 'Ainda Estou Aqui (2024)', 10)}${entry('Lançamentos', 'Bacurau (2019)', 11)}`;

interface Origin {
  base: string;
  /** While set, /held.m3u sends its first half, then waits for it before the rest. */
  hold: { promise: Promise<void>; release: () => void } | null;
  hits: string[];
  server: Server;
}

async function startOrigin(): Promise<Origin> {
  const origin: Origin = { base: '', hold: null, hits: [], server: null as unknown as Server };
  origin.server = http.createServer((req, res) => {
    origin.hits.push(req.url ?? '');
    res.writeHead(200, { 'content-type': 'audio/x-mpegurl' });
    if (req.url === '/a.m3u') return void res.end(LIST_A);
    if (req.url === '/b.m3u') return void res.end(LIST_B);
    if (req.url === '/held.m3u') {
      // 3,000 entries: the first 1,500 at once, the rest when released.
      const lines = Array.from({ length: 3000 }, (_, i) => entry(i % 2 ? 'Filmes' : 'Séries', `Filme ${i} (${1990 + (i % 30)})`, 1000 + i));
      res.write(`#EXTM3U\n${lines.slice(0, 1500).join('')}`);
      void (origin.hold?.promise ?? Promise.resolve()).then(() => res.end(lines.slice(1500).join('')));
      return;
    }
    res.end('#EXTM3U\n');
  });
  await new Promise<void>((r) => origin.server.listen(0, '127.0.0.1', r));
  origin.base = `http://127.0.0.1:${(origin.server.address() as AddressInfo).port}`;
  return origin;
}

function held(): { promise: Promise<void>; release: () => void } {
  let release!: () => void;
  const promise = new Promise<void>((r) => (release = r));
  return { promise, release };
}

describe('editing sources (the panel editor)', () => {
  let app: TestApp;
  let server: ReturnType<TestApp['koa']['callback']>;
  let origin: Origin;
  beforeEach(async () => {
    [app, origin] = await Promise.all([makeTestApp(), startOrigin()]);
    server = app.koa.callback();
  });
  afterEach(async () => {
    origin.hold?.release();
    await app.dispose();
    await new Promise((r) => origin.server.close(r));
  });

  it('the repository hands out copies: changing one changes nothing stored', async () => {
    const created = await request(server).post('/api/sources').send({ name: 'Lista', kind: 'm3u', url: `${origin.base}/a.m3u` });
    const repo = new SourceRepository(app.store);
    const copy = repo.find(created.body.id)!;
    copy.name = 'changed';
    copy.include_groups.push('x');
    const got = app.sources.get(created.body.id);
    got.connection_limit = 9;
    expect(repo.find(created.body.id)).toMatchObject({ name: 'Lista', include_groups: [], connection_limit: 1 });
    expect(app.sources.connectionLimit(created.body.id)).toBe(1);
    // Sync records kept per source: the newest N.
    for (let i = 0; i < 4; i++) repo.addSync({ id: `s${i}`, source_id: created.body.id } as SyncRecord, 3);
    expect(repo.syncsOf(created.body.id).map((r) => r.id)).toEqual(['s3', 's2', 's1']);
  });

  it('a changed URL is what the next sync reads; the groups the last sync saw stay listed when excluded', async () => {
    const created = await request(server).post('/api/sources').send({ name: 'Lista', kind: 'm3u', url: `${origin.base}/a.m3u` });
    const id = created.body.id as string;
    expect((await request(server).post(`/api/sources/${id}/sync`)).body.counts).toMatchObject({ entries: 3, items: 3 });

    const excluded = await request(server).patch(`/api/sources/${id}`).send({ exclude_groups: ['Filmes | Comédia'] });
    expect(excluded.status).toBe(200);
    expect((await request(server).post(`/api/sources/${id}/sync`)).body.counts).toMatchObject({ entries: 3, items: 1, filtered: 2 });
    // Review's groups: what the catalogue has; the pickers': everything the list had, with entries.
    expect((await request(server).get(`/api/sources/${id}/groups`)).body.items).toEqual([{ group: 'Filmes | Ação', count: 1, entries: 1 }]);
    expect((await request(server).get(`/api/sources/${id}/groups?scope=list`)).body.items).toEqual([
      { group: 'Filmes | Comédia', count: 0, entries: 2 },
      { group: 'Filmes | Ação', count: 1, entries: 1 },
    ]);
    const bad = await request(server).get(`/api/sources/${id}/groups?scope=everything`);
    expect([bad.status, bad.body.error.field]).toEqual([400, 'scope']);

    const moved = await request(server).patch(`/api/sources/${id}`).send({ url: `${origin.base}/b.m3u`, exclude_groups: [] });
    expect(moved.body.url).toBe(`${origin.base}/b.m3u`);
    const next = (await request(server).post(`/api/sources/${id}/sync`)).body as SyncRecord;
    expect(origin.hits.at(-1)).toBe('/b.m3u');
    expect(next.counts).toMatchObject({ entries: 2, new: 2, items: 2 });
    const items = (await request(server).get(`/api/sources/${id}/items`)).body.items as Array<{ title: string }>;
    expect(items.map((i) => i.title).sort()).toEqual(['Ainda Estou Aqui', 'Bacurau']);
    expect((await request(server).get(`/api/sources/${id}/groups?scope=list`)).body.items).toEqual([{ group: 'Lançamentos', count: 2, entries: 2 }]);
  });

  it('a running sync reports fetching, parsing with entries read, diffing and queueing, on the bus and GET /api/sources; an edit made meanwhile survives it', async () => {
    const created = await request(server)
      .post('/api/sources')
      .send({ name: 'Grande', kind: 'm3u', url: `${origin.base}/held.m3u`, rules: [{ kind: 'title', value: 'Filme 1 *', max_per_sync: 2, dry_run: true }] });
    const id = created.body.id as string;
    const events: SyncProgress[] = [];
    app.bus.on('sync.progress', (p) => void events.push(p));
    origin.hold = held();
    const sync = request(server).post(`/api/sources/${id}/sync`).then((r) => r.body as SyncRecord);
    // Half the list is in; the rest is held back by the origin.
    await waitFor(() => events.find((e) => e.phase === 'parsing' && e.entries > 0), 10_000, 'entries read');
    const during = (await request(server).get('/api/sources')).body.items[0];
    expect(during.status).toBe('syncing');
    expect(during.progress).toMatchObject({ source: { id, name: 'Grande' }, phase: 'parsing', sync_id: expect.any(String) });
    expect(during.progress.entries).toBeGreaterThan(0);
    expect(during.progress.entries).toBeLessThanOrEqual(1500);

    // Saved while the sync runs: the sync writes back only its own fields.
    expect((await request(server).patch(`/api/sources/${id}`).send({ name: 'Grande (renomeada)', connection_limit: 3 })).status).toBe(200);
    // Another source's sync waits for the one slot, and says so.
    const other = (await request(server).post('/api/sources').send({ name: 'Pequena', kind: 'm3u', url: `${origin.base}/a.m3u` })).body.id as string;
    const otherSync = request(server).post(`/api/sources/${other}/sync`).then((r) => r.body as SyncRecord);
    await waitFor(() => events.find((e) => e.source.id === other), 10_000, 'the second sync');
    expect(events.filter((e) => e.source.id === other).map((e) => e.phase)).toEqual(['waiting']);
    origin.hold.release();
    const record = await sync;
    expect((await otherSync).status).toBe('completed');
    expect(events.filter((e) => e.source.id === other).map((e) => e.phase).slice(0, 2)).toEqual(['waiting', 'fetching']);
    expect(record.status).toBe('completed');
    expect(record.counts.entries).toBe(3000);

    const mine = events.filter((e) => e.source.id === id);
    const phases = mine.map((e) => e.phase).filter((p, i, all) => all[i - 1] !== p);
    expect(phases).toEqual(['fetching', 'parsing', 'diffing', 'queueing']);
    expect(new Set(mine.map((e) => e.sync_id))).toEqual(new Set([record.id]));
    const counts = mine.filter((e) => e.phase === 'parsing').map((e) => e.entries);
    expect(counts).toEqual([...counts].sort((a, b) => a - b));
    expect(mine.find((e) => e.phase === 'diffing')!.entries).toBe(3000);
    expect(mine.at(-1)).toMatchObject({ phase: 'queueing', to_queue: record.would_queue.length, entries: 3000 });
    // Published at most every 250 ms per phase (plus phase changes): a 3,000-entry list is a handful, not one per batch.
    expect(mine.length).toBeLessThan(40);

    const after = (await request(server).get(`/api/sources/${id}`)).body;
    expect(after).toMatchObject({ name: 'Grande (renomeada)', connection_limit: 3, status: 'ok', item_count: 3000, progress: null, last_sync_id: record.id });
    expect(app.sources.connectionLimit(id)).toBe(3);
  });

  it('sends sync.progress and sync.completed over SSE, naming the source', async () => {
    const created = await request(server).post('/api/sources').send({ name: 'Lista SSE', kind: 'm3u', url: `${origin.base}/a.m3u` });
    const id = created.body.id as string;
    const listening = await app.listen(0, '127.0.0.1');
    const base = `http://127.0.0.1:${(listening.address() as AddressInfo).port}`;
    const controller = new AbortController();
    const res = await fetch(`${base}/api/events`, { signal: controller.signal });
    const seen: Array<{ event: string; data: Record<string, unknown> }> = [];
    let done!: () => void;
    const completed = new Promise<void>((r) => (done = r));
    const reading = (async () => {
      let buf = '';
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        buf += Buffer.from(chunk).toString('utf8');
        let cut: number;
        while ((cut = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, cut);
          buf = buf.slice(cut + 2);
          const event = /^event: (.+)$/m.exec(block)?.[1];
          const data = /^data: (.+)$/m.exec(block)?.[1];
          if (!event || !data) continue;
          seen.push({ event, data: JSON.parse(data) });
          if (event === 'sync.completed') done();
        }
      }
    })().catch(() => undefined);
    // The stream is open once its first bytes (retry:) arrived; the sync starts after.
    await waitFor(() => (res.ok ? true : undefined), 5_000, 'the stream');
    const record = (await request(server).post(`/api/sources/${id}/sync`)).body as SyncRecord;
    await completed;
    controller.abort();
    await reading;
    const progress = seen.filter((e) => e.event === 'sync.progress');
    expect(progress.length).toBeGreaterThanOrEqual(3);
    expect(progress.every((e) => (e.data.source as { name: string }).name === 'Lista SSE')).toBe(true);
    expect(progress.map((e) => e.data.phase)).toContain('parsing');
    expect(seen.find((e) => e.event === 'sync.completed')!.data).toMatchObject({ source: { id, name: 'Lista SSE' }, sync_id: record.id, status: 'completed', error: null, counts: { entries: 3 } });
  });
});
