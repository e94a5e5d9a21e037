/** SourceRepository: copies in and out, persistence through the one writer, restart recovery. */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SourceRecord, SyncRecord } from '../../addon/sources/model.js';
import { SourceRepository } from '../../addon/sources/source-repository.js';
import { silentLogger } from '../../addon/platform/logger.js';
import { Store } from '../../addon/store/db.js';

const SOURCE = {
  id: 's1', name: 'Lista', kind: 'm3u', enabled: true, url: 'http://p.example/list.m3u', headers: { Cookie: 'sid=1' }, server: null, username: null, password: null, file: null,
  schedule: null, quality: { min: '480p', max: '1080p', ceiling: '2160p', accept_unknown: true }, content_types: ['movie'], include_groups: [], exclude_groups: [], rules: [],
  priority: { high_max_age_years: 2, low_min_age_years: 5 }, connection_limit: 1, status: 'idle', error: null, last_sync_at: null, last_sync_id: null, catalogue_seq: 0, item_count: 0,
  created_at: '2026-01-01T00:00:00.000Z', updated_at: '2026-01-01T00:00:00.000Z',
} as SourceRecord;

describe('SourceRepository', () => {
  let dir: string;
  let file: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'source-repo-'));
    file = path.join(dir, 'db.json');
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('hands out copies and takes copies: neither side can change the other', async () => {
    const store = await Store.open(file, silentLogger());
    const repo = new SourceRepository(store);
    const mine = structuredClone(SOURCE);
    await repo.insert(mine);
    mine.name = 'changed after insert';
    repo.list()[0]!.headers.Cookie = 'stolen';
    const patched = repo.patch('s1', { item_count: 3 })!;
    patched.item_count = 99;
    expect(repo.find('s1')).toMatchObject({ name: 'Lista', headers: { Cookie: 'sid=1' }, item_count: 3 });
    expect(repo.patch('nope', { item_count: 1 })).toBeUndefined();
    await expect(repo.insert(SOURCE)).rejects.toThrow(/exists already/);
    await expect(repo.replace({ ...SOURCE, id: 'nope' })).rejects.toThrow(/does not exist/);
    await store.close();
  });

  it('persists with the next write, and after a restart settles what an interrupted sync left', async () => {
    let store = await Store.open(file, silentLogger());
    let repo = new SourceRepository(store);
    await repo.insert({ ...SOURCE, status: 'syncing', last_sync_at: '2026-01-02T00:00:00.000Z' });
    await repo.insert({ ...SOURCE, id: 's2', status: 'syncing' });
    repo.addSync({ id: 'run', source_id: 's1', status: 'running', error: null } as SyncRecord, 50);
    repo.addSync({ id: 'other', source_id: 's2', status: 'completed', error: null } as SyncRecord, 50);
    await store.flush();
    expect((JSON.parse(await readFile(file, 'utf8')) as { sources: SourceRecord[] }).sources.map((s) => s.status)).toEqual(['syncing', 'syncing']);
    await store.close();

    store = await Store.open(file, silentLogger());
    repo = new SourceRepository(store);
    expect(repo.settleInterrupted()).toBe(3);
    expect(repo.list().map((s) => [s.id, s.status])).toEqual([['s1', 'ok'], ['s2', 'idle']]);
    expect(repo.syncsOf('s1')).toMatchObject([{ id: 'run', status: 'failed', error: { code: 'interrupted' } }]);
    expect(repo.settleInterrupted()).toBe(0);

    await repo.remove('s1');
    expect([repo.has('s1'), repo.syncsOf('s1'), repo.syncsOf('s2').length]).toEqual([false, [], 1]);
    await store.close();
  });
});
