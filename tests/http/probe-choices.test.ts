/**
 * POST /api/probe's choices and title (issue 19, "Choosing what to download"): each variant's
 * exact `quality`, the suggested `title` from the strongest evidence the URL offers, and the
 * server's own fallback title for a job created without one; a job given an exact variant
 * downloads that one (checked with ffprobe), and fails rather than swapping when it is gone.
 */
import { execFileSync } from 'node:child_process';
import http from 'node:http';
import { mkdtempSync, readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Job } from '../../addon/jobs/model.js';
import { DASH_MANIFEST } from '../fakes/dash-manifest.js';
import { startHlsOrigin, type HlsOrigin } from '../fakes/hls-origin.js';
import { ensureFixtures, type Fixtures } from '../fixtures/media.js';
import { makeTestApp, waitFor, type TestApp } from '../helpers/app.js';
import { probe as ffprobe } from '../helpers/media-check.js';

/** A real MP4 whose moov box follows the media data, with a title tag. */
function taggedMp4(title: string): Buffer {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'probe-title-'));
  const out = path.join(dir, 'a.mp4');
  execFileSync('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=size=160x120:rate=10', '-t', '1', '-c:v', 'libx264', '-preset', 'ultrafast', '-metadata', `title=${title}`, out]);
  return readFileSync(out);
}

