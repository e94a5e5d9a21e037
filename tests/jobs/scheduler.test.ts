import { describe, expect, it } from 'vitest';
import type { Job, JobStatus, Priority } from '../../addon/jobs/model.js';
import { nextToRun, type QueueState, type RunPhase } from '../../addon/jobs/scheduler.js';

function job(id: string, over: { status?: JobStatus; priority?: Priority; source?: string; transfer?: boolean } = {}): Job {
  return {
    id,
    status: over.status ?? 'pending',
    priority: over.priority ?? 'medium',
    source_id: over.source ?? null,
    transfer: over.transfer ? { destination_id: 'nas', destination_name: 'NAS', destination_kind: 'smb', path: 'x', bytes_total: 1, attempts: 1, waiting_since: null, next_attempt_at: null } : null,
  } as Job;
}

const state = (jobs: Job[], over: Partial<QueueState> = {}): QueueState => ({
  jobs,
  running: new Map(),
  maxConcurrent: 2,
  paused: false,
  held: false,
  stopping: false,
  ...over,
});
const ids = (s: QueueState): string[] => nextToRun(s).map((l) => `${l.job.id}:${l.phase}`);
const bySource = { groupOf: (j: Job) => j.source_id ?? null, maxActive: (g: string) => (g === 'tight' ? 1 : 5) };

describe('scheduler: what runs next', () => {
  it('fills the free slots, highest priority first, then oldest', () => {
    const jobs = [job('a', { priority: 'low' }), job('b'), job('c', { priority: 'high' }), job('d', { priority: 'high' }), job('e')];
    expect(ids(state(jobs))).toEqual(['c:download', 'd:download']);
    expect(ids(state(jobs, { maxConcurrent: 4 }))).toEqual(['c:download', 'd:download', 'b:download', 'e:download']);
  });

  it('counts running downloads against the limit; running transfers take no slot', () => {
    const jobs = [job('r1', { status: 'downloading' }), job('t1', { status: 'transferring' }), job('p1'), job('p2')];
    const running = new Map<string, RunPhase>([
      ['r1', 'download'],
      ['t1', 'transfer'],
    ]);
    expect(ids(state(jobs, { running }))).toEqual(['p1:download']);
    expect(ids(state(jobs, { running, maxConcurrent: 1 }))).toEqual([]);
  });

  it('starts only pending jobs: paused, failed, cancelled, completed and running ones stay', () => {
    const statuses: JobStatus[] = ['paused', 'failed', 'cancelled', 'completed', 'downloading', 'merging', 'transferring'];
    expect(ids(state(statuses.map((s, i) => job(`j${i}`, { status: s })), { maxConcurrent: 10 }))).toEqual([]);
  });

  it('a job waiting only for its transfer starts at once, beyond the limit and through a hold', () => {
    const jobs = [job('d1'), job('t1', { transfer: true }), job('d2')];
    const running = new Map<string, RunPhase>([['x', 'download']]);
    expect(ids(state(jobs, { running, maxConcurrent: 1 }))).toEqual(['t1:transfer']);
    expect(ids(state(jobs, { held: true }))).toEqual(['t1:transfer']);
  });

  it('a paused queue or a stopping service starts nothing at all', () => {
    const jobs = [job('d1'), job('t1', { transfer: true })];
    expect(ids(state(jobs, { paused: true }))).toEqual([]);
    expect(ids(state(jobs, { stopping: true }))).toEqual([]);
  });

  it("a source at its connection limit waits without taking a global slot from another source's job", () => {
    const jobs = [job('t-run', { status: 'downloading', source: 'tight' }), job('t1', { source: 'tight', priority: 'high' }), job('w1', { source: 'wide' }), job('n1')];
    const running = new Map<string, RunPhase>([['t-run', 'download']]);
    expect(ids(state(jobs, { running, maxConcurrent: 3, limits: bySource }))).toEqual(['w1:download', 'n1:download']);
    // Within one pass a group's limit counts what this pass starts too.
    const fresh = [job('t1', { source: 'tight' }), job('t2', { source: 'tight' }), job('n1')];
    expect(ids(state(fresh, { maxConcurrent: 3, limits: bySource }))).toEqual(['t1:download', 'n1:download']);
  });

  it('recordings start when due, outside the download slots; scheduled ones wait; pause and holds stop them too', () => {
    const NOW = Date.parse('2026-12-06T20:00:00Z');
    const rec = (id: string, over: Partial<Job> = {}): Job => ({ ...job(id), live: {}, ...over }) as Job;
    const jobs = [
      job('d1'),
      job('d2'),
      rec('now'),
      rec('later', { live: { start_at: '2026-12-06T21:00:00Z' } }),
      rec('found', { kind: 'recording', live: null }),
      rec('src', { source_id: 'tight' }),
    ];
    const running = new Map<string, RunPhase>([['busy', 'download']]);
    // Two slots, one taken by a download: one more download, and every due recording.
    expect(ids(state(jobs, { running, now: NOW, limits: bySource, maxConcurrent: 2 }))).toEqual(['now:recording', 'found:recording', 'src:recording', 'd1:download']);
    expect(ids(state(jobs, { now: Date.parse('2026-12-06T21:00:00Z'), maxConcurrent: 0 }))).toEqual(['now:recording', 'later:recording', 'found:recording', 'src:recording']);
    expect(ids(state(jobs, { now: NOW, paused: true }))).toEqual([]);
    expect(ids(state(jobs, { now: NOW, held: true }))).toEqual([]);
    // A running recording holds its source's connection: a download of that source waits.
    const tight = [job('dl', { source: 'tight' }), rec('r', { source_id: 'tight', status: 'downloading' })];
    expect(ids(state(tight, { running: new Map([['r', 'recording']]), now: NOW, limits: bySource }))).toEqual([]);
  });
});
