import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DestinationRepository } from '../../addon/library/destination-repository.js';
import type { DestinationRecord } from '../../addon/library/model.js';
import { silentLogger } from '../../addon/platform/logger.js';
import { Store } from '../../addon/store/db.js';

const NAS: DestinationRecord = { id: 'nas', name: 'NAS', kind: 'smb', host: 'nas.local', share: 'media', password: 'pw', base_path: '', created_at: '2026-01-01T00:00:00.000Z', updated_at: '2026-01-01T00:00:00.000Z' };

describe('DestinationRepository', () => {
  let dir: string;
  let file: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'dest-repo-'));
    file = path.join(dir, 'db.json');
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('hands out copies: changing one does not change the store', async () => {
    const store = await Store.open(file, silentLogger());
    const repo = new DestinationRepository(store);
    await repo.insert(NAS);
    const copy = repo.find('nas')!;
    copy.host = 'elsewhere';
    repo.list()[0]!.name = 'changed';
    expect(repo.find('nas')).toMatchObject({ host: 'nas.local', name: 'NAS' });
    await store.close();
  });

  it('insert, replace and remove reach the disk with the next coalesced write; the default goes first', async () => {
    const store = await Store.open(file, silentLogger());
    const repo = new DestinationRepository(store);
    await repo.insert(NAS);
    await repo.insert({ ...NAS, id: 'default', kind: 'local', base_path: '/media' }, { first: true });
    // The one writer persists every change within a second; flush() waits for that write.
    const disk = async () => {
      await store.flush();
      return (JSON.parse(await readFile(file, 'utf8')) as { destinations: DestinationRecord[] }).destinations;
    };
    expect((await disk()).map((d) => d.id)).toEqual(['default', 'nas']);
    await repo.replace({ ...NAS, name: 'Big NAS' });
    expect((await disk()).find((d) => d.id === 'nas')).toMatchObject({ name: 'Big NAS', password: 'pw' });
    await expect(repo.insert(NAS)).rejects.toThrow(/exists already/);
    await expect(repo.replace({ ...NAS, id: 'nope' })).rejects.toThrow(/does not exist/);
    await repo.remove('nas');
    expect((await disk()).map((d) => d.id)).toEqual(['default']);
    await store.close();
  });

  it('loads destinations stored before the kinds described themselves (the record shape is unchanged)', async () => {
    // A db.json as the add-on wrote it before: flat records, every kind's fields at the top level.
    const old = {
      version: 1,
      jobs: [],
      destinations: [
        { id: 'default', name: 'Media folder', kind: 'local', base_path: '/media', enabled: true, content_types: [], naming: {}, cleanup_local: true, max_concurrent_transfers: 2, created_at: 'x', updated_at: 'x' },
        { id: 'box', name: 'Box', kind: 'rsync', host: 'nas', port: 873, username: 'u', password: 'pw', base_path: 'media', transport: 'daemon', enabled: true, content_types: ['movie'], naming: {}, cleanup_local: true, max_concurrent_transfers: 1, created_at: 'x', updated_at: 'x' },
      ],
    };
    await writeFile(file, JSON.stringify(old));
    const store = await Store.open(file, silentLogger());
    const repo = new DestinationRepository(store);
    expect(repo.list()).toEqual(old.destinations);
    await store.close();
  });
});
