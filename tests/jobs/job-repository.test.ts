/**
 * JobRepository over an in-memory store: rows come out frozen (a caller cannot change the store
 * through them), changes replace rows instead of mutating them, and every change marks the store
 * dirty exactly once.
 */
import { describe, expect, it } from 'vitest';
import { JobRepository, type JobStore } from '../../addon/jobs/job-repository.js';
import type { Job } from '../../addon/jobs/model.js';

function memoryStore(jobs: Job[] = []): JobStore & { changes: number } {
  const store = {
    changes: 0,
    data: { jobs, queue: { paused: false }, traffic: { day: '', bytes: 0 } },
    changed() {
      store.changes++;
    },
  };
  return store;
}

function job(id: string, over: Partial<Job> = {}): Job {
  const at = '2026-03-01T12:00:00.000Z';
  return {
    id, url: `http://127.0.0.1:9/${id}.mp4`, title: id, kind: null, status: 'pending', priority: 'medium', quality: 'best', container: 'mp4',
    content_type: null, referer: null, headers: { 'x-a': '1' }, progress: 0, bytes_done: 0, bytes_total: null, speed: 0, eta_s: null,
    segments_done: 0, segments_total: 0, file_path: null, error: null, retry_count: 0, created_at: at, started_at: null, completed_at: null, updated_at: at,
    ...over,
  };
}

describe('JobRepository', () => {
  it('hands out rows that cannot be changed: assigning to one (or to a nested field) throws and the store keeps its value', () => {
    const store = memoryStore([job('a')]);
    const repo = new JobRepository(store);
    const row = repo.find('a')!;
    expect(() => {
      row.title = 'changed';
    }).toThrow(TypeError);
    expect(() => {
      row.headers['x-a'] = 'changed';
    }).toThrow(TypeError);
    expect(repo.find('a')!.title).toBe('a');
    expect(repo.find('a')!.headers['x-a']).toBe('1');
  });

  it('insert stores a copy: the caller\'s object stays its own', () => {
    const store = memoryStore();
    const repo = new JobRepository(store);
    const mine = job('a');
    const stored = repo.insert(mine);
    mine.title = 'changed after insert';
    mine.headers['x-a'] = 'changed';
    expect(stored).not.toBe(mine);
    expect(repo.find('a')!.title).toBe('a');
    expect(repo.find('a')!.headers['x-a']).toBe('1');
    expect(store.changes).toBe(1);
    expect(() => repo.insert(job('a'))).toThrow(/exists already/);
  });

  it('update replaces the row (old readers keep their snapshot), removes fields set to undefined, and marks the store once', () => {
    const store = memoryStore([job('a', { show: 'Show' })]);
    const repo = new JobRepository(store);
    const before = repo.find('a')!;
    const patch = { status: 'paused' as const, show: undefined, error: { code: 'x', message: 'y' } };
    const after = repo.update('a', patch);
    patch.error.message = 'changed after update';
    expect(before.status).toBe('pending');
    expect(after.status).toBe('paused');
    expect('show' in after).toBe(false);
    expect(repo.find('a')!.error).toEqual({ code: 'x', message: 'y' });
    expect(Object.isFrozen(after.error)).toBe(true);
    expect(store.data.jobs[0]).toBe(after);
    expect(store.changes).toBe(1);
    expect(() => repo.update('nope', { title: 'x' })).toThrow(/does not exist/);
  });

  it('live() follows the record through later changes and cannot be written', () => {
    const repo = new JobRepository(memoryStore([job('a')]));
    const live = repo.live('a');
    repo.update('a', { transfer: { destination_id: 'nas', destination_name: 'NAS', destination_kind: 'smb', path: 'x.mp4', bytes_total: 1, attempts: 1, waiting_since: null, next_attempt_at: null, method: null } });
    expect(live.transfer?.destination_id).toBe('nas');
    expect({ ...live }.id).toBe('a');
    expect(() => {
      (live as { title: string }).title = 'x';
    }).toThrow(TypeError);
    repo.remove('a');
    expect(live.id).toBe('a'); // its last record, once removed
  });

  it('counts by status and transfers per destination, removes many in one change', () => {
    const t = (dest: string, error = false): Partial<Job> => ({
      status: 'transferring',
      error: error ? { code: 'destination_unreachable', message: 'down' } : null,
      transfer: { destination_id: dest, destination_name: dest, destination_kind: 'smb', path: 'p', bytes_total: 1, attempts: 1, waiting_since: null, next_attempt_at: null, method: null },
    });
    const store = memoryStore([job('a', t('nas')), job('b', t('nas', true)), job('c', t('other')), job('d', { status: 'completed' }), job('e')]);
    const repo = new JobRepository(store);
    expect(repo.transferCounts('nas')).toEqual({ active: 1, waiting: 1 });
    expect(repo.count('transferring')).toBe(3);
    expect(repo.countByStatus()).toMatchObject({ transferring: 3, completed: 1, pending: 1, failed: 0 });
    expect(repo.removeMany(new Set(['a', 'd', 'zz']))).toBe(2);
    expect(repo.all().map((j) => j.id)).toEqual(['b', 'c', 'e']);
    expect(store.changes).toBe(1);
    expect(repo.removeMany(new Set(['zz']))).toBe(0);
    expect(store.changes).toBe(1);
  });

  it('keeps its counts and lookups right through inserts, updates, removals and a second repository over the same store', () => {
    const store = memoryStore([job('a'), job('b', { status: 'completed' })]);
    const one = new JobRepository(store);
    const two = new JobRepository(store);
    expect(one.count('pending')).toBe(1);
    two.insert(job('c', { live: { start_at: '2026-03-02T20:00:00.000Z' } }));
    two.update('a', { status: 'paused' });
    expect(one.count('pending')).toBe(1);
    expect(one.count('paused')).toBe(1);
    expect(one.find('c')!.id).toBe('c');
    expect(one.scheduledRecordings().map((j) => j.id)).toEqual(['c']);
    one.update('c', { status: 'cancelled' });
    expect(two.scheduledRecordings()).toEqual([]);
    two.remove('a');
    expect(one.find('a')).toBeUndefined();
    expect(one.find('c')!.status).toBe('cancelled');
    expect(one.countByStatus()).toMatchObject({ pending: 0, paused: 0, completed: 1, cancelled: 1 });
    // Rows pushed by hand before use (tests seed stores this way) are seen and frozen.
    store.data.jobs.push(job('d'));
    expect(one.find('d')!.id).toBe('d');
    expect(Object.isFrozen(one.find('d'))).toBe(true);
    expect(one.count('pending')).toBe(1);
  });

  it('keeps the queue pause and the day\'s traffic; traffic rides on the next write without one of its own', () => {
    const store = memoryStore();
    const repo = new JobRepository(store);
    repo.setQueuePaused(true);
    repo.setQueuePaused(true);
    expect(repo.queuePaused()).toBe(true);
    expect(store.changes).toBe(1);
    repo.addTraffic('2026-03-01', 100);
    repo.addTraffic('2026-03-01', 50);
    expect(repo.trafficOn('2026-03-01')).toBe(150);
    repo.addTraffic('2026-03-02', 7);
    expect(repo.trafficOn('2026-03-01')).toBe(0);
    expect(repo.trafficOn('2026-03-02')).toBe(7);
    expect(store.changes).toBe(1);
  });
});
