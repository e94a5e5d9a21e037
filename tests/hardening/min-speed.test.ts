import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { classifyError } from '../../addon/download/retry.js';
import { fetchSmall } from '../../addon/download/fetch-to-file.js';
import { createHttpClient, type HttpClient } from '../../addon/platform/http.js';

/**
 * A slow origin (issue 12): one byte at a time keeps the idle timeout from ever firing. Under the
 * minimum-throughput rule the request fails as a timeout (retried like one) instead of holding a
 * download slot forever; a healthy body is untouched.
 */
describe('minimum throughput per request', () => {
  let server: http.Server;
  let base: string;
  const timers = new Set<NodeJS.Timeout>();

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      if (req.url === '/trickle') {
        // 4 bytes every 100 ms = 40 B/s, forever: never idle long enough for the idle timeout.
        res.writeHead(200, { 'content-type': 'video/mp2t', 'content-length': '100000' });
        const t = setInterval(() => res.write(Buffer.alloc(4, 0x47)), 100);
        timers.add(t);
        res.on('close', () => clearInterval(t));
        return;
      }
      res.writeHead(200, { 'content-type': 'video/mp2t', 'content-length': String(200_000) });
      res.end(Buffer.alloc(200_000, 0x47));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    for (const t of timers) clearInterval(t);
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  const client = (minSpeed?: { bytesPerSecond: number; windowMs: number }): HttpClient =>
    createHttpClient({ timeoutMs: 5_000, maxSocketsPerHost: 4, userAgent: 'test', minSpeed });

  it('a body trickling below the floor fails as a retryable timeout, naming the speed', async () => {
    const http = client({ bytesPerSecond: 1000, windowMs: 400 });
    const signal = new AbortController().signal;
    const started = Date.now();
    const err = await fetchSmall(http, `${base}/trickle`, {}, signal).then(
      () => null,
      (e: unknown) => e,
    );
    http.close();
    expect(err, 'the trickling body must not be read to the end').not.toBeNull();
    expect((err as { code?: string }).code).toBe('ETIMEDOUT');
    expect(String((err as Error).message)).toMatch(/too slow: \d+ bytes\/s .*minimum 1000 bytes\/s, option min_speed_bytes/);
    expect(classifyError(err, signal)).toBe('network');
    // Not the idle timeout (5 s): the throughput rule tripped after about one window.
    expect(Date.now() - started).toBeLessThan(4_000);
  });

  it('a healthy body is never cut', async () => {
    const http = client({ bytesPerSecond: 1000, windowMs: 400 });
    const { body } = await fetchSmall(http, `${base}/fast`, {}, new AbortController().signal);
    http.close();
    expect(body.length).toBe(200_000);
  });
});

describe('a trickling segment in a real download', () => {
  it('is cut at the speed floor, fetched again, and the job completes', async () => {
    const { readFile } = await import('node:fs/promises');
    const path = await import('node:path');
    const { ensureFixtures } = await import('../fixtures/media.js');
    const { makeTestApp, waitFor } = await import('../helpers/app.js');
    const { startFaultOrigin, playlistBody } = await import('./fault-origin.js');
    const fx = await ensureFixtures();
    const segs = await Promise.all(fx.scenarios.plain.segments.map((s) => readFile(path.join(fx.root, 'plain', s.uri))));
    const origin = await startFaultOrigin();
    const timers: NodeJS.Timeout[] = [];
    let first = true;
    origin.route('/slow.m3u8', playlistBody(() => ['#EXTM3U', '#EXT-X-TARGETDURATION:1', ...segs.flatMap((_, i) => ['#EXTINF:1.0,', `/slow/${i}.ts`]), '#EXT-X-ENDLIST', ''].join('\n')));
    segs.forEach((body, i) =>
      origin.route(`/slow/${i}.ts`, (_req, res) => {
        res.writeHead(200, { 'content-type': 'video/mp2t', 'content-length': body.length });
        if (i === 2 && first) {
          // 10 bytes every 100 ms: alive forever, far under the floor.
          first = false;
          let pos = 0;
          const t = setInterval(() => {
            res.write(body.subarray(pos, pos + 10));
            pos += 10;
          }, 100);
          timers.push(t);
          res.on('close', () => clearInterval(t));
          return;
        }
        res.end(body);
      }),
    );
    const http = createHttpClient({ timeoutMs: 30_000, maxSocketsPerHost: 8, userAgent: 'test', minSpeed: { bytesPerSecond: 2000, windowMs: 400 } });
    const app = await makeTestApp({ SEGMENT_CONCURRENCY: '2' }, { http });
    try {
      const job = app.jobs.create({ url: `${origin.baseUrl}/slow.m3u8`, title: 'slow' });
      const done = await waitFor(() => {
        const j = app.jobs.get(job.id);
        return ['completed', 'failed'].includes(j.status) ? j : undefined;
      }, 30_000, 'the job');
      expect(done.error).toBeNull();
      expect(done.status).toBe('completed');
      expect(origin.requests.filter((r) => r.path === '/slow/2.ts')).toHaveLength(2);
    } finally {
      for (const t of timers) clearInterval(t);
      await app.dispose();
      http.close();
      await origin.close();
    }
  });
});
