import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Job } from '../../addon/jobs/model.js';
import { ensureFixtures, type Fixtures } from '../fixtures/media.js';
import { makeTestApp, waitFor, type TestApp } from '../helpers/app.js';
import { decodeErrors, probe } from '../helpers/media-check.js';
import { playlistBody, startFaultOrigin, type FaultOrigin } from './fault-origin.js';

/**
 * Wrong results (issue 12): nothing that is not media is called completed; a segment cut short
 * without a Content-Length is caught by its bytes and fetched again; an expired signed URL makes
 * the engine fetch the playlist again for fresh URLs instead of failing the job.
 */
let fx: Fixtures;
let origin: FaultOrigin;
let app: TestApp;
let segs: Buffer[];

beforeAll(async () => {
  fx = await ensureFixtures();
  origin = await startFaultOrigin();
  app = await makeTestApp({ SEGMENT_CONCURRENCY: '1' });
  segs = await Promise.all(fx.scenarios.plain.segments.map((s) => readFile(path.join(fx.root, 'plain', s.uri))));
});
afterAll(async () => {
  await app?.dispose();
  await origin?.close();
});

const run = (url: string): Promise<Job> => {
  const job = app.jobs.create({ url, title: `bad ${path.basename(url)}` });
  return waitFor(() => {
    const j = app.jobs.get(job.id);
    return ['completed', 'failed', 'cancelled'].includes(j.status) ? j : undefined;
  }, 60_000, 'the job');
};

/** A media playlist over the plain fixture's segments, each at /<dir>/<n>.ts with an optional query. */
const playlist = (dir: string, query = ''): string =>
  ['#EXTM3U', '#EXT-X-VERSION:3', '#EXT-X-TARGETDURATION:1', '#EXT-X-MEDIA-SEQUENCE:0', '#EXT-X-PLAYLIST-TYPE:VOD', ...segs.flatMap((_, i) => ['#EXTINF:1.000000,', `/${dir}/${i}.ts${query}`]), '#EXT-X-ENDLIST', ''].join('\n');

describe('bodies that are not media are never completed', () => {
  it('an empty 200 body fails as empty_body', async () => {
    origin.route('/empty.mp4', (_req, res) => void res.writeHead(200, { 'content-type': 'video/mp4', 'content-length': '0' }).end());
    const job = await run(`${origin.baseUrl}/empty.mp4`);
    expect(job.status).toBe('failed');
    expect(job.error?.code).toBe('empty_body');
    expect(job.file_path).toBeNull();
  });

  it('random bytes served as an HLS playlist fail as not_media', async () => {
    const junk = randomBytes(200_000);
    junk[0] = 0x00; // never a TS sync byte by chance
    origin.route('/garbage.m3u8', (_req, res) => void res.writeHead(200, { 'content-type': 'application/vnd.apple.mpegurl', 'content-length': junk.length }).end(junk));
    const job = await run(`${origin.baseUrl}/garbage.m3u8`);
    expect(job.status).toBe('failed');
    expect(job.error?.code).toBe('not_media');
    expect(job.error?.message).toMatch(/200000 bytes that ffmpeg cannot read/);
  });
});

describe('segments cut short without Content-Length', () => {
  it('a body ending mid-packet is fetched again and the file plays', async () => {
    let cut = 0;
    origin.route('/cut.m3u8', playlistBody(() => playlist('cut')));
    for (let i = 0; i < segs.length; i++) {
      origin.route(`/cut/${i}.ts`, (_req, res) => {
        // Chunked (no Content-Length); the first answer for segment 3 stops mid-packet.
        res.writeHead(200, { 'content-type': 'video/mp2t' });
        if (i === 3 && cut++ === 0) res.end(segs[i]!.subarray(0, 188 * 40 + 77));
        else res.end(segs[i]);
      });
    }
    const job = await run(`${origin.baseUrl}/cut.m3u8`);
    expect(job.error).toBeNull();
    expect(job.status).toBe('completed');
    expect(origin.requests.filter((r) => r.path === '/cut/3.ts')).toHaveLength(2);
    const file = path.join(app.config.media_dir, job.file_path!);
    expect(await decodeErrors(file)).toBe('');
  });

  it('a body cut on a packet boundary is caught by the size pattern, fetched again', async () => {
    let cut = 0;
    origin.route('/aligned.m3u8', playlistBody(() => playlist('aligned')));
    for (let i = 0; i < segs.length; i++) {
      origin.route(`/aligned/${i}.ts`, (_req, res) => {
        res.writeHead(200, { 'content-type': 'video/mp2t' });
        if (i === 4 && cut++ === 0) res.end(segs[i]!.subarray(0, 188 * 10));
        else res.end(segs[i]);
      });
    }
    const job = await run(`${origin.baseUrl}/aligned.m3u8`);
    expect(job.status).toBe('completed');
    expect(origin.requests.filter((r) => r.path === '/aligned/4.ts')).toHaveLength(2);
    expect(Number((await probe(path.join(app.config.media_dir, job.file_path!))).format.duration)).toBeCloseTo(fx.scenarios.plain.durationSec, 0);
  });

  it('a segment that stays cut fails the job naming the segment and the reason', async () => {
    origin.route('/always-cut.m3u8', playlistBody(() => playlist('always-cut')));
    for (let i = 0; i < segs.length; i++) {
      origin.route(`/always-cut/${i}.ts`, (_req, res) => {
        res.writeHead(200, { 'content-type': 'video/mp2t' });
        res.end(i === 2 ? segs[i]!.subarray(0, 1000) : segs[i]);
      });
    }
    const job = await run(`${origin.baseUrl}/always-cut.m3u8`);
    expect(job.status).toBe('failed');
    expect(job.error?.message).toMatch(/segment 3 of 6 .*ends mid-packet/);
  });
});

