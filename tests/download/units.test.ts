import { mkdtemp, appendFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { Journal } from '../../addon/download/journal.js';
import { normaliseKey, KeyCache } from '../../addon/download/keys.js';
import { backoffDelay, classifyError, withRetry, DEFAULT_RETRY_POLICY } from '../../addon/download/retry.js';
import { Semaphore } from '../../addon/download/semaphore.js';
import { sniff } from '../../addon/download/sniff.js';
import { SpeedMeter, etaSeconds } from '../../addon/download/progress.js';
import { AppError } from '../../addon/errors.js';
import type { Clock } from '../../addon/platform/clock.js';
import { HttpStatusError } from '../../addon/platform/http.js';

function tsPackets(n: number): Buffer {
  const b = Buffer.alloc(188 * n);
  for (let i = 0; i < n; i++) b[i * 188] = 0x47;
  return b;
}

describe('sniff', () => {
  it.each([
    ['MPEG-TS', tsPackets(4), 'ts', 0],
    ['fMP4 init', Buffer.concat([Buffer.from([0, 0, 0, 24]), Buffer.from('ftypisom')]), 'mp4', 0],
    ['fMP4 fragment', Buffer.concat([Buffer.from([0, 0, 0, 24]), Buffer.from('moof')]), 'mp4', 0],
    ['Matroska', Buffer.from([0x1a, 0x45, 0xdf, 0xa3, 1]), 'mkv', 0],
    ['ID3 audio', Buffer.from('ID3\x04\x00'), 'aac', 0],
    ['playlist', Buffer.from('\uFEFF#EXTM3U\n#EXT-X-VERSION:3'), 'playlist', 0],
    ['HTML error page', Buffer.from('<html><body>403 Forbidden</body></html>'), 'text', 0],
    ['TS behind a fake PNG header', Buffer.concat([Buffer.from('\x89PNG\r\n\x1a\n' + 'x'.repeat(112), 'latin1'), tsPackets(4)]), 'ts', 120],
  ])('%s', (_name, head, kind, skip) => {
    expect(sniff(head)).toEqual({ kind, skip });
  });
});

describe('classifyError', () => {
  it.each([
    [new HttpStatusError(503, 'http://x/'), 'server'],
    [new HttpStatusError(429, 'http://x/'), 'server'],
    [new HttpStatusError(403, 'http://x/'), 'fatal'],
    [new HttpStatusError(404, 'http://x/'), 'fatal'],
    [new HttpStatusError(410, 'http://x/'), 'fatal'],
    [Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }), 'network'],
    [Object.assign(new Error('x'), { name: 'TimeoutError', code: 'ETIMEDOUT' }), 'network'],
    [Object.assign(new Error('short'), { code: 'ERR_HTTP_CONTENT_LENGTH_MISMATCH' }), 'network'],
    [new AppError('bad_key', 'bad key'), 'fatal'],
    [new TypeError('bug'), 'fatal'],
  ])('%s -> %s', (err, expected) => {
    expect(classifyError(err)).toBe(expected);
  });

  it('is "aborted" once the signal is aborted, whatever the error', () => {
    const c = new AbortController();
    c.abort();
    expect(classifyError(new HttpStatusError(503, 'http://x/'), c.signal)).toBe('aborted');
  });
});

