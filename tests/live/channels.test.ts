/**
 * Live channels of a playlist source: kept by the sync (not dropped), listed by GET /api/channels
 * without their URLs, and recorded by POST /api/channels/:id/record into the library.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Job } from '../../addon/jobs/model.js';
import { queryChannels, type Channel } from '../../addon/live/channels.js';
import { liveMedia, startLiveOrigin, type LiveOrigin } from '../fakes/live-origin.js';
import { makeTestApp, waitFor, type TestApp } from '../helpers/app.js';
import { decodeErrors } from '../helpers/media-check.js';

describe('queryChannels', () => {
  const ch = (name: string, group: string | null, tvg: string | null = null): Channel => ({
    id: name, source_id: 's', name, group, logo: null, tvg_id: tvg, tvg_name: null, number: null, url: 'http://x', headers: {},
  });
  const all = [ch('Globo SP', 'Abertos', 'Globo.br'), ch('SporTV 2', 'Esportes'), ch('ESPN Brasil', 'Esportes'), ch('Canal+ Sport', 'Esportes')];
  it('searches words across name, group and tvg-id, ignoring case and accents', () => {
    expect(queryChannels(all, { q: 'sport', limit: 10, offset: 0 }).items.map((c) => c.name)).toEqual(['SporTV 2', 'ESPN Brasil', 'Canal+ Sport']);
    expect(queryChannels(all, { q: 'canal sport', limit: 10, offset: 0 }).items.map((c) => c.name)).toEqual(['Canal+ Sport']);
    expect(queryChannels(all, { q: 'globo.br', limit: 10, offset: 0 }).total).toBe(1);
    expect(queryChannels(all, { q: 'ÉSPN', limit: 10, offset: 0 }).total).toBe(1);
  });
  it('filters by group and lists the groups the search leaves, with counts', () => {
    const page = queryChannels(all, { group: 'Esportes', limit: 2, offset: 0 });
    expect(page.total).toBe(3);
    expect(page.items).toHaveLength(2);
    expect(page.groups).toEqual([{ name: 'Abertos', count: 1 }, { name: 'Esportes', count: 3 }]);
  });
});

describe('channels of a playlist source', () => {
  let app: TestApp;
  let origin: LiveOrigin;
  let list: http.Server;
  let listUrl: string;

  beforeAll(async () => {
    await liveMedia(1);
    origin = await startLiveOrigin({ segmentSeconds: 1 });
    list = http.createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'audio/x-mpegurl' });
      res.end(
        [
          `#EXTM3U x-tvg-url="${origin.baseUrl}/guide.xml.gz"`,
          `#EXTINF:-1 tvg-id="NewsOne.uk" tvg-logo="${origin.baseUrl}/logo.png" group-title="News",News One HD`,
          '#EXTVLCOPT:http-user-agent=ChannelAgent/1.0',
          origin.url('plain'),
          '#EXTINF:-1 tvg-id="Cine.br" group-title="VOD Movies",Cine Action 24/7',
          `${origin.baseUrl}/cine.mp4`,
          '#EXTINF:-1 group-title="Adult",Hidden Channel',
          `${origin.baseUrl}/live/u/p/9.ts`,
          '#EXTINF:-1 group-title="Filmes",Bacurau (2019)',
          `${origin.baseUrl}/movie/u/p/1.mp4`,
          '',
        ].join('\n'),
      );
    });
    await new Promise<void>((r) => list.listen(0, '127.0.0.1', r));
    listUrl = `http://127.0.0.1:${(list.address() as AddressInfo).port}/list.m3u`;
    app = await makeTestApp();
  }, 120_000);
  afterAll(async () => {
    await app?.dispose();
    await origin?.stop();
    await new Promise((r) => list.close(r));
  });

  it('keeps the channels (group filters apply), lists them without URLs, records one into the library', async () => {
    const server = app.koa.callback();
    const created = await request(server).post('/api/sources').send({ name: 'IPTV', kind: 'm3u', url: listUrl, exclude_groups: ['Adult'] });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const synced = await request(server).post(`/api/sources/${created.body.id}/sync`);
    expect(synced.body.status).toBe('completed');
    // The movie is still a catalogue item.
    const items = await request(server).get(`/api/sources/${created.body.id}/items?status=all`);
    expect(items.body.items.map((i: { name: string }) => i.name)).toContain('Bacurau (2019)');

    const page = await request(server).get('/api/channels');
    expect(page.status).toBe(200);
    expect(page.body.items.map((c: Channel) => c.name).sort()).toEqual(['Cine Action 24/7', 'News One']);
    const news = page.body.items.find((c: Channel) => c.name === 'News One');
    expect(news).toMatchObject({ group: 'News', tvg_id: 'NewsOne.uk', logo: `${origin.baseUrl}/logo.png`, source_id: created.body.id });
    expect(news.url).toBeUndefined();
    expect(news.headers).toBeUndefined();
    expect((await request(server).get('/api/channels?q=news&group=News')).body.total).toBe(1);

    const rec = await request(server).post(`/api/channels/${news.id}/record`).send({ live: { duration_s: 3 } });
    expect(rec.status, JSON.stringify(rec.body)).toBe(201);
    expect(rec.body).toMatchObject({ title: 'News One', content_type: 'recording', source_id: created.body.id, live: { duration_s: 3, channel: 'News One' } });
    const job = await waitFor(() => (['completed', 'failed'].includes(app.jobs.get(rec.body.id).status) ? app.jobs.get(rec.body.id) : undefined), 30_000) as Job;
    expect(job.error).toBeNull();
    expect(job.file_path).toMatch(/^Recordings\/News One\/News One \(\d{4}-\d{2}-\d{2} \d{2}-\d{2}\)\.mp4$/);
    expect(await decodeErrors(`${app.config.media_dir}/${job.file_path}`)).toBe('');
    expect((await request(server).post('/api/channels/nope/record').send({})).status).toBe(404);
  });
});
