import { DASH_MANIFEST } from '../fakes/dash-manifest.js';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureFixtures, type Fixtures } from '../fixtures/media.js';
import { expectedReferer, startHlsOrigin, type HlsOrigin } from '../fakes/hls-origin.js';
import { makeTestApp, waitFor, type TestApp } from '../helpers/app.js';

/** Pages and manifests the fixture origin does not have: an .mpd, a web page, a master with subtitles. */
async function startPageServer(origin: HlsOrigin): Promise<{ url: (p: string) => string; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    const path = req.url ?? '/';
    if (path === '/manifest.mpd') {
      res.writeHead(200, { 'Content-Type': 'application/dash+xml' }).end(DASH_MANIFEST);
    } else if (path === '/watch.html') {
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' }).end('<!doctype html><title>A page</title><video></video>');
    } else if (path === '/subs/master.m3u8') {
      res.writeHead(200, { 'Content-Type': 'application/x-mpegurl' }).end(
        [
          '#EXTM3U',
          '#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID="subs",NAME="Deutsch",LANGUAGE="de",DEFAULT=NO,AUTOSELECT=YES,URI="de.m3u8"',
          '#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID="subs",NAME="English",LANGUAGE="en",DEFAULT=YES,AUTOSELECT=YES,URI="en.m3u8"',
          '#EXT-X-STREAM-INF:BANDWIDTH=800000,RESOLUTION=640x360,SUBTITLES="subs"',
          origin.url('master/v640/index.m3u8'),
          '',
        ].join('\n'),
      );
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url: (p) => `${base}/${p}`, close: () => new Promise((r) => server.close(() => r())) };
}