describe('withRetry', () => {
  const fakeClock = (): Clock & { slept: number[] } => {
    const slept: number[] = [];
    return { slept, now: () => 0, sleep: async (ms) => void slept.push(ms) };
  };
  const run = async (errors: unknown[]): Promise<{ calls: number; slept: number[]; error: unknown }> => {
    const clock = fakeClock();
    let calls = 0;
    let error: unknown = null;
    await withRetry(
      async () => {
        const e = errors[calls++];
        if (e) throw e;
        return 'ok';
      },
      { policy: DEFAULT_RETRY_POLICY, clock, signal: new AbortController().signal, random: () => 0.5 },
    ).catch((e: unknown) => (error = e));
    return { calls, slept: clock.slept, error };
  };
  const reset = (): Error => Object.assign(new Error('reset'), { code: 'ECONNRESET' });

  it('retries network errors three times with 1 s, 2 s, 4 s backoff', async () => {
    const r = await run([reset(), reset(), reset(), reset()]);
    expect(r.calls).toBe(4);
    expect(r.slept).toEqual([1000, 2000, 4000]);
    expect(r.error).toBeTruthy();
  });

  it('retries 5xx twice', async () => {
    const r = await run([new HttpStatusError(500, 'u'), new HttpStatusError(502, 'u'), new HttpStatusError(503, 'u')]);
    expect(r.calls).toBe(3);
    expect(r.error).toBeInstanceOf(HttpStatusError);
  });

  it('does not retry 404', async () => {
    const r = await run([new HttpStatusError(404, 'u')]);
    expect(r.calls).toBe(1);
    expect(r.slept).toEqual([]);
  });

  it('succeeds after a transient failure', async () => {
    const r = await run([reset()]);
    expect(r.calls).toBe(2);
    expect(r.error).toBeNull();
  });

  it('applies jitter within ±20%', () => {
    expect(backoffDelay(DEFAULT_RETRY_POLICY, 0, () => 0)).toBe(800);
    expect(backoffDelay(DEFAULT_RETRY_POLICY, 2, () => 1)).toBe(4800);
  });
});

describe('Semaphore', () => {
  it('limits holders, hands slots over in order, and lets waiters abort', async () => {
    const sem = new Semaphore(2);
    const r1 = await sem.acquire();
    const r2 = await sem.acquire();
    const order: string[] = [];
    const third = sem.acquire().then((r) => (order.push('third'), r));
    const abort = new AbortController();
    const fourth = sem.acquire(abort.signal).catch(() => order.push('fourth aborted'));
    expect(sem.waiting).toBe(2);
    abort.abort();
    await fourth;
    r1();
    r1(); // a second release is a no-op
    const r3 = await third;
    expect(order).toEqual(['fourth aborted', 'third']);
    expect(sem.inUse).toBe(2);
    r2();
    r3();
    expect(sem.inUse).toBe(0);
  });
});

describe('Journal', () => {
  it('ignores a torn last line', async () => {
    const file = path.join(await mkdtemp(path.join(os.tmpdir(), 'journal-')), 'j.log');
    const j = new Journal<{ i: number }>(file);
    await j.append({ i: 1 });
    await j.append({ i: 2 });
    await appendFile(file, '{"i":');
    expect(await j.read()).toEqual([{ i: 1 }, { i: 2 }]);
  });
});

describe('keys', () => {
  const raw = Buffer.from('000102030405060708090a0b0c0d0e0f', 'hex');
  it.each([
    ['raw bytes', raw],
    ['hex text', Buffer.from('000102030405060708090a0b0c0d0e0f\n')],
    ['base64 text', Buffer.from(raw.toString('base64'))],
  ])('accepts %s', (_n, body) => {
    expect(normaliseKey(body, 'https://k/').equals(raw)).toBe(true);
  });

  it('explains an HTML page served as a key', () => {
    expect(() => normaliseKey(Buffer.from('<html>login</html>'), 'https://keys.example/k')).toThrow(/keys\.example.*18 bytes.*HTML/);
  });

  it('fetches each URI once and forgets failures', async () => {
    let badCalls = 0;
    const fetcher = vi.fn(async (uri: string) => {
      if (uri === 'bad' && ++badCalls === 1) throw new Error('boom');
      return raw;
    });
    const cache = new KeyCache(fetcher);
    await Promise.all([cache.get('a'), cache.get('a')]);
    expect(fetcher).toHaveBeenCalledTimes(1);
    await expect(cache.get('bad')).rejects.toThrow('boom');
    await expect(cache.get('bad')).resolves.toEqual(raw);
  });
});

describe('SpeedMeter', () => {
  it('measures over a sliding window', () => {
    let t = 0;
    const m = new SpeedMeter(() => t, 5000);
    m.add(0);
    for (let i = 0; i < 10; i++) {
      t += 1000;
      m.add(1_000_000);
    }
    expect(m.rate()).toBe(1_000_000);
    t += 10_000;
    expect(m.rate()).toBe(0);
    expect(etaSeconds(500, 1500, 100)).toBe(10);
    expect(etaSeconds(500, null, 100)).toBeNull();
  });
});
