import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { AuthRepository } from '../../addon/auth/auth-repository.js';
import type { SessionRecord, User } from '../../addon/auth/model.js';
import { SettingsRepository } from '../../addon/ops/settings-repository.js';
import { silentLogger } from '../../addon/platform/logger.js';
import { Store } from '../../addon/store/db.js';

const stores: Store[] = [];
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close();
});
async function openStore(): Promise<Store> {
  const store = await Store.open(path.join(await mkdtemp(path.join(os.tmpdir(), 'auth-repo-')), 'db.json'), silentLogger());
  stores.push(store);
  return store;
}

const user = (id: string, name: string): User => ({ id, username: name, role: 'admin', disabled: false, password_hash: 'scrypt$x', created_at: 't', updated_at: 't', last_login_at: null });
const session = (id: string, userId: string): SessionRecord => ({ id, user_id: userId, csrf: 'c', created_at: 't', expires_at: 't', last_seen_at: 't', ip: null, user_agent: null });

describe('AuthRepository', () => {
  it('hands out copies: changing a returned user, key or session changes nothing stored until it is saved', async () => {
    const store = await openStore();
    const repo = new AuthRepository(store);
    repo.insertUser(user('u1', 'Ann'));
    repo.insertKey({ id: 'k1', name: 'key', role: 'viewer', prefix: 'm3u_ab', hash: 'h1', created_at: 't', created_by: 'u1', last_used_at: null });
    repo.insertSession(session('s1', 'u1'));
    const u = repo.findUser('u1')!;
    u.role = 'viewer';
    repo.findKeyByHash('h1')!.role = 'admin';
    repo.findSession('s1')!.expires_at = 'later';
    repo.users()[0]!.username = 'Eve';
    expect(store.data.users[0]).toMatchObject({ username: 'Ann', role: 'admin' });
    expect(store.data.api_keys[0]!.role).toBe('viewer');
    expect(store.data.sessions[0]!.expires_at).toBe('t');
    repo.replaceUser(u);
    expect(store.data.users[0]!.role).toBe('viewer');
    expect(store.data.users[0]).not.toBe(u);
  });

  it('finds by name and hash, counts, and marks the store dirty only when something changed', async () => {
    const store = await openStore();
    const repo = new AuthRepository(store);
    repo.insertUser(user('u1', 'Ann'));
    repo.insertUser(user('u2', 'Bob'));
    repo.insertSession(session('s1', 'u1'));
    repo.insertSession(session('s2', 'u1'));
    repo.insertSession(session('s3', 'u2'));
    const changed = vi.spyOn(store, 'changed');
    expect(repo.findUserWhere((x) => x.username.toLowerCase() === 'bob')?.id).toBe('u2');
    expect(repo.countUsers((x) => x.role === 'admin')).toBe(2);
    expect(repo.sessionsOf('u1').map((s) => s.id)).toEqual(['s1', 's2']);
    expect(repo.removeSessions((s) => s.user_id === 'nobody')).toBe(0);
    expect(changed).not.toHaveBeenCalled();
    expect(repo.removeSessions((s) => s.user_id === 'u1')).toBe(2);
    expect(changed).toHaveBeenCalledTimes(1);
    repo.removeUser('u2');
    expect(repo.userCount()).toBe(1);
  });
});

describe('SettingsRepository', () => {
  it('keeps the panel overrides and the speed schedule as copies', async () => {
    const store = await openStore();
    const repo = new SettingsRepository(store);
    const overrides = { max_concurrent_downloads: 5 };
    repo.saveOverrides(overrides);
    overrides.max_concurrent_downloads = 9;
    const read = repo.overrides();
    read.max_concurrent_downloads = 7;
    expect(repo.overrides()).toEqual({ max_concurrent_downloads: 5 });
    expect(repo.speed()).toBeUndefined();
    const speed = { enabled: true, limit_kbps: 100 };
    repo.saveSpeed(speed);
    speed.limit_kbps = 1;
    expect(repo.speed()).toEqual({ enabled: true, limit_kbps: 100 });
  });
});
