import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { MediaServerRecord } from '../../addon/mediaservers/model.js';
import { MediaServerRepository } from '../../addon/mediaservers/repository.js';
import { silentLogger } from '../../addon/platform/logger.js';
import { Store } from '../../addon/store/db.js';

const record = (id: string): MediaServerRecord => ({
  id,
  name: id,
  kind: 'jellyfin',
  enabled: true,
  destinations: [],
  path_map: [{ from: '/media', to: '/data' }],
  settings: { url: 'http://nas:8096', api_key: 'k' },
  created_at: '2026-12-06T20:00:00.000Z',
  updated_at: '2026-12-06T20:00:00.000Z',
});

describe('MediaServerRepository', () => {
  const dirs: string[] = [];
  afterEach(async () => Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true }))));

  it('hands out copies, and what it stores survives a restart through the one writer', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'ms-repo-'));
    dirs.push(dir);
    const file = path.join(dir, 'db.json');
    const store = await Store.open(file, silentLogger(), 20);
    const repo = new MediaServerRepository(store);
    await repo.create(record('a'));
    await repo.create(record('b'));
    await expect(repo.create(record('a'))).rejects.toThrow('media server a exists');
    const copy = repo.find('a')!;
    copy.name = 'changed behind its back';
    copy.path_map.push({ from: '/x', to: '/y' });
    expect(repo.find('a')).toEqual(record('a'));
    await repo.replace({ ...record('a'), name: 'Renamed' });
    expect(await repo.remove('b')).toBe(true);
    expect(await repo.remove('b')).toBe(false);
    await store.close();

    const stored = JSON.parse(await readFile(file, 'utf8')) as { media_servers: MediaServerRecord[] };
    expect(stored.media_servers.map((r) => r.name)).toEqual(['Renamed']);
    const reopened = new MediaServerRepository(await Store.open(file, silentLogger(), 20));
    expect(reopened.list()).toEqual([{ ...record('a'), name: 'Renamed' }]);
  });

  it('reads a db.json written before media servers existed', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'ms-repo-'));
    dirs.push(dir);
    const file = path.join(dir, 'db.json');
    const { writeFile } = await import('node:fs/promises');
    await writeFile(file, JSON.stringify({ version: 1, jobs: [] }));
    const store = await Store.open(file, silentLogger(), 20);
    expect(new MediaServerRepository(store).list()).toEqual([]);
    await store.close();
  });
});
