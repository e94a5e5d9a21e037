import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Low } from 'lowdb';
import { describe, expect, it, vi } from 'vitest';
import { Store } from '../../addon/store/db.js';
import { Writable } from 'node:stream';
import { createLogger, silentLogger } from '../../addon/platform/logger.js';
import type { Job } from '../../addon/jobs/model.js';

/** A logger whose JSON lines land in `lines`. */
function capture(lines: Record<string, unknown>[]) {
  return createLogger(
    'info',
    new Writable({
      write(chunk: Buffer, _enc, done) {
        for (const l of chunk.toString('utf8').split('\n')) if (l.trim()) lines.push(JSON.parse(l) as Record<string, unknown>);
        done();
      },
    }),
  );
}

/** Under fake timers: advances them (and lets real file I/O run) until `p` settles. */
async function until<T>(p: Promise<T>): Promise<T> {
  let settled = false;
  const watched = p.finally(() => (settled = true));
  while (!settled) {
    await vi.advanceTimersByTimeAsync(50);
    await new Promise((r) => setImmediate(r));
  }
  return watched;
}

describe('Store', () => {
  it('coalesces a storm of changes into one write per interval, counted from the end of the last write', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    try {
      const dir = await mkdtemp(path.join(os.tmpdir(), 'store-'));
      const store = await Store.open(path.join(dir, 'db.json'), silentLogger(), 1000);
      const writeTimes: number[] = [];
      const write = Low.prototype.write;
      const spy = vi.spyOn(Low.prototype, 'write').mockImplementation(async function (this: Low<unknown>) {
        await write.call(this);
        writeTimes.push(Date.now());
      });
      // 3,000 changes over 3 simulated seconds.
      for (let i = 0; i < 3000; i++) {
        store.data.traffic.bytes++;
        store.changed();
        if (i % 10 === 0) await vi.advanceTimersByTimeAsync(10);
      }
      await until(store.flush());
      // One write a second at most: never two within an interval.
      expect(writeTimes.length).toBeGreaterThanOrEqual(2);
      expect(writeTimes.length).toBeLessThanOrEqual(5);
      for (let i = 1; i < writeTimes.length; i++) expect(writeTimes[i]! - writeTimes[i - 1]!).toBeGreaterThanOrEqual(1000);
      expect(store.writeCount).toBe(writeTimes.length);
      const saved = JSON.parse(await readFile(path.join(dir, 'db.json'), 'utf8'));
      expect(saved.traffic.bytes).toBe(3000);
      await store.close();
    } finally {
      vi.restoreAllMocks();
      vi.useRealTimers();
    }
  });

  it('flush() waits for the next write instead of writing early; close() writes what is left at once, compactly', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    try {
      const dir = await mkdtemp(path.join(os.tmpdir(), 'store-'));
      const file = path.join(dir, 'db.json');
      const store = await Store.open(file, silentLogger(), 1000);
      store.data.jobs.push({ id: 'a' } as Job);
      await until(store.flush());
      expect(store.writeCount).toBe(1);
      store.data.jobs.push({ id: 'b' } as Job);
      let flushed = false;
      const pending = store.flush().then(() => (flushed = true));
      await vi.advanceTimersByTimeAsync(900);
      await new Promise((r) => setImmediate(r));
      expect([flushed, store.writeCount]).toEqual([false, 1]);
      await until(pending);
      expect(store.writeCount).toBe(2);
      // On shutdown the last change does not wait for the interval.
      store.data.jobs.push({ id: 'c' } as Job);
      store.changed();
      await store.close();
      expect(store.writeCount).toBe(3);
      const text = await readFile(file, 'utf8');
      expect(JSON.parse(text).jobs.map((j: Job) => j.id)).toEqual(['a', 'b', 'c']);
      expect(text).not.toContain('\n');
    } finally {
      vi.useRealTimers();
    }
  });

  it('moves a corrupt db.json aside instead of silently emptying it', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'store-'));
    await writeFile(path.join(dir, 'db.json'), '{"jobs": [ {"id": ');
    const store = await Store.open(path.join(dir, 'db.json'), silentLogger());
    expect(store.data.jobs).toEqual([]);
    const files = await readdir(dir);
    const aside = files.find((f) => f.startsWith('db.json.corrupt-'));
    expect(aside).toBeDefined();
    expect(await readFile(path.join(dir, aside!), 'utf8')).toBe('{"jobs": [ {"id": ');
  });

  it('keeps the last good copy and uses it when db.json is corrupt on start, saying so in one line', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'store-'));
    const file = path.join(dir, 'db.json');
    const first = await Store.open(file, silentLogger());
    first.data.jobs.push({ id: 'job-1', title: 'kept' } as Job);
    await first.flush();
    await first.close();
    // The next start reads a good file and backs it up before anything else.
    const second = await Store.open(file, silentLogger());
    expect(second.data.jobs.map((j) => j.id)).toEqual(['job-1']);
    second.data.jobs.push({ id: 'job-2', title: 'after the backup' } as Job);
    await second.flush();
    await second.close();
    expect(JSON.parse(await readFile(`${file}.bak`, 'utf8')).jobs.map((j: Job) => j.id)).toEqual(['job-1']);

    // The copy kept after every write has job-2 too (issue 12: a restore must not lose an hour).
    expect(JSON.parse(await readFile(`${file}.last-good`, 'utf8')).jobs.map((j: Job) => j.id)).toEqual(['job-1', 'job-2']);

    await writeFile(file, ''); // a power cut leaves an empty file
    const lines: Record<string, unknown>[] = [];
    const third = await Store.open(file, capture(lines));
    expect(third.data.jobs.map((j) => j.id)).toEqual(['job-1', 'job-2']);
    const errors = lines.filter((l) => l.level === 'error');
    expect(errors).toHaveLength(1);
    expect(errors[0]!.msg).toMatch(/db\.json could not be read \(the file is empty\): moved aside to db\.json\.corrupt-.* using the last good copy db\.json\.last-good saved at 20/);
    expect(errors[0]).toMatchObject({ restoredFrom: `${file}.last-good`, jobs: 2 });
    expect(third.health()).toMatchObject({ status: 'ok', restored_from: `${file}.last-good`, restored_saved_at: expect.stringMatching(/^20/), moved_aside: expect.stringContaining('db.json.corrupt-') });
    // The restored data is on disk at once, and the damaged file is still there.
    expect(JSON.parse(await readFile(file, 'utf8')).jobs.map((j: Job) => j.id)).toEqual(['job-1', 'job-2']);
    expect((await readdir(dir)).some((f) => f.startsWith('db.json.corrupt-'))).toBe(true);
    await third.close();
  });

  it('skips a damaged backup for an older good one, rotating at most `backups` copies', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'store-'));
    const file = path.join(dir, 'db.json');
    for (let i = 1; i <= 4; i++) {
      const s = await Store.open(file, silentLogger(), 1000, { backups: 3 });
      s.data.jobs.push({ id: `job-${i}` } as Job);
      await s.flush();
      await s.close();
    }
    // Opened four times: .bak holds 3 jobs, .bak.1 two, .bak.2 one; no .bak.3.
    const names = (await readdir(dir)).filter((f) => f.startsWith('db.json.bak')).sort();
    expect(names).toEqual(['db.json.bak', 'db.json.bak.1', 'db.json.bak.2']);
    await writeFile(file, '{"jobs": "not a list"}');
    await writeFile(`${file}.last-good`, '{"jobs"'); // damaged too: the rotation is next
    await writeFile(`${file}.bak`, '{"jobs": [');
    const s = await Store.open(file, silentLogger(), 1000, { backups: 3 });
    expect(s.data.jobs.map((j) => j.id)).toEqual(['job-1', 'job-2']);
    expect(s.health().restored_from).toBe(`${file}.bak.1`);
    await s.close();
  });

  it('backs up after writes at most once per interval, and reports a failing write in health', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'store-'));
    const file = path.join(dir, 'db.json');
    let now = 1_000_000;
    const s = await Store.open(file, silentLogger(), 1000, { backupIntervalMs: 60_000, now: () => now });
    s.data.jobs.push({ id: 'a' } as Job);
    await s.flush();
    now += 61_000;
    s.data.jobs.push({ id: 'b' } as Job);
    await s.flush();
    await s.close();
    expect(JSON.parse(await readFile(`${file}.bak`, 'utf8')).jobs.map((j: Job) => j.id)).toEqual(['a', 'b']);
    const broken = await Store.open(path.join(dir, 'sub', 'db.json'), silentLogger());
    await rm(path.join(dir, 'sub'), { recursive: true, force: true });
    await expect(broken.flush()).rejects.toThrow();
    expect(broken.health()).toMatchObject({ status: 'error', last_error: expect.any(String) });
  });
});
