/**
 * A job created without a title (REST here; MQTT, automations and Telegram call the same
 * JobService.create) is queued at once with the URL/page-title rule's provisional title, and the
 * download's first response settles it: a direct file's Content-Disposition, an MKV's or MP4's
 * title tag. The settled title is the one the file is filed under and the completed job (what
 * notifications, NFO and MQTT read) carries. A title a person gives, at creation or by an edit
 * while the download runs, is never replaced.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Job } from '../../addon/jobs/model.js';
import { startHlsOrigin, type HlsOrigin } from '../fakes/hls-origin.js';
import { startMosquitto } from '../fakes/mosquitto.js';
import { ensureFixtures } from '../fixtures/media.js';
import { mqttProbe } from '../fakes/mqtt-probe.js';
import { makeTestApp, waitFor, type TestApp } from '../helpers/app.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'job-titles-'));

/** A real 1 s file by ffmpeg; an MP4 keeps its moov box after the media data (not in the first bytes). */
function encode(ext: 'mkv' | 'mp4', title: string | null): Buffer {
  const out = path.join(dir, `${Math.random().toString(36).slice(2)}.${ext}`);
  // ~180 KB (near-lossless): bigger than the first response's 64 KB, so the MP4's moov is not in them.
  execFileSync('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=10', '-t', '2', '-c:v', 'libx264', '-preset', 'ultrafast', '-qp', '5', ...(title ? ['-metadata', `title=${title}`] : []), out]);
  return readFileSync(out);
}

interface Origin {
  url(p: string): string;
  /** Lets /slow/ answer. */
  release(): void;
  close(): Promise<void>;
}

