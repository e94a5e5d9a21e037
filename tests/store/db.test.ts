import { mkdtemp, readFile, writeFile, readdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Low } from 'lowdb';
import { describe, expect, it, vi } from 'vitest';
import { Store } from '../../addon/store/db.js';
import { silentLogger } from '../../addon/platform/logger.js';

describe('Store', () => {
  it('coalesces a storm of changes into about one write per interval', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'store-'));
    const store = await Store.open(path.join(dir, 'db.json'), silentLogger(), 200);
    const writes = vi.spyOn(Low.prototype, 'write');
    const started = Date.now();
    while (Date.now() - started < 1000) {
      store.data.traffic.bytes++;
      store.changed();
      await new Promise((r) => setTimeout(r, 1));
    }
    await store.close();
    // ~1000 ms / 200 ms = 5 coalesced writes (+1 for close), never one per change.
    expect(writes.mock.calls.length).toBeGreaterThanOrEqual(3);
    expect(writes.mock.calls.length).toBeLessThanOrEqual(7);
    const saved = JSON.parse(await readFile(path.join(dir, 'db.json'), 'utf8'));
    expect(saved.traffic.bytes).toBe(store.data.traffic.bytes);
    writes.mockRestore();
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
});