describe('POST /api/probe', () => {
  let fixtures: Fixtures;
  let origin: HlsOrigin;
  let pages: Awaited<ReturnType<typeof startPageServer>>;
  let app: TestApp;
  let server: ReturnType<TestApp['koa']['callback']>;

  beforeAll(async () => {
    fixtures = await ensureFixtures();
    origin = await startHlsOrigin();
    pages = await startPageServer(origin);
    app = await makeTestApp();
    server = app.koa.callback();
  });
  afterAll(async () => {
    await app?.dispose();
    await pages?.close();
    await origin?.close();
  });

  const probe = (body: object) => request(server).post('/api/probe').send(body);

  it('describes a master playlist: variants highest first, audio, duration and the estimate of the best', async () => {
    const res = await probe({ url: origin.url(fixtures.master.playlist) });
    expect(res.status).toBe(200);
    const master = fixtures.master;
    const byHeight = [...master.variants].sort((a, b) => b.height - a.height);
    expect(res.body).toMatchObject({ kind: 'hls', live: false, drm: false, note: null });
    expect(res.body.variants.map((v: { height: number }) => v.height)).toEqual(byHeight.map((v) => v.height));
    expect(res.body.variants[0]).toMatchObject({ height: byHeight[0]!.height, width: byHeight[0]!.width, bandwidth: byHeight[0]!.bandwidth, codecs: byHeight[0]!.codecs, url: origin.url(byHeight[0]!.playlist) });
    expect(res.body.audio).toEqual([{ language: 'en', name: master.audio.name, url: origin.url(master.audio.playlist) }]);
    expect(res.body.subtitles).toEqual([]);
    expect(res.body.duration_s).toBeCloseTo(byHeight[0]!.durationSec, 1);
    expect(res.body.estimated_bytes).toBe(Math.round((byHeight[0]!.bandwidth * res.body.duration_s) / 8));
  });

  it('lists subtitle renditions with their languages', async () => {
    const res = await probe({ url: pages.url('subs/master.m3u8') });
    expect(res.status).toBe(200);
    expect(res.body.subtitles).toEqual([
      { language: 'de', name: 'Deutsch', url: pages.url('subs/de.m3u8') },
      { language: 'en', name: 'English', url: pages.url('subs/en.m3u8') },
    ]);
    expect(res.body.variants).toHaveLength(1);
  });

  it('describes a media playlist: duration and a size estimate from its first segment', async () => {
    const plain = fixtures.scenarios.plain;
    const res = await probe({ url: origin.url(plain.playlist) });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ kind: 'hls', variants: [], live: false, drm: false });
    expect(res.body.duration_s).toBeCloseTo(plain.durationSec, 2);
    expect(res.body.estimated_bytes).toBeGreaterThan(0);
  });

  it('marks a live playlist live, without a duration', async () => {
    const res = await probe({ url: origin.url(fixtures.scenarios.live.playlist) });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ kind: 'hls', live: true, duration_s: null, estimated_bytes: null });
    expect(res.body.note).toMatch(/live stream/);
  });

  it('marks a DRM-protected playlist drm, naming the system', async () => {
    const res = await probe({ url: origin.url(fixtures.scenarios.drm.playlist) });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ kind: 'hls', drm: true });
    expect(res.body.note).toMatch(/FairPlay DRM/);
  });

  it('describes a direct file: its size and container', async () => {
    const res = await probe({ url: origin.url(fixtures.direct.mp4) });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ kind: 'direct', estimated_bytes: fixtures.direct.mp4Bytes, container: 'mp4', variants: [], live: false, drm: false });
  });

  it('sends the referer and headers a download would send, and names a refusal', async () => {
    const url = origin.url(`referer/${fixtures.scenarios.aes.playlist.split('/').pop()}`);
    const refused = await probe({ url });
    expect(refused.status).toBe(422);
    expect(refused.body.error).toMatchObject({ code: 'origin_status', field: 'url' });
    expect(refused.body.error.message).toMatch(/answered HTTP 403: it refused: the page may need to send its Referer/);

    origin.requests.clear();
    const ok = await probe({ url, referer: expectedReferer(origin.baseUrl), headers: { 'X-Player': 'web' } });
    expect(ok.status).toBe(200);
    expect(ok.body.kind).toBe('hls');
    const seen = origin.requests.filter('/referer/');
    expect(seen.length).toBeGreaterThan(0);
    for (const r of seen) expect([r.headers.referer, r.headers['x-player']]).toEqual([expectedReferer(origin.baseUrl), 'web']);
  });

  it('describes a DASH manifest as it does an HLS master: qualities, audio languages, duration', async () => {
    const res = await probe({ url: pages.url('manifest.mpd') });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ kind: 'dash', duration_s: 10, live: false, drm: false });
    expect(res.body.variants.map((v: { height: number }) => v.height)).toEqual([720, 360]);
    expect(res.body.audio.map((a: { language: string }) => a.language)).toEqual(['pt']);
  });

  it('refuses a web page, a missing file and an unreachable host with what went wrong', async () => {
    const page = await probe({ url: pages.url('watch.html') });
    expect([page.status, page.body.error.code]).toEqual([422, 'not_media']);
    expect(page.body.error.message).toBe('the URL returned text/html, not a playlist or a media file (a web page or an error page?)');
    const missing = await probe({ url: origin.url('nothing/here.m3u8') });
    expect([missing.status, missing.body.error.message]).toEqual([422, `${new URL(origin.baseUrl).host} answered HTTP 404: nothing there (the link may have expired)`]);
    const closed = http.createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    const down = await probe({ url: `http://127.0.0.1:${port}/a.m3u8` });
    expect([down.status, down.body.error.code]).toEqual([422, 'origin_unreachable']);
    expect(down.body.error.message).toMatch(new RegExp(`^cannot reach 127\\.0\\.0\\.1:${port}: .*ECONNREFUSED`));
  });

  it('stops fetching when the caller goes away', async () => {
    const hang = origin.inject({ match: '/hang/', kind: 'hang' });
    const listening = await app.listen(0, '127.0.0.1');
    try {
      const port = (listening.address() as AddressInfo).port;
      const req = http.request({ host: '127.0.0.1', port, method: 'POST', path: '/api/probe', headers: { 'content-type': 'application/json' } });
      req.on('error', () => undefined);
      req.end(JSON.stringify({ url: origin.url('hang/master.m3u8') }));
      const [seen] = await origin.requests.waitFor('/hang/', 1, 10_000);
      req.destroy();
      // The origin never answers; only the probe giving up closes its connection.
      await waitFor(() => seen!.endedAt, 10_000, 'the probe to close its request to the origin');
      expect(seen!.outcome).toBe('hung');
    } finally {
      hang.remove();
      await new Promise((r) => listening.close(r));
    }
  });

  it('validates its input and needs the operator role', async () => {
    const bad = await probe({ url: 'file:///etc/passwd' });
    expect([bad.status, bad.body.error.field]).toEqual([400, 'url']);
    const extra = await probe({ url: origin.url('plain/index.m3u8'), quality: '720p' });
    expect(extra.body.error.message).toMatch(/unknown field\(s\): quality/);
    const viewer = await app.auth.createKey({ name: 'viewer', role: 'viewer' }, 'test');
    const denied = await request(server).post('/api/probe').set('Authorization', `Bearer ${viewer.key}`).send({ url: origin.url('plain/index.m3u8') });
    expect(denied.status).toBe(403);
    const operator = await app.auth.createKey({ name: 'browser', role: 'operator' }, 'test');
    const allowed = await request(server).post('/api/probe').set('Authorization', `Bearer ${operator.key}`).send({ url: origin.url('plain/index.m3u8') });
    expect(allowed.status).toBe(200);
  });
});
