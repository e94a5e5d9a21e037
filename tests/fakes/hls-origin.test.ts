import { createDecipheriv, randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildLargeHls, ensureFixtures, type Fixtures, type HlsScenario, type ScenarioName } from '../fixtures/media.js';
import {
  audioPresent, concatFrameHashes, decodeErrors, ffmpeg, probe, videoFrameHashes,
} from '../helpers/media-check.js';
import { FLAKY_SEGMENTS, MISSING_SEGMENT, startHlsOrigin, type HlsOrigin } from './hls-origin.js';

let fx: Fixtures;
let origin: HlsOrigin;
let tmp: string;
const refHashes = new Map<string, string[]>();

/** Frame hashes of a list of reference files, cached per test file. */
async function expectedFrames(refs: readonly string[]): Promise<string[]> {
  const key = refs.join('|');
  let h = refHashes.get(key);
  if (!h) refHashes.set(key, (h = await concatFrameHashes(refs)));
  return h;
}

/** URIs of segments, keys and maps in a media playlist, in order. */
function playlistUris(text: string): string[] {
  const uris: string[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line) continue;
    const m = /URI="([^"]+)"/.exec(line);
    if (line.startsWith('#') && m) uris.push(m[1]!);
    else if (!line.startsWith('#')) uris.push(line);
  }
  return uris;
}