describe('expiring signed URLs', () => {
  /**
   * A master with a token that a CDN would sign; segment URLs carry it and stop working after
   * `validFor` segment requests. The master hands out a new token each time it is fetched.
   */
  function signedOrigin(name: string, opts: { validFor: number; refreshHelps: boolean }): { url: string; served: () => number } {
    let generation = 0;
    let served = 0;
    origin.route(`/${name}/master.m3u8`, (_req, res) => {
      generation++;
      const body = `#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=800000,RESOLUTION=320x240\n/${name}/media.m3u8?token=t${generation}\n`;
      res.writeHead(200, { 'content-type': 'application/vnd.apple.mpegurl' }).end(body);
    });
    origin.route(`/${name}/media.m3u8`, (_req, res, url) => {
      const token = url.searchParams.get('token') ?? '';
      res.writeHead(200, { 'content-type': 'application/vnd.apple.mpegurl' }).end(playlist(`${name}/seg`, `?token=${token}`));
    });
    for (let i = 0; i < segs.length; i++) {
      origin.route(`/${name}/seg/${i}.ts`, (_req, res, url) => {
        const token = url.searchParams.get('token');
        const valid = opts.refreshHelps ? token === `t${generation}` && (generation > 1 || served < opts.validFor) : served < opts.validFor;
        if (!valid) return void res.writeHead(403, { 'content-type': 'text/plain' }).end('token expired\n');
        served++;
        res.writeHead(200, { 'content-type': 'video/mp2t', 'content-length': segs[i]!.length }).end(segs[i]);
      });
    }
    return { url: `${origin.baseUrl}/${name}/master.m3u8`, served: () => served };
  }

  it('403 half-way: the playlist is fetched again through the master, the download continues', async () => {
    const signed = signedOrigin('signed', { validFor: 3, refreshHelps: true });
    const job = await run(signed.url);
    expect(job.error).toBeNull();
    expect(job.status).toBe('completed');
    expect(origin.requests.filter((r) => r.path === '/signed/master.m3u8')).toHaveLength(2);
    // Segments 4..6 came with the new token.
    const later = origin.requests.filter((r) => r.path.startsWith('/signed/seg/') && r.query.get('token') === 't2').map((r) => r.path);
    expect(later).toEqual(['/signed/seg/3.ts', '/signed/seg/4.ts', '/signed/seg/5.ts']);
    expect(await decodeErrors(path.join(app.config.media_dir, job.file_path!))).toBe('');
  });

  it('a refresh that does not help fails the job naming the segment', async () => {
    signedOrigin('revoked', { validFor: 2, refreshHelps: false });
    const job = await run(`${origin.baseUrl}/revoked/master.m3u8`);
    expect(job.status).toBe('failed');
    expect(job.error?.message).toMatch(/^segment 3 of 6 .*HTTP 403 even after the playlist was fetched again/);
  });
});

describe('EXT-X-GAP and I-frame playlists in a real download', () => {
  it('gap segments are skipped (never fetched, their 404 never fails the job)', async () => {
    const lines = ['#EXTM3U', '#EXT-X-VERSION:8', '#EXT-X-TARGETDURATION:1', '#EXT-X-PLAYLIST-TYPE:VOD'];
    segs.forEach((_, i) => {
      if (i === 2) lines.push('#EXT-X-GAP');
      lines.push('#EXTINF:1.000000,', `/gap/${i}.ts`);
    });
    lines.push('#EXT-X-ENDLIST', '');
    origin.route('/gap.m3u8', playlistBody(() => lines.join('\n')));
    for (let i = 0; i < segs.length; i++) {
      if (i === 2) continue; // declared missing, and missing (404)
      origin.route(`/gap/${i}.ts`, (_req, res) => void res.writeHead(200, { 'content-type': 'video/mp2t', 'content-length': segs[i]!.length }).end(segs[i]));
    }
    const job = await run(`${origin.baseUrl}/gap.m3u8`);
    expect(job.error).toBeNull();
    expect(job.status).toBe('completed');
    expect(origin.requests.filter((r) => r.path === '/gap/2.ts')).toHaveLength(0);
    expect(await decodeErrors(path.join(app.config.media_dir, job.file_path!))).toBe('');
  });

  it('an I-frame-only playlist is refused with a clear reason', async () => {
    origin.route('/iframes.m3u8', playlistBody(() => '#EXTM3U\n#EXT-X-VERSION:4\n#EXT-X-TARGETDURATION:1\n#EXT-X-I-FRAMES-ONLY\n#EXTINF:1,\n#EXT-X-BYTERANGE:376@0\n/gap/0.ts\n#EXT-X-ENDLIST\n'));
    const job = await run(`${origin.baseUrl}/iframes.m3u8`);
    expect(job.status).toBe('failed');
    expect(job.error).toMatchObject({ code: 'iframe_only' });
  });
});
