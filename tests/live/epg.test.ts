/**
 * The programme guide: XMLTV read as a stream (saxes), times and episode numbers as the DTD says,
 * gzip told by its bytes, a size cap, matching by tvg-id then by name, now/next, and recording a
 * programme with padding through the API.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Job } from '../../addon/jobs/model.js';
import type { Channel } from '../../addon/live/channels.js';
import { GuideService } from '../../addon/live/epg/guide-service.js';
import { programmeRecording } from '../../addon/live/epg/programme-recording.js';
import { parseEpisodeNum, parseXmltvTime, xmltvStream, type Programme } from '../../addon/live/epg/xmltv.js';
import { systemClock } from '../../addon/platform/clock.js';
import { createHttpClient, DEFAULT_USER_AGENT } from '../../addon/platform/http.js';
import { silentLogger } from '../../addon/platform/logger.js';
import { liveMedia, startLiveOrigin, type LiveOrigin } from '../fakes/live-origin.js';
import { makeTestApp, waitFor, type TestApp } from '../helpers/app.js';
import { decodeErrors } from '../helpers/media-check.js';

/** XMLTV time of a ms timestamp, in UTC or with an offset. */
function xt(ms: number, offsetMin = 0): string {
  const d = new Date(ms + offsetMin * 60_000);
  const two = (n: number): string => String(n).padStart(2, '0');
  const sign = offsetMin < 0 ? '-' : '+';
  const off = Math.abs(offsetMin);
  return `${d.getUTCFullYear()}${two(d.getUTCMonth() + 1)}${two(d.getUTCDate())}${two(d.getUTCHours())}${two(d.getUTCMinutes())}${two(d.getUTCSeconds())} ${sign}${two(Math.floor(off / 60))}${two(off % 60)}`;
}

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');

function guideXml(programmes: Array<{ channel: string; start: number; stop?: number; title: string; sub?: string; ns?: string; offset?: number }>, channels: Array<{ id: string; name: string }>): string {
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<!DOCTYPE tv SYSTEM "xmltv.dtd">',
    '<tv generator-info-name="test">',
    ...channels.map((c) => `<channel id="${c.id}"><display-name lang="en">${esc(c.name)}</display-name><icon src="http://127.0.0.1/i.png"/></channel>`),
    ...programmes.map(
      (p) =>
        `<programme start="${xt(p.start, p.offset)}"${p.stop !== undefined ? ` stop="${xt(p.stop, p.offset)}"` : ''} channel="${p.channel}"><title lang="en">${esc(p.title)}</title>${p.sub ? `<sub-title>${esc(p.sub)}</sub-title>` : ''}<desc>About &amp; more</desc>${p.ns ? `<episode-num system="xmltv_ns">${p.ns}</episode-num>` : ''}</programme>`,
    ),
    '</tv>',
    '',
  ].join('\n');
}

describe('XMLTV', () => {
  it.each([
    ['20261206200000 +0000', Date.UTC(2026, 11, 6, 20)],
    ['20261206200000 +0300', Date.UTC(2026, 11, 6, 17)],
    ['20261206200000 -0130', Date.UTC(2026, 11, 6, 21, 30)],
    ['20261206200000', Date.UTC(2026, 11, 6, 20)],
    ['202612062000', Date.UTC(2026, 11, 6, 20)],
    ['20261206', Date.UTC(2026, 11, 6)],
    ['19880523083000 +0300', Date.UTC(1988, 4, 23, 5, 30)],
  ])('time %s', (text, ms) => {
    expect(parseXmltvTime(text)).toBe(ms);
  });
  it('rejects an unreadable time', () => {
    expect(parseXmltvTime('tomorrow')).toBeNaN();
  });

  it.each([
    ['xmltv_ns', '1.0.0/1', 2, 1],
    ['xmltv_ns', '0 . 12/13 . 0/3', 1, 13],
    ['xmltv_ns', '.4.', null, 5],
    ['onscreen', 'S03E07', 3, 7],
    ['onscreen', '2x05', 2, 5],
    [undefined, 'Episode 12', null, 12],
  ] as const)('episode-num %s %s', (system, text, season, episode) => {
    expect(parseEpisodeNum(system, text)).toEqual({ season, episode });
  });

  it('streams channels and programmes from chunks cut anywhere, building only wanted channels', () => {
    const t = Date.UTC(2026, 11, 6, 20);
    const xml = guideXml(
      [
        { channel: 'a.uk', start: t, stop: t + 1800_000, title: 'News & Weather', sub: 'Late', ns: '0.4.' },
        { channel: 'b.uk', start: t, stop: t + 1800_000, title: 'Not wanted' },
        { channel: 'a.uk', start: t + 1800_000, title: 'Film' },
      ],
      [{ id: 'a.uk', name: 'Channel A' }, { id: 'b.uk', name: 'Channel B' }],
    );
    const got: Programme[] = [];
    const names: string[] = [];
    const s = xmltvStream({ wants: (id) => id === 'a.uk', channel: (c) => names.push(...c.names), programme: (p) => got.push(p) });
    for (let i = 0; i < xml.length; i += 7) s.write(xml.slice(i, i + 7));
    expect(s.close()).toEqual({ channels: 2, programmes: 2, skipped: 1 });
    expect(names).toEqual(['Channel A', 'Channel B']);
    expect(got[0]).toMatchObject({ channel: 'a.uk', start: t, stop: t + 1800_000, title: 'News & Weather', sub_title: 'Late', desc: 'About & more', season: 1, episode: 5 });
    expect(got[1]).toMatchObject({ title: 'Film', stop: null });
  });

  it('throws on malformed XML', () => {
    const s = xmltvStream({});
    expect(() => {
      s.write('<tv><programme start="2026" channel="x"><title>a</programme>');
      s.close();
    }).toThrow();
  });

  it('pads a programme recording and files an episode as one', () => {
    const now = Date.UTC(2026, 11, 6, 19);
    const p = { start: Date.UTC(2026, 11, 6, 20), stop: Date.UTC(2026, 11, 6, 21), title: 'The Match', sub_title: null, season: null, episode: null };
    expect(programmeRecording('Sport', p, { beforeMin: 2, afterMin: 5 }, now)).toEqual({
      title: 'The Match',
      content_type: 'recording',
      show: 'Sport',
      live: { start_at: '2026-12-06T19:58:00.000Z', until: '2026-12-06T21:05:00.000Z', channel: 'Sport' },
    });
    // Already running: it starts now.
    expect(programmeRecording('Sport', p, { beforeMin: 2, afterMin: 5 }, Date.UTC(2026, 11, 6, 20, 30)).live).toEqual({ until: '2026-12-06T21:05:00.000Z', channel: 'Sport' });
    const ep = programmeRecording('TV', { ...p, title: 'Drama', sub_title: 'Pilot', season: 2, episode: 1 }, { beforeMin: 0, afterMin: 0 }, now);
    expect(ep).toMatchObject({ content_type: 'series', show: 'Drama', season: 2, episode: 1, episode_title: 'Pilot' });
  });
});