/** Files the fixture origin does not serve: with Content-Disposition, a tagged MP4 (ranges), titled playlists. */
async function startTitleServer(origin: HlsOrigin, fx: Fixtures): Promise<{ url: (p: string) => string; close(): Promise<void> }> {
  const mp4 = taggedMp4('Caminandes: Llamigos');
  const plain = readFileSync(path.join(fx.root, fx.direct.mp4));
  const sendRanged = (req: http.IncomingMessage, res: http.ServerResponse, body: Buffer, extra: Record<string, string> = {}): void => {
    const m = /bytes=(\d+)-(\d*)/.exec(req.headers.range ?? '');
    if (!m) {
      res.writeHead(200, { 'Content-Type': 'video/mp4', 'Content-Length': body.length, ...extra }).end(body);
      return;
    }
    const start = Number(m[1]);
    const end = Math.min(m[2] ? Number(m[2]) : body.length - 1, body.length - 1);
    res.writeHead(206, { 'Content-Type': 'video/mp4', 'Content-Range': `bytes ${start}-${end}/${body.length}`, 'Content-Length': end - start + 1, ...extra }).end(body.subarray(start, end + 1));
  };
  const server = http.createServer((req, res) => {
    const p = req.url ?? '/';
    if (p === '/dl/9981') sendRanged(req, res, plain, { 'Content-Disposition': 'attachment; filename="Night.of.the.Living.Dead.1968.720p.mp4"' });
    else if (p === '/files/v360p.mp4') sendRanged(req, res, mp4);
    else if (p === '/hls/4f1c2b9a8d7e6f50/master.m3u8' || p === '/hls/0a1b2c3d4e5f6a7b/master.m3u8') {
      const titled = p.includes('4f1c');
      const master = readFileSync(path.join(fx.root, fx.master.playlist), 'utf8');
      const base = origin.url(path.posix.dirname(fx.master.playlist)) + '/';
      const absolute = master.replace(/^(?!#)(\S+)$/gm, (u) => new URL(u, base).toString()).replace(/URI="([^"]+)"/g, (_m, u: string) => `URI="${new URL(u, base).toString()}"`);
      res.writeHead(200, { 'Content-Type': 'application/vnd.apple.mpegurl' }).end(titled ? absolute.replace('#EXTM3U', '#EXTM3U\n#EXT-X-SESSION-DATA:DATA-ID="com.apple.hls.title",VALUE="Agent 327: Operation Barbershop"') : absolute);
    } else if (p === '/show/manifest.mpd') {
      res.writeHead(200, { 'Content-Type': 'application/dash+xml' }).end(DASH_MANIFEST.replace(/(<MPD[^>]*>)/, '$1<ProgramInformation><Title>Coffee Run &amp; Friends</Title></ProgramInformation>'));
    } else res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url: (p) => `${base}/${p}`, close: () => new Promise((r) => server.close(() => r())) };
}

describe('probe choices and titles', () => {
  let fx: Fixtures;
  let origin: HlsOrigin;
  let titles: Awaited<ReturnType<typeof startTitleServer>>;
  let app: TestApp;
  let server: ReturnType<TestApp['koa']['callback']>;

  beforeAll(async () => {
    fx = await ensureFixtures();
    origin = await startHlsOrigin();
    titles = await startTitleServer(origin, fx);
    app = await makeTestApp({ MAX_CONCURRENT_DOWNLOADS: '2' });
    server = app.koa.callback();
  });
  afterAll(async () => {
    await app?.dispose();
    await titles?.close();
    await origin?.close();
  });

  const probe = (body: object) => request(server).post('/api/probe').send(body);

  it('gives each variant its exact quality and size estimate, and the master a title from the URL', async () => {
    const res = await probe({ url: origin.url(fx.master.playlist) });
    expect(res.status).toBe(200);
    const byHeight = [...fx.master.variants].sort((a, b) => b.height - a.height);
    expect(res.body.variants.map((v: { quality: string }) => v.quality)).toEqual(byHeight.map((v) => `${v.height}p@${v.bandwidth}`));
    for (const v of res.body.variants as Array<{ bandwidth: number; estimated_bytes: number }>) expect(v.estimated_bytes).toBe(Math.round((v.bandwidth * res.body.duration_s) / 8));
    expect(res.body.content_type).toMatch(/mpegurl/);
    // The fixture path ends in a generic name: the rule walks up and never answers "master".
    expect(res.body.title).not.toMatch(/master|index|playlist/i);
    expect(typeof res.body.title_from).toBe('string');
  });

  it.each([
    ['a Content-Disposition filename', 'dl/9981', 'Night of the Living Dead (1968)', 'disposition'],
    ['an MP4 title tag (moov after the media data: one more ranged request)', 'files/v360p.mp4', 'Caminandes: Llamigos', 'media_tag'],
    ['an HLS master\'s session-data title', 'hls/4f1c2b9a8d7e6f50/master.m3u8', 'Agent 327: Operation Barbershop', 'playlist'],
    ['a DASH ProgramInformation title', 'show/manifest.mpd', 'Coffee Run & Friends', 'playlist'],
  ])('titles a URL from %s', async (_name, p, title, from) => {
    const res = await probe({ url: titles.url(p) });
    expect(res.status).toBe(200);
    expect([res.body.title, res.body.title_from]).toEqual([title, from]);
  });

  it('says a direct file\'s size and type', async () => {
    const res = await probe({ url: titles.url('dl/9981') });
    expect(res.body).toMatchObject({ kind: 'direct', container: 'mp4', content_type: 'video/mp4', estimated_bytes: fx.direct.mp4Bytes });
  });

  it('takes the page title the extension sends when the stream names nothing, and the host when there is none', async () => {
    const url = titles.url('hls/0a1b2c3d4e5f6a7b/master.m3u8');
    expect((await probe({ url, page_title: 'The Big Match' })).body).toMatchObject({ title: 'The Big Match', title_from: 'page' });
    expect((await probe({ url })).body).toMatchObject({ title: '127.0.0.1', title_from: 'host' });
    // The stream's own title wins over the page's.
    expect((await probe({ url: titles.url('hls/4f1c2b9a8d7e6f50/master.m3u8'), page_title: 'The Big Match' })).body.title_from).toBe('playlist');
  });

  it('gives a job created without a title the same title the probe suggests (REST)', async () => {
    for (const p of ['dl/9981', 'hls/4f1c2b9a8d7e6f50/master.m3u8']) {
      const suggested = (await probe({ url: titles.url(p) })).body;
      const created = await request(server).post('/api/downloads').send({ url: titles.url(p) });
      expect(created.status).toBe(201);
      // The server has only the URL at creation: it agrees wherever the URL is the evidence.
      if (suggested.title_from === 'url' || suggested.title_from === 'host') expect(created.body.title).toBe(suggested.title);
      else expect(created.body.title).toBe('127.0.0.1');
      await request(server).delete(`/api/downloads/${created.body.id}`);
    }
    const bare = await request(server).post('/api/downloads').send({ url: 'https://cdn.example/sintel/v360p/index.m3u8' });
    expect(bare.body.title).toBe('Sintel');
    const page = await request(server).post('/api/downloads').send({ url: 'https://cdn.example/hls/4f1c2b9a8d7e6f50/master.m3u8', page_title: 'The Big Match' });
    expect(page.body.title).toBe('The Big Match');
    // An Xtream-style URL: the walk stops at the id, so the password above it never becomes the title (or the file name).
    const xtream = await request(server).post('/api/downloads').send({ url: 'http://provider.example:8080/movie/someuser/s3cretpass/12345.mp4' });
    expect(xtream.body.title).toBe('provider.example');
    for (const id of [bare.body.id, page.body.id, xtream.body.id]) await request(server).delete(`/api/downloads/${id}`);
  });

  it('downloads exactly the variant picked, not the best one', async () => {
    const sorted = [...fx.master.variants].sort((a, b) => b.height - a.height);
    const chosen = sorted[sorted.length - 1]!;
    expect(chosen.height).not.toBe(sorted[0]!.height);
    const created = await request(server).post('/api/downloads').send({ url: origin.url(fx.master.playlist), quality: `${chosen.height}p@${chosen.bandwidth}`, title: 'Exact variant' });
    expect(created.status).toBe(201);
    const done = await waitFor(async () => {
      const job = (await request(server).get(`/api/downloads/${created.body.id}`)).body as Job;
      if (job.status === 'failed') throw new Error(`failed: ${job.error?.message}`);
      return job.status === 'completed' ? job : undefined;
    }, 60_000, 'the download');
    const info = await ffprobe(path.join(app.root, 'media', done.file_path!));
    expect(info.streams.find((s) => s.codec_type === 'video')?.height).toBe(chosen.height);
  });

  it('fails a job whose exact variant is gone, naming what the stream offers, instead of taking another', async () => {
    const created = await request(server).post('/api/downloads').send({ url: origin.url(fx.master.playlist), quality: '4320p@99000000', title: 'Gone variant' });
    const failed = await waitFor(async () => {
      const job = (await request(server).get(`/api/downloads/${created.body.id}`)).body as Job;
      return job.status === 'failed' ? job : job.status === 'completed' ? (() => { throw new Error('completed with another variant'); })() : undefined;
    }, 30_000, 'the failure');
    expect(failed.error).toMatchObject({ code: 'variant_gone' });
    expect(failed.error!.message).toMatch(/no longer offers the chosen 4320p variant \(it offers \d+p/);
  });

  it('refuses a malformed quality with a 400 naming the field', async () => {
    const res = await request(server).post('/api/downloads').send({ url: origin.url(fx.master.playlist), quality: '720p@fast' });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ field: 'quality' });
    expect(res.body.error.message).toMatch(/a variant such as "720p@2500000"/);
  });
});