function extinfs(text: string): number[] {
  return [...text.matchAll(/^#EXTINF:([\d.]+)/gm)].map((m) => Number(m[1]));
}

async function fetchBytes(url: string, init?: RequestInit): Promise<{ res: Response; body: Buffer }> {
  const res = await fetch(url, init);
  return { res, body: Buffer.from(await res.arrayBuffer()) };
}

async function ffmpegCopy(url: string, out: string, inputArgs: string[] = []): Promise<string> {
  const file = path.join(tmp, out);
  await ffmpeg([...inputArgs, '-i', url, '-map', '0', '-c', 'copy', file]);
  return file;
}

const isTs = (b: Buffer): boolean => b.length >= 376 && b[0] === 0x47 && b[188] === 0x47;

beforeAll(async () => {
  fx = await ensureFixtures();
  origin = await startHlsOrigin();
  tmp = await mkdtemp(path.join(os.tmpdir(), 'hls-origin-test-'));
});

afterAll(async () => {
  await origin?.close();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

describe('fixtures', () => {
  it('describes every scenario consistently with the files', async () => {
    const names = Object.keys(fx.scenarios).sort();
    expect(names).toEqual(
      ['aes', 'aes-noiv', 'aes-rotate', 'byterange', 'discontinuity', 'disguised', 'drm', 'fmp4', 'live', 'plain'],
    );
    for (const s of Object.values(fx.scenarios)) {
      expect(s.segmentCount, s.name).toBe(s.segments.length);
      expect(s.durationSec, s.name).toBeCloseTo(s.name === 'discontinuity' ? 7 : 6, 1);
      for (const ref of s.references) expect((await stat(ref)).isFile()).toBe(true);
    }
    expect(await ensureFixtures()).toBe(fx);
  });

  it('reference media decode cleanly and have the advertised frame counts', async () => {
    expect(await decodeErrors(fx.direct.reference)).toBe('');
    expect(await audioPresent(fx.direct.reference)).toBe(true);
    expect(await expectedFrames([fx.direct.reference])).toHaveLength(fx.direct.frameCount);
    const disc = fx.scenarios.discontinuity;
    expect(await expectedFrames(disc.references)).toHaveLength(disc.frameCount);
    for (const v of fx.master.variants) {
      const p = await probe(v.reference);
      expect(p.streams.map((s) => [s.codec_type, s.width, s.height])).toEqual([['video', v.width, v.height]]);
    }
  });
});

describe('scenario playlists', () => {
  const names: ScenarioName[] = [
    'plain', 'fmp4', 'aes', 'aes-noiv', 'aes-rotate', 'byterange', 'discontinuity', 'live', 'drm', 'disguised',
  ];

  it.each(names)('%s: playlist matches its description and every URI resolves', async (name) => {
    const s: HlsScenario = fx.scenarios[name];
    const playlistUrl = origin.url(s.playlist);
    const res = await fetch(playlistUrl);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/vnd.apple.mpegurl');
    const text = await res.text();
    expect(text.startsWith('#EXTM3U\n')).toBe(true);
    expect(extinfs(text)).toHaveLength(s.segmentCount);
    expect(extinfs(text).reduce((a, b) => a + b, 0)).toBeCloseTo(s.durationSec, 5);
    expect(text.includes('#EXT-X-ENDLIST')).toBe(s.endList);
    expect(text).toContain(`#EXT-X-MEDIA-SEQUENCE:${s.mediaSequence}`);
    for (const uri of new Set(playlistUris(text))) {
      if (uri.startsWith('skd://')) continue;
      const r = await fetch(new URL(uri, playlistUrl), { method: 'HEAD' });
      expect(r.status, uri).toBe(200);
    }
  });

  it('master: three variants in unsorted order plus a default audio rendition', async () => {
    const text = await (await fetch(origin.url(fx.master.playlist))).text();
    const inf = [...text.matchAll(/^#EXT-X-STREAM-INF:(.*)\n(.*)$/gm)];
    expect(inf.map((m) => m[2])).toEqual(fx.master.variants.map((v) => v.uri));
    expect(inf.map((m) => /RESOLUTION=(\d+x\d+)/.exec(m[1]!)?.[1])).toEqual(['320x180', '640x360', '160x90']);
    expect(new Set(fx.master.variants.map((v) => v.bandwidth)).size).toBe(3);
    expect(fx.master.variants[fx.master.bestIndex]!.width).toBe(640);
    for (const m of inf) expect(m[1]).toContain('AUDIO="aud"');
    expect(text).toMatch(/#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="aud",.*DEFAULT=YES.*URI="audio\/index.m3u8"/);
    const p = await probe(origin.url(fx.master.playlist));
    const videos = p.streams.filter((s) => s.codec_type === 'video').map((s) => s.height).sort((a, b) => a! - b!);
    expect(videos).toEqual([90, 180, 360]);
    expect(p.streams.some((s) => s.codec_type === 'audio')).toBe(true);
  });

  it('drm: SAMPLE-AES with the FairPlay key format', async () => {
    const text = await (await fetch(origin.url('drm/index.m3u8'))).text();
    expect(text).toContain('#EXT-X-KEY:METHOD=SAMPLE-AES,URI="skd://x",KEYFORMAT="com.apple.streamingkeydelivery"');
  });

  it('disguised: .jpg segments served as image/jpeg but are MPEG-TS', async () => {
    const { res, body } = await fetchBytes(origin.url('disguised/seg000.jpg'));
    expect(res.headers.get('content-type')).toBe('image/jpeg');
    expect(isTs(body)).toBe(true);
  });

  it('serves correct content types', async () => {
    const types: Array<[string, string]> = [
      ['plain/seg000.ts', 'video/mp2t'],
      ['fmp4/seg000.m4s', 'video/mp4'],
      ['fmp4/init.mp4', 'video/mp4'],
      ['direct/video.mp4', 'video/mp4'],
      ['aes/key.bin', 'application/octet-stream'],
    ];
    for (const [p, type] of types) {
      expect((await fetch(origin.url(p), { method: 'HEAD' })).headers.get('content-type'), p).toBe(type);
    }
  });
});

describe('media through the origin with plain ffmpeg', () => {
  const cases: Array<[ScenarioName, string[]]> = [
    ['plain', []],
    ['fmp4', []],
    ['aes', []],
    ['aes-noiv', []],
    ['aes-rotate', []],
    ['byterange', []],
    // Debian's ffmpeg 5.1.9 carries the upstream segment-extension check: .jpg is refused by default.
    ['disguised', ['-allowed_segment_extensions', 'ALL', '-extension_picky', '0']],
  ];
  it.each(cases)('%s: ffmpeg -c copy reproduces the reference frames', async (name, args) => {
    const s = fx.scenarios[name];
    const out = await ffmpegCopy(origin.url(s.playlist), `${name}.ts`, args);
    expect(await decodeErrors(out)).toBe('');
    expect(await videoFrameHashes(out)).toEqual(await expectedFrames(s.references));
    expect(await audioPresent(out)).toBe(true);
  });

  it('segments concatenated in playlist order equal the reference (plain, byterange, discontinuity)', async () => {
    for (const name of ['plain', 'byterange', 'discontinuity'] as const) {
      const s = fx.scenarios[name];
      const parts: Buffer[] = [];
      for (const seg of s.segments) {
        const init: RequestInit = seg.byteRange
          ? { headers: { Range: `bytes=${seg.byteRange.offset}-${seg.byteRange.offset + seg.byteRange.length - 1}` } }
          : {};
        const { res, body } = await fetchBytes(new URL(seg.uri, origin.url(s.playlist)).href, init);
        expect(res.status).toBe(seg.byteRange ? 206 : 200);
        expect(isTs(body)).toBe(true);
        parts.push(body);
      }
      const file = path.join(tmp, `concat-${name}.ts`);
      await writeFile(file, Buffer.concat(parts));
      expect(await videoFrameHashes(file), name).toEqual(await expectedFrames(s.references));
    }
  });

  it('AES segment metadata (key, IV) decrypts every segment to the clear TS', async () => {
    for (const name of ['aes', 'aes-noiv', 'aes-rotate'] as const) {
      const s = fx.scenarios[name];
      for (const seg of s.segments) {
        const body = await readFile(path.join(fx.root, path.dirname(s.playlist), seg.uri));
        let clear = body;
        if (seg.key) {
          const key = s.keys[seg.key.uri]!;
          expect(key).toHaveLength(16);
          const d = createDecipheriv('aes-128-cbc', key, seg.key.iv!);
          clear = Buffer.concat([d.update(body), d.final()]);
        }
        expect(isTs(clear), `${name}/${seg.uri}`).toBe(true);
      }
    }
    expect(fx.scenarios['aes-noiv'].segments[0]!.key!.iv!.toString('hex')).toBe('00000000000000000000000000000007');
    const rotate = fx.scenarios['aes-rotate'].segments.map((g) => g.key?.uri ?? 'NONE');
    expect(rotate).toEqual(['keys/a.key', 'keys/a.key', 'NONE', 'NONE', 'keys/b.key?token=rotate', 'keys/b.key?token=rotate']);
  });

  it.each([0, 1, 2])('master variant %i: ffmpeg reproduces that variant\'s frames', async (i) => {
    const v = fx.master.variants[i]!;
    const out = await ffmpegCopy(origin.url(v.playlist), `variant-${i}.ts`);
    expect(await videoFrameHashes(out)).toEqual(await expectedFrames([v.reference]));
    const p = await probe(out);
    expect(p.streams.find((st) => st.codec_type === 'video')?.width).toBe(v.width);
  });

  it('master audio rendition is audio-only', async () => {
    const out = await ffmpegCopy(origin.url(fx.master.audio.playlist), 'audio.ts');
    const p = await probe(out);
    expect(p.streams.map((st) => st.codec_type)).toEqual(['audio']);
    expect(await decodeErrors(out)).toBe('');
  });

  it('direct files: mp4 is faststart and ts has the same frames', async () => {
    const head = (await readFile(path.join(fx.root, fx.direct.mp4))).subarray(0, 64).toString('latin1');
    expect(head.indexOf('moov')).toBeGreaterThan(0); // moov before mdat
    const { body } = await fetchBytes(origin.url(fx.direct.ts));
    expect(body.length).toBe(fx.direct.tsBytes);
    const file = path.join(tmp, 'direct.ts');
    await writeFile(file, body);
    expect(await videoFrameHashes(file)).toEqual(await expectedFrames([fx.direct.reference]));
  });
});

describe('byte ranges', () => {
  it('answers 206 with an inclusive Content-Range', async () => {
    const url = origin.url(fx.direct.mp4);
    const whole = await readFile(path.join(fx.root, fx.direct.mp4));
    const size = whole.length;
    const cases: Array<[string, number, number]> = [
      ['bytes=0-99', 0, 99],
      ['bytes=100-', 100, size - 1],
      ['bytes=-50', size - 50, size - 1],
      [`bytes=10-${size + 1000}`, 10, size - 1],
    ];
    for (const [range, start, end] of cases) {
      const { res, body } = await fetchBytes(url, { headers: { Range: range } });
      expect(res.status, range).toBe(206);
      expect(res.headers.get('content-range')).toBe(`bytes ${start}-${end}/${size}`);
      expect(Number(res.headers.get('content-length'))).toBe(end - start + 1);
      expect(body.equals(whole.subarray(start, end + 1))).toBe(true);
    }
    const bad = await fetch(url, { headers: { Range: `bytes=${size}-` } });
    expect(bad.status).toBe(416);
    expect(bad.headers.get('content-range')).toBe(`bytes */${size}`);
    await bad.arrayBuffer();
    const full = await fetch(url, { method: 'HEAD' });
    expect(full.headers.get('accept-ranges')).toBe('bytes');
    const etag = full.headers.get('etag')!;
    const stale = await fetch(url, { headers: { Range: 'bytes=0-9', 'If-Range': '"other"' } });
    expect(stale.status).toBe(200);
    await stale.arrayBuffer();
    const fresh = await fetch(url, { headers: { Range: 'bytes=0-9', 'If-Range': etag } });
    expect(fresh.status).toBe(206);
    await fresh.arrayBuffer();
  });

  it('direct-norange ignores Range and has no Accept-Ranges', async () => {
    const { res, body } = await fetchBytes(origin.url('direct-norange/video.mp4'), { headers: { Range: 'bytes=0-99' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('accept-ranges')).toBeNull();
    expect(body.length).toBe(fx.direct.mp4Bytes);
  });

  it('byterange playlist uses implicit offsets on some lines', async () => {
    const text = await (await fetch(origin.url('byterange/index.m3u8'))).text();
    expect(text).toMatch(/^#EXT-X-BYTERANGE:\d+$/m);
    expect(text).toMatch(/^#EXT-X-BYTERANGE:\d+@\d+$/m);
    const implicit = fx.scenarios.byterange.segments.filter((s) => s.byteRange?.implicitOffset).length;
    expect(implicit).toBeGreaterThan(0);
  });
});

describe('misbehaving paths', () => {
  it('redirect: playlist moves, segments only resolve against the final URL', async () => {
    const res = await fetch(origin.url('redirect/index.m3u8'));
    expect(res.redirected).toBe(true);
    expect(res.url).toBe(origin.url('moved/deep/index.m3u8'));
    const first = playlistUris(await res.text())[0]!;
    expect((await fetch(new URL(first, res.url), { method: 'HEAD' })).status).toBe(200);
    expect((await fetch(new URL(first, origin.url('redirect/index.m3u8')), { method: 'HEAD' })).status).toBe(404);
    const out = await ffmpegCopy(origin.url('redirect/index.m3u8'), 'redirect.ts');
    expect(await videoFrameHashes(out)).toEqual(await expectedFrames(fx.scenarios.plain.references));
  });

  it('referer: playlist, key and segment need the Referer', async () => {
    for (const p of ['referer/index.m3u8', 'referer/key.bin', 'referer/seg000.ts']) {
      const without = await fetch(origin.url(p));
      expect(without.status, p).toBe(403);
      await without.arrayBuffer();
      const wrong = await fetch(origin.url(p), { headers: { Referer: `${origin.baseUrl}/other` } });
      expect(wrong.status, p).toBe(403);
      await wrong.arrayBuffer();
      const ok = await fetch(origin.url(p), { headers: { Referer: origin.referer } });
      expect(ok.status, p).toBe(200);
      await ok.arrayBuffer();
    }
    origin.requests.clear();
    const out = await ffmpegCopy(origin.url('referer/index.m3u8'), 'referer.ts', ['-headers', `Referer: ${origin.referer}\r\n`]);
    expect(await videoFrameHashes(out)).toEqual(await expectedFrames(fx.scenarios.aes.references));
    expect(origin.requests.count('/referer/key.bin')).toBeGreaterThan(0);
    // ffmpeg asks for `Range: bytes=0-`, hence 206.
    expect(origin.requests.filter('/referer/').map((r) => r.status).every((st) => st === 200 || st === 206)).toBe(true);
  });

  it('flaky: each failure happens on the first request only', async () => {
    origin.reset();
    const url = (f: string): string => origin.url(`flaky/${f}`);
    const size = (await stat(path.join(fx.root, 'plain', FLAKY_SEGMENTS.reset))).size;

    expect((await fetchBytes(url(FLAKY_SEGMENTS.status503))).res.status).toBe(503);
    await expect(fetchBytes(url(FLAKY_SEGMENTS.reset))).rejects.toThrow();
    const truncated = await fetch(url(FLAKY_SEGMENTS.truncate));
    expect(truncated.status).toBe(200);
    await expect(truncated.arrayBuffer()).rejects.toThrow();

    for (let round = 0; round < 2; round++) {
      for (const f of Object.values(FLAKY_SEGMENTS)) {
        const { res, body } = await fetchBytes(url(f));
        expect(res.status, f).toBe(200);
        expect(body.equals(await readFile(path.join(fx.root, 'plain', f))), f).toBe(true);
      }
    }
    const outcomes = (f: string): string[] => origin.requests.filter(`/flaky/${f}`).map((r) => `${r.status}:${r.outcome}`);
    expect(outcomes(FLAKY_SEGMENTS.status503)).toEqual(['503:complete', '200:complete', '200:complete']);
    expect(outcomes(FLAKY_SEGMENTS.reset)).toEqual(['200:reset', '200:complete', '200:complete']);
    expect(outcomes(FLAKY_SEGMENTS.truncate)).toEqual(['200:truncated', '200:complete', '200:complete']);
    const reset = origin.requests.filter(`/flaky/${FLAKY_SEGMENTS.reset}`)[0]!;
    expect(reset.bytesSent).toBeLessThan(size);
    // The same URL works through a full playlist run once the failures are spent.
    const out = await ffmpegCopy(origin.url('flaky/index.m3u8'), 'flaky.ts');
    expect(await videoFrameHashes(out)).toEqual(await expectedFrames(fx.scenarios.plain.references));
  });

  it('missing: one segment always 404s', async () => {
    for (let i = 0; i < 2; i++) {
      const r = await fetch(origin.url(`missing/${MISSING_SEGMENT}`));
      expect(r.status).toBe(404);
      await r.arrayBuffer();
    }
    expect((await fetch(origin.url('missing/index.m3u8'), { method: 'HEAD' })).status).toBe(200);
    expect((await fetch(origin.url('missing/seg000.ts'), { method: 'HEAD' })).status).toBe(200);
  });
});

describe('injections', () => {
  it('status with times, then normal again', async () => {
    origin.reset();
    const h = origin.inject({ match: '/plain/seg000.ts', kind: 'status', status: 500, times: 2 });
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await fetch(origin.url('plain/seg000.ts'));
      statuses.push(r.status);
      await r.arrayBuffer();
    }
    expect(statuses).toEqual([500, 500, 200]);
    expect(h.hits).toBe(2);
    expect(origin.requests.count(/seg000\.ts$/)).toBe(3);
  });

  it('delay, hang, reset, truncate and clearInjections', async () => {
    origin.reset();
    origin.inject({ match: /seg001\.ts$/, kind: 'delay', delayMs: 300 });
    const t0 = performance.now();
    expect((await fetchBytes(origin.url('plain/seg001.ts'))).res.status).toBe(200);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(290);

    origin.inject({ match: 'seg002', kind: 'hang' });
    await expect(fetch(origin.url('plain/seg002.ts'), { signal: AbortSignal.timeout(300) })).rejects.toThrow();
    expect(origin.requests.filter('seg002')[0]!.outcome).toMatch(/hung/);

    origin.inject({ match: 'seg003', kind: 'reset', times: 1 });
    await expect(fetchBytes(origin.url('plain/seg003.ts'))).rejects.toThrow();
    expect((await fetchBytes(origin.url('plain/seg003.ts'))).res.status).toBe(200);

    origin.inject({ match: 'seg004', kind: 'truncate' });
    const r = await fetch(origin.url('plain/seg004.ts'), { headers: { Range: 'bytes=100-' } });
    expect(r.status).toBe(206);
    await expect(r.arrayBuffer()).rejects.toThrow();

    origin.clearInjections();
    for (const f of ['seg002.ts', 'seg004.ts']) {
      expect((await fetchBytes(origin.url(`plain/${f}`))).res.status).toBe(200);
    }
  });

  it('waitFor resolves when matching requests arrive', async () => {
    origin.reset();
    const waiting = origin.requests.waitFor('/plain/seg005.ts', 2, 5000);
    await fetchBytes(origin.url('plain/seg005.ts'));
    await fetchBytes(origin.url('plain/seg005.ts'));
    expect(await waiting).toHaveLength(2);
  });
});

describe('keep-alive', () => {
  it('answers a request sent on the connection before the previous response finished (pipelined)', async () => {
    // Both requests in one write: Node queues the second response until the first finishes, and
    // until then it has no socket. The origin used to give up on it and never answer.
    const { port } = new URL(origin.baseUrl);
    const first = fx.scenarios.plain.playlist.replace(/index\.m3u8$/, '');
    const body = await readFile(path.join(origin.root, fx.scenarios.plain.playlist), 'utf8');
    const segment = /^[^#\s].*$/m.exec(body)![0];
    const target = `/${first}${segment}`;
    const size = (await stat(path.join(origin.root, first, segment))).size;
    const socket = net.connect(Number(port), '127.0.0.1');
    const received: Buffer[] = [];
    socket.on('data', (d: Buffer) => received.push(d));
    const request = `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n\r\n`;
    socket.write(request + request);
    // Two whole responses: two status lines and two bodies (the test's timeout bounds the wait).
    await new Promise<void>((resolve) => {
      const check = (): void => {
        const all = Buffer.concat(received);
        const statuses = all.toString('latin1').match(/HTTP\/1\.1 200/g)?.length ?? 0;
        if (statuses === 2 && all.length >= 2 * size) resolve();
      };
      socket.on('data', check);
    });
    socket.destroy();
  }, 10_000);
});

describe('throttling and keep-alive', () => {
  let slow: HlsOrigin;
  let root: string;
  const RATE = 2_000_000;
  const SIZE = 1_500_000;

  beforeAll(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'hls-origin-throttle-'));
    await writeFile(path.join(root, 'a.bin'), randomBytes(SIZE));
    await writeFile(path.join(root, 'b.bin'), randomBytes(SIZE));
    slow = await startHlsOrigin({ root, perConnectionBytesPerSec: RATE, firstByteDelayMs: 100 });
  });
  afterAll(async () => {
    await slow?.close();
    if (root) await rm(root, { recursive: true, force: true });
  });

  async function timed(p: string): Promise<{ ttfb: number; rate: number }> {
    const t0 = performance.now();
    const res = await fetch(slow.url(p));
    const t1 = performance.now();
    const body = Buffer.from(await res.arrayBuffer());
    const t2 = performance.now();
    expect(body.length).toBe(SIZE);
    return { ttfb: t1 - t0, rate: body.length / ((t2 - t1) / 1000) };
  }

  it('paces one connection at about the configured rate after the first-byte delay', async () => {
    const { ttfb, rate } = await timed('a.bin');
    expect(ttfb).toBeGreaterThanOrEqual(95);
    expect(rate / RATE).toBeGreaterThan(0.7);
    expect(rate / RATE).toBeLessThan(1.3);
  });

  it('throttles per connection, so two parallel downloads each get the rate', async () => {
    const [a, b] = await Promise.all([timed('a.bin'), timed('b.bin')]);
    for (const r of [a, b]) {
      expect(r.rate / RATE).toBeGreaterThan(0.7);
      expect(r.rate / RATE).toBeLessThan(1.3);
    }
  });

  it('keeps connections alive between requests', async () => {
    const o = await startHlsOrigin({ root, perConnectionBytesPerSec: RATE });
    const agent = new http.Agent({ keepAlive: true });
    try {
      // node:http's Agent, like got: undici's fetch returns a socket to its pool a tick after the
      // body resolves, so back-to-back fetches alternate between two connections.
      for (let i = 0; i < 3; i++) {
        await new Promise<void>((resolve, reject) => {
          http.get(o.url('a.bin'), { agent, headers: { Range: 'bytes=0-99999' } }, (res) => {
            res.resume();
            res.on('end', resolve);
          }).on('error', reject);
        });
      }
      expect(o.requests.entries.map((r) => r.connectionId)).toEqual([1, 1, 1]);
      expect(o.connectionCount()).toBe(1);
    } finally {
      agent.destroy();
      await o.close();
    }
  });
});

describe('large fixture', () => {
  it('builds the requested size and segment count, then reuses it', async () => {
    const dir = path.join(tmp, 'large');
    const opts = { seconds: 8, segmentSeconds: 2, bitrate: 4_000_000 };
    const built = await buildLargeHls(dir, opts);
    expect(built.segmentCount).toBe(4);
    expect(built.durationSec).toBeCloseTo(8, 0);
    const expected = (8 * (4_000_000 + 64_000)) / 8;
    expect(built.totalBytes / expected).toBeGreaterThan(0.9);
    expect(built.totalBytes / expected).toBeLessThan(1.25);
    const again = await buildLargeHls(dir, opts);
    expect(again.generatedMs).toBe(0);
    expect(await decodeErrors(built.playlist)).toBe('');
  });

  it('two builds of one fixture at once (two test workers): the later one keeps the build already served', async () => {
    const dir = path.join(tmp, 'large-raced');
    const opts = { seconds: 2, segmentSeconds: 1, bitrate: 300_000 };
    const segment = path.join(dir, 'seg00000.ts');
    let first: { ino: number; mtimeMs: number } | undefined;
    const noteFirst = async (build: Promise<Awaited<ReturnType<typeof buildLargeHls>>>) => {
      const info = await build;
      if (!first) {
        const s = await stat(segment);
        first = { ino: s.ino, mtimeMs: s.mtimeMs };
      }
      return info;
    };
    const [a, b] = await Promise.all([noteFirst(buildLargeHls(dir, opts)), noteFirst(buildLargeHls(dir, opts))]);
    // The files the first finished build handed out are still the ones there (a test may be serving them).
    const now = await stat(segment);
    expect({ ino: now.ino, mtimeMs: now.mtimeMs }).toEqual(first);
    expect(a.totalBytes).toBe(b.totalBytes);
    expect((await readdir(tmp)).filter((n) => n.startsWith('large-raced.partial'))).toEqual([]);
  });
});