describe('guides and programme recordings', () => {
  let origin: LiveOrigin;
  let server: http.Server;
  let base: string;
  let guide = '';
  let app: TestApp;

  beforeAll(async () => {
    await liveMedia(1);
    origin = await startLiveOrigin({ segmentSeconds: 1 });
    server = http.createServer((req, res) => {
      if (req.url === '/list.m3u') {
        res.writeHead(200);
        res.end(
          [
            `#EXTM3U url-tvg="${base}/guide.xml.gz"`,
            '#EXTINF:-1 tvg-id="NewsOne.uk" group-title="News",News One HD',
            origin.url('plain'),
            '#EXTINF:-1 tvg-id="" group-title="Movies" tvg-chno="9",Cine Action',
            origin.url('aes'),
            '',
          ].join('\n'),
        );
      } else if (req.url === '/guide.xml.gz') {
        res.writeHead(200, { 'content-type': 'application/octet-stream' });
        res.end(gzipSync(guide));
      } else if (req.url === '/bare.m3u') {
        res.writeHead(200);
        res.end(`#EXTM3U\n#EXTINF:-1 tvg-id="NewsOne.uk",News One\n${origin.url('plain')}\n`);
      } else if (req.url?.startsWith('/plain.xml')) {
        res.writeHead(200);
        res.end(guide);
      } else {
        res.writeHead(404).end();
      }
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    app = await makeTestApp({ EPG_PADDING_BEFORE_MIN: '0', EPG_PADDING_AFTER_MIN: '0' });
  }, 120_000);
  afterAll(async () => {
    await app?.dispose();
    await origin?.stop();
    await new Promise((r) => server.close(r));
  });

  it('a sync fetches the gzipped guide, matches by tvg-id then name, shows now/next, and records a programme as an episode', async () => {
    const now = Date.now();
    const startSoon = Math.ceil((now + 2500) / 1000) * 1000;
    guide = guideXml(
      [
        { channel: 'NewsOne.uk', start: now - 600_000, stop: startSoon, title: 'Morning News' },
        { channel: 'NewsOne.uk', start: startSoon, stop: startSoon + 4000, title: 'Drama', sub: 'Pilot', ns: '0.0.' },
        { channel: 'NewsOne.uk', start: startSoon + 4000, stop: startSoon + 3_600_000, title: 'Late Show', offset: 180 },
        { channel: 'cine-action-id', start: now - 60_000, stop: now + 3_600_000, title: 'Action Movie' },
        { channel: 'other.uk', start: now, stop: now + 60_000, title: 'Elsewhere' },
      ],
      [{ id: 'NewsOne.uk', name: 'News One' }, { id: 'cine-action-id', name: 'Cine Action' }, { id: 'other.uk', name: 'Other' }],
    );
    const http1 = app.koa.callback();
    const created = await request(http1).post('/api/sources').send({ name: 'IPTV', kind: 'm3u', url: `${base}/list.m3u` });
    const synced = await request(http1).post(`/api/sources/${created.body.id}/sync`);
    expect(synced.body.status).toBe('completed');
    expect(synced.body.notes).toContain('guide: 4 programmes for 2 of 2 channels');

    const page = await request(http1).get('/api/channels');
    const news = page.body.items.find((c: Channel) => c.name === 'News One');
    const cine = page.body.items.find((c: Channel) => c.name === 'Cine Action');
    expect(news.now.title).toBe('Morning News');
    expect(news.next).toMatchObject({ title: 'Drama', episode: 1, season: 1 });
    expect(cine.now.title).toBe('Action Movie'); // matched by display name

    const listing = await request(http1).get(`/api/channels/${news.id}/guide?hours=2`);
    expect(listing.body.items.map((p: Programme) => p.title)).toEqual(['Morning News', 'Drama', 'Late Show']);
    // +0300 is read as such: the Late Show starts right after Drama.
    expect(listing.body.items[2].start).toBe(startSoon + 4000);

    const bad = await request(http1).post(`/api/channels/${news.id}/record`).send({ programme: { start: new Date(startSoon + 1).toISOString() } });
    expect(bad.status).toBe(400);
    const rec = await request(http1).post(`/api/channels/${news.id}/record`).send({ programme: { start: new Date(startSoon).toISOString() } });
    expect(rec.status, JSON.stringify(rec.body)).toBe(201);
    expect(rec.body).toMatchObject({ title: 'Drama', content_type: 'series', show: 'Drama', season: 1, episode: 1, episode_title: 'Pilot', status: 'pending' });
    expect(rec.body.live).toEqual({ start_at: new Date(startSoon).toISOString(), until: new Date(startSoon + 4000).toISOString(), channel: 'News One' });
    const job = (await waitFor(() => (['completed', 'failed'].includes(app.jobs.get(rec.body.id).status) ? app.jobs.get(rec.body.id) : undefined), 30_000)) as Job;
    expect(job.error).toBeNull();
    expect(job.recording!.ended).toBe('until');
    expect(job.file_path).toBe('Series/Drama/Season 01/Drama - S01E01 - Pilot.mp4');
    expect(await decodeErrors(`${app.config.media_dir}/${job.file_path}`)).toBe('');
    expect(Date.parse(job.recording!.started_at!)).toBeGreaterThanOrEqual(startSoon);
  });

  it('a guide URL set on the source is used too, and shown masked', async () => {
    const api = app.koa.callback();
    const created = await request(api).post('/api/sources').send({ name: 'Bare', kind: 'm3u', url: `${base}/bare.m3u`, epg_url: `${base}/plain.xml?token=s3cr3tvalue` });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body.epg_url).not.toContain('s3cr3tvalue');
    const synced = await request(api).post(`/api/sources/${created.body.id}/sync`);
    expect(synced.body.notes.join(' ')).toMatch(/^guide: \d+ programmes for 1 of 1 channels$/);
    const bad = await request(api).patch(`/api/sources/${created.body.id}`).send({ epg_url: 'ftp://x/guide.xml' });
    expect(bad.status).toBe(400);
    const cleared = await request(api).patch(`/api/sources/${created.body.id}`).send({ epg_url: null });
    expect(cleared.body.epg_url).toBeNull();
  });

  it('refuses a guide over the size cap, plain or gzipped', async () => {
    const t = Date.now();
    guide = guideXml(Array.from({ length: 200 }, (_, i) => ({ channel: 'a', start: t + i * 60_000, stop: t + (i + 1) * 60_000, title: `P${i}` })), [{ id: 'a', name: 'A' }]);
    const svc = new GuideService({ http: createHttpClient({ timeoutMs: 5000, maxSocketsPerHost: 4, userAgent: DEFAULT_USER_AGENT }), clock: systemClock, logger: silentLogger(), dir: `${app.root}/g`, maxBytes: 4096 });
    const ch: Channel = { id: 'c1', source_id: 's', name: 'A', group: null, logo: null, tvg_id: 'a', tvg_name: null, number: null, url: 'http://x', headers: {} };
    await expect(svc.refresh('s', [`${base}/guide.xml.gz`], [ch], new AbortController().signal)).rejects.toThrow(/larger than/);
    await expect(svc.refresh('s', [`${base}/plain.xml`], [ch], new AbortController().signal)).rejects.toThrow(/larger than/);
    const roomy = new GuideService({ http: createHttpClient({ timeoutMs: 5000, maxSocketsPerHost: 4, userAgent: DEFAULT_USER_AGENT }), clock: systemClock, logger: silentLogger(), dir: `${app.root}/g2` });
    expect(await roomy.refresh('s', [`${base}/guide.xml.gz`], [ch], new AbortController().signal)).toEqual({ programmes: 200, matched_channels: 1, guide_channels: 1 });
    expect((await roomy.nowNext(ch)).now?.title).toBe('P0');
  });
});
