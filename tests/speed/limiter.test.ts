import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpClient } from '../../addon/platform/http.js';
import { systemClock, type Clock } from '../../addon/platform/clock.js';
import { throttledHttp } from '../../addon/speed/throttled-http.js';
import { TokenBucket } from '../../addon/speed/token-bucket.js';

/** A clock whose sleeps only advance time: the bucket's arithmetic without waiting. */
function manualClock(): Clock & { slept: number[] } {
  let now = 1_000_000;
  const slept: number[] = [];
  return {
    slept,
    now: () => now,
    sleep: async (ms) => {
      slept.push(ms);
      now += ms;
    },
  };
}

describe('token bucket', () => {
  it('spaces chunks at the rate from the first one (a new limit starts with an empty bucket)', async () => {
    const clock = manualClock();
    const bucket = new TokenBucket(clock);
    bucket.setRate(1024 * 1024); // 1 MiB/s
    for (let i = 0; i < 16; i++) await bucket.take(64 * 1024);
    // One MiB takes a second, in 16 waits of 62.5 ms.
    expect(clock.slept).toHaveLength(16);
    expect(clock.slept.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(1000);
    expect(clock.slept.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(1016);
  });

  it('time without traffic builds at most a quarter second of burst', async () => {
    const clock = manualClock();
    const bucket = new TokenBucket(clock);
    bucket.setRate(1024 * 1024);
    await clock.sleep(10_000);
    clock.slept.length = 0;
    for (let i = 0; i < 4; i++) await bucket.take(64 * 1024);
    expect(clock.slept).toEqual([]); // 256 KiB of burst...
    await bucket.take(64 * 1024);
    expect(clock.slept).toEqual([63]); // ...and no more
  });

  it('no limit: never waits', async () => {
    const clock = manualClock();
    const bucket = new TokenBucket(clock);
    bucket.setRate(null);
    for (let i = 0; i < 100; i++) await bucket.take(1 << 20);
    expect(clock.slept).toEqual([]);
  });
});

describe('throttled HTTP against a loopback origin', () => {
  let server: Server;
  let base: string;
  const BODY = Buffer.alloc(3 * 1024 * 1024, 7);

  beforeAll(async () => {
    server = createServer((_req, res) => {
      res.writeHead(200, { 'content-length': BODY.length });
      res.end(BODY);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('two downloads together stay at the shared limit (bytes over time, never above it)', async () => {
    const rate = 2 * 1024 * 1024;
    const bucket = new TokenBucket(systemClock);
    bucket.setRate(rate);
    const http = throttledHttp(createHttpClient({ timeoutMs: 10_000, maxSocketsPerHost: 4, userAgent: 'test' }), bucket);
    const samples: Array<{ t: number; bytes: number }> = [];
    let total = 0;
    const start = performance.now();
    const fetchOne = async (): Promise<number> => {
      const res = await http.get({ url: `${base}/file`, headers: {}, signal: AbortSignal.timeout(30_000) });
      let n = 0;
      for await (const chunk of res.body as AsyncIterable<Buffer>) {
        n += chunk.length;
        total += chunk.length;
        samples.push({ t: performance.now() - start, bytes: total });
      }
      return n;
    };
    const sizes = await Promise.all([fetchOne(), fetchOne()]);
    const seconds = (performance.now() - start) / 1000;
    http.close();
    expect(sizes).toEqual([BODY.length, BODY.length]);
    // 6 MiB at 2 MiB/s with a 512 KiB burst: at least 2.75 s; a slow machine may take longer, never shorter.
    const floor = (2 * BODY.length - rate / 4) / rate;
    expect(seconds).toBeGreaterThanOrEqual(floor * 0.97);
    // Within 10 % of the limit over the whole run on an idle machine; generous upper bound for a busy CI.
    expect((2 * BODY.length) / seconds).toBeGreaterThan(rate * 0.6);
    // No one-second window exceeds the limit by more than the burst.
    for (const a of samples) {
      const b = samples.find((s) => s.t >= a.t + 1000);
      if (b) expect(b.bytes - a.bytes).toBeLessThanOrEqual(rate + rate / 4 + 128 * 1024);
    }
  });
});
