/**
 * Series recordings: "record every airing of <title> on <channel>" queues each new airing of the
 * guide once, skipping episodes the library has or that are already on their way.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Job } from '../../addon/jobs/model.js';
import type { GuideProgramme } from '../../addon/live/epg/guide-service.js';
import { airingsToQueue, type SeriesRule } from '../../addon/live/series-rules.js';
import { makeTestApp, type TestApp } from '../helpers/app.js';

const NOW = Date.parse('2026-12-06T20:00:00Z');
const H = 3600_000;
const prog = (start: number, title: string, season: number | null, episode: number | null, channel = 'c1'): GuideProgramme => ({
  channel_id: channel, channel: 'x', start, stop: start + H, title, sub_title: null, desc: null, categories: [], season, episode,
});
const rule = (queued: string[] = []): SeriesRule => ({ id: 'r', channel_id: 'c1', channel_name: 'TV', title: 'The Drama', created_at: '', queued });
const job = (status: Job['status'], show: string, season: number, episode: number): Job => ({ status, show, title: show, season, episode }) as Job;

describe('airingsToQueue', () => {
  const guide = [
    prog(NOW - H, 'The Drama', 1, 1), // already started
    prog(NOW + H, 'the drama', 1, 2),
    prog(NOW + 2 * H, 'The Drama', 1, 3),
    prog(NOW + 3 * H, 'The Drama', 1, 2), // a repeat of E2
    prog(NOW + 4 * H, 'The Drama', null, null), // no episode number: by its start
    prog(NOW + 5 * H, 'Other Show', 1, 1),
    prog(NOW + 6 * H, 'The Drama', 1, 4, 'c2'), // another channel
    prog(NOW + 8 * 24 * H, 'The Drama', 1, 9), // beyond the horizon
  ];
  it('queues each new airing of the title on the channel once', () => {
    expect(airingsToQueue(rule(), guide, [], NOW).map((p) => [p.start, p.episode])).toEqual([
      [NOW + H, 2],
      [NOW + 2 * H, 3],
      [NOW + 4 * H, null],
    ]);
  });
  it('skips what it queued before, what the library has, and what is already on its way', () => {
    const queued = [`c1@${NOW + 4 * H}`];
    const jobs = [job('completed', 'The Drama', 1, 2), job('pending', 'the drama', 1, 3), job('failed', 'The Drama', 1, 5)];
    expect(airingsToQueue(rule(queued), guide, jobs, NOW)).toEqual([]);
  });
});

describe('series rules through the API', () => {
  let app: TestApp;
  let server: http.Server;
  let base: string;
  beforeAll(async () => {
    const xt = (ms: number): string => new Date(ms).toISOString().replace(/[-:T]/g, '').slice(0, 14) + ' +0000';
    const t = Date.now();
    const p = (h: number, title: string, ns: string | null): string =>
      `<programme start="${xt(t + h * H)}" stop="${xt(t + (h + 1) * H)}" channel="TV.uk"><title>${title}</title>${ns ? `<episode-num system="xmltv_ns">${ns}</episode-num>` : ''}</programme>`;
    const guide = `<tv><channel id="TV.uk"><display-name>TV</display-name></channel>${p(1, 'The Drama', '0.0.')}${p(2, 'The Drama', '0.1.')}${p(3, 'The Drama', '0.0.')}${p(4, 'News', null)}</tv>`;
    server = http.createServer((req, res) => {
      if (req.url === '/guide.xml') return void res.end(guide);
      res.end(`#EXTM3U x-tvg-url="${base}/guide.xml"\n#EXTINF:-1 tvg-id="TV.uk",TV\nhttp://127.0.0.1:9/live.m3u8\n`);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    app = await makeTestApp();
  });
  afterAll(async () => {
    await app?.dispose();
    await new Promise((r) => server.close(r));
  });

  it('adds a rule that queues the airings at once, never twice, and is removed', async () => {
    const api = app.koa.callback();
    const src = await request(api).post('/api/sources').send({ name: 'IPTV', kind: 'm3u', url: `${base}/list.m3u` });
    await request(api).post(`/api/sources/${src.body.id}/sync`);
    const channel = (await request(api).get('/api/channels')).body.items[0];
    const added = await request(api).post('/api/channels/rules').send({ channel_id: channel.id, title: 'the drama' });
    expect(added.status, JSON.stringify(added.body)).toBe(201);
    expect(added.body.queued.map((j: Job) => [j.title, j.season, j.episode, j.status])).toEqual([
      ['The Drama', 1, 1, 'pending'],
      ['The Drama', 1, 2, 'pending'],
    ]);
    // The same rule again, and the next sync's guide refresh: nothing new.
    const again = await request(api).post('/api/channels/rules').send({ channel_id: channel.id, title: 'The Drama' });
    expect(again.body.rule.id).toBe(added.body.rule.id);
    expect(again.body.queued).toEqual([]);
    await request(api).post(`/api/sources/${src.body.id}/sync`);
    expect(app.jobs.list({ limit: 50, offset: 0 }).items.filter((j) => j.title === 'The Drama')).toHaveLength(2);
    expect((await request(api).get('/api/channels/rules')).body.total).toBe(1);
    expect((await request(api).post('/api/channels/rules').send({ channel_id: 'nope', title: 'x' })).status).toBe(404);
    expect((await request(api).delete(`/api/channels/rules/${added.body.rule.id}`)).status).toBe(204);
    expect((await request(api).get('/api/channels/rules')).body.total).toBe(0);
    // The activity log names the series recording, on removal too (not only its id).
    const activity = (await request(api).get('/api/activity').query({ action: 'channel' })).body.items as Array<{ action: string; details?: { title?: string; channel?: string } }>;
    expect(activity.map((a) => [a.action, a.details?.title, a.details?.channel])).toEqual([
      ['channel.rule_removed', 'the drama', added.body.rule.channel_name],
      ['channel.rule_added', 'the drama', added.body.rule.channel_name],
      ['channel.rule_added', 'the drama', added.body.rule.channel_name],
    ]);
    for (const j of app.jobs.list({ limit: 50, offset: 0 }).items) await app.jobs.cancel(j.id);
  });
});
