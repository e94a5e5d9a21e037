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