async function startOrigin(hls?: HlsOrigin): Promise<Origin> {
  const fx = hls ? await ensureFixtures() : null;
  const untitled = encode('mkv', null);
  const mkv = encode('mkv', 'Caminandes Llamigos');
  const mp4 = encode('mp4', 'Agent 327 Operation Barbershop');
  expect(mp4.subarray(0, 64 * 1024).includes(Buffer.from('moov'))).toBe(false); // the tag is past the first response's bytes
  let release!: () => void;
  const released = new Promise<void>((r) => (release = r));
  const send = (req: http.IncomingMessage, res: http.ServerResponse, body: Buffer, type: string, extra: Record<string, string> = {}): void => {
    const m = /bytes=(\d+)-(\d*)/.exec(req.headers.range ?? '');
    if (!m) {
      res.writeHead(200, { 'Content-Type': type, 'Content-Length': body.length, ...extra }).end(body);
      return;
    }
    const start = Number(m[1]);
    const end = Math.min(m[2] ? Number(m[2]) : body.length - 1, body.length - 1);
    res.writeHead(206, { 'Content-Type': type, 'Content-Range': `bytes ${start}-${end}/${body.length}`, 'Content-Length': end - start + 1, ...extra }).end(body.subarray(start, end + 1));
  };
  const disposition = { 'Content-Disposition': 'attachment; filename="The.Movie.2019.1080p.mkv"' };
  const server = http.createServer((req, res) => {
    const p = (req.url ?? '/').split('?')[0];
    if (p === '/dl/9981' || p === '/dl/9982' || p === '/dl/9984') send(req, res, untitled, 'application/octet-stream', disposition);
    else if (p === '/slow/9983') void released.then(() => send(req, res, untitled, 'application/octet-stream', disposition));
    else if (p === '/evil/1' || p === '/evil/2') send(req, res, untitled, 'application/octet-stream', { 'Content-Disposition': p === '/evil/1' ? 'attachment; filename="../../../../etc/cron.d/evil.mkv"' : "attachment; filename*=UTF-8''..%2F..%2F%2E%2E%2Fescape%2Fx.mkv" });
    else if (p === '/hls/4f1c2b9a8d7e6f50/master.m3u8' && hls && fx) {
      // The fixture master, its URLs made absolute (they point at the fixture origin), with a title in its session data.
      const master = readFileSync(path.join(fx.root, fx.master.playlist), 'utf8');
      const base = hls.url(path.posix.dirname(fx.master.playlist)) + '/';
      const absolute = master.replace(/^(?!#)(\S+)$/gm, (u) => new URL(u, base).toString()).replace(/URI="([^"]+)"/g, (_m, u: string) => `URI="${new URL(u, base).toString()}"`);
      res.writeHead(200, { 'Content-Type': 'application/vnd.apple.mpegurl' }).end(absolute.replace('#EXTM3U', '#EXTM3U\n#EXT-X-SESSION-DATA:DATA-ID="com.apple.hls.title",VALUE="Agent 327: Operation Barbershop"'));
    } else if (p === '/v/v360p.mkv') send(req, res, mkv, 'video/x-matroska');
    else if (p === '/v/v720p.mp4') send(req, res, mp4, 'video/mp4');
    else res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: (p) => `${base}/${p}`,
    release: () => release(),
    close: () => new Promise((r) => (server.closeAllConnections(), server.close(() => r()))),
  };
}

describe('a job created without a title gets the title the stream gives', () => {
  let origin: Origin;
  let hls: HlsOrigin;
  let app: TestApp;
  let server: ReturnType<TestApp['koa']['callback']>;
  /** Every job snapshot the bus announced, by job id, in order. */
  const announced = new Map<string, Array<{ event: string; title: string; status: string }>>();

  beforeAll(async () => {
    hls = await startHlsOrigin();
    origin = await startOrigin(hls);
    app = await makeTestApp({ MAX_CONCURRENT_DOWNLOADS: '3' });
    server = app.koa.callback();
    const note = (event: string) => ({ job }: { job: Job }) => {
      const list = announced.get(job.id) ?? [];
      list.push({ event, title: job.title, status: job.status });
      announced.set(job.id, list);
    };
    app.bus.on('job.updated', note('job.updated'));
    app.bus.on('job.status', note('job.status'));
  });
  afterAll(async () => {
    origin?.release();
    await app?.dispose();
    await origin?.close();
    await hls?.close();
  });

  const create = async (body: object): Promise<Job> => {
    const res = await request(server).post('/api/downloads').send(body);
    expect(res.status).toBe(201);
    return res.body as Job;
  };
  const completed = (id: string): Promise<Job> =>
    waitFor(
      async () => {
        const job = (await request(server).get(`/api/downloads/${id}`)).body as Job;
        if (job.status === 'failed') throw new Error(`download failed: ${job.error?.message}`);
        return job.status === 'completed' ? job : undefined;
      },
      30_000,
      `download ${id} to complete`,
    );

  it('files a REST download under its Content-Disposition name, and every later snapshot carries it', async () => {
    const created = await create({ url: origin.url('dl/9981') });
    // Queued at once, with the provisional title (this URL names nothing: the host).
    expect(created.title).toBe('127.0.0.1');
    const done = await completed(created.id);
    expect(done.title).toBe('The Movie (2019)');
    expect(path.basename(done.location!)).toBe('The Movie (2019).mkv');
    expect([created.title_from, done.title_from]).toEqual(['host', 'disposition']);
    expect(existsSync(done.location!)).toBe(true);
    expect(done.file_path).toContain('The Movie (2019)');
    // SSE and MQTT heard of the new title (job.updated) before the file was filed, and the
    // completed snapshot (what notifications and the NFO read) has it.
    const events = announced.get(created.id)!;
    const retitled = events.findIndex((e) => e.event === 'job.updated' && e.title === 'The Movie (2019)');
    expect(retitled).toBeGreaterThanOrEqual(0);
    expect(retitled).toBeLessThan(events.findIndex((e) => e.status === 'transferring'));
    expect(events.filter((e) => e.status === 'transferring' || e.status === 'completed').every((e) => e.title === 'The Movie (2019)')).toBe(true);
  });

  it('takes an MKV title tag: the probe suggests it and a job gets it', async () => {
    const done = await completed((await create({ url: origin.url('v/v360p.mkv') })).id);
    expect(done.title).toBe('Caminandes Llamigos');
    expect(path.basename(done.location!)).toBe('Caminandes Llamigos.mkv');
    expect(done.title_from).toBe('media_tag');
    const probed = await request(server).post('/api/probe').send({ url: origin.url('v/v360p.mkv') });
    expect(probed.status).toBe(200);
    expect(probed.body).toMatchObject({ title: 'Caminandes Llamigos', title_from: 'media_tag', container: 'mkv' });
  });

  it('takes an MP4 title tag that sits after the media data, read from the downloaded file', async () => {
    const done = await completed((await create({ url: origin.url('v/v720p.mp4') })).id);
    expect(done.title).toBe('Agent 327 Operation Barbershop');
    expect(path.basename(done.location!)).toBe('Agent 327 Operation Barbershop.mp4');
    expect(done.title_from).toBe('media_tag');
  });

  it('takes an HLS master\'s session-data title, the one the probe suggests', async () => {
    const url = origin.url('hls/4f1c2b9a8d7e6f50/master.m3u8');
    expect((await request(server).post('/api/probe').send({ url })).body).toMatchObject({ title: 'Agent 327: Operation Barbershop', title_from: 'playlist' });
    const done = await completed((await create({ url, quality: 'worst' })).id);
    expect([done.title, done.title_from]).toEqual(['Agent 327: Operation Barbershop', 'playlist']);
    expect(done.location!.startsWith(app.config.media_dir)).toBe(true);
  });

  it('files a Content-Disposition that tries to climb out of the library inside it', async () => {
    for (const p of ['evil/1', 'evil/2']) {
      const done = await completed((await create({ url: origin.url(p) })).id);
      expect(done.title_from).toBe('disposition');
      expect(done.location!.startsWith(path.join(app.config.media_dir, 'Downloads') + path.sep)).toBe(true);
      expect(existsSync(done.location!)).toBe(true);
      expect(done.file_path).not.toMatch(/\.\./);
    }
  });

  it('keeps a title given at creation', async () => {
    const created = await create({ url: origin.url('dl/9982'), title: 'My Own Name' });
    expect(created.title_from).toBe('user');
    const done = await completed(created.id);
    expect([done.title, done.title_from]).toEqual(['My Own Name', 'user']);
    expect(path.basename(done.location!)).toBe('My Own Name.mkv');
  });

  it('keeps a title typed while the download waits for its first response', async () => {
    const created = await create({ url: origin.url('slow/9983') });
    await waitFor(async () => ((await request(server).get(`/api/downloads/${created.id}`)).body.status === 'downloading' ? true : undefined));
    const edited = await request(server).patch(`/api/downloads/${created.id}`).send({ title: 'Typed While Running' });
    expect(edited.status).toBe(200);
    origin.release();
    const done = await completed(created.id);
    expect([done.title, done.title_from]).toEqual(['Typed While Running', 'user']);
    expect(path.basename(done.location!)).toBe('Typed While Running.mkv');
  });
});

describe('over MQTT (what Home Assistant automations publish)', () => {
  it('a bare URL on download/add completes under its Content-Disposition title, on download/completed and last_completed', async () => {
    const [broker, origin] = await Promise.all([startMosquitto(), startOrigin()]);
    const base = `m3u_titles${process.pid}`;
    const app = await makeTestApp({ MQTT_URL: broker.url, MQTT_BASE_TOPIC: base }, { notify: { mqttBackoff: { initialMs: 100, maxMs: 400 } } });
    const p = await mqttProbe(broker.url, [`${base}/#`]);
    try {
      // The app publishes its state after it subscribed to its command topics: a command sent from here on is heard.
      await p.next(`${base}/state`, undefined, 20_000);
      await p.publish(`${base}/download/add`, origin.url('dl/9984'));
      const added = JSON.parse((await p.next(`${base}/download/added`, undefined, 20_000)).payload) as { ok: boolean; job: Job };
      expect([added.ok, added.job.title]).toEqual([true, '127.0.0.1']);
      const done = JSON.parse((await p.next(`${base}/download/completed`, undefined, 30_000)).payload) as Record<string, unknown>;
      expect(done).toMatchObject({ id: added.job.id, title: 'The Movie (2019)', filename: 'The Movie (2019).mkv' });
      expect(JSON.parse((await p.next(`${base}/last_completed`)).payload).title).toBe('The Movie (2019)');
    } finally {
      await p.close();
      await app.dispose();
      await Promise.all([broker.close(), origin.close()]);
    }
  });
});
