import { mkdir, mkdtemp, readFile, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { EventBus } from '../../addon/events/bus.js';
import type { AppEvents } from '../../addon/events/app-events.js';
import type { DownloadEngine } from '../../addon/jobs/download-engine.js';
import { JobRepository } from '../../addon/jobs/job-repository.js';
import { JobService } from '../../addon/jobs/job-service.js';
import type { TransferService } from '../../addon/library/transfer-service.js';
import type { Job } from '../../addon/jobs/model.js';
import { ActivityLog } from '../../addon/ops/activity.js';
import { createOwnership, parseUmask } from '../../addon/platform/ownership.js';
import type { Clock } from '../../addon/platform/clock.js';
import { silentLogger } from '../../addon/platform/logger.js';
import { Store } from '../../addon/store/db.js';
import { makeTestApp, waitFor } from '../helpers/app.js';

const DAY = 24 * 3600 * 1000;

function manualClock(start = Date.parse('2026-03-01T12:00:00Z')): Clock & { advance(ms: number): void } {
  let now = start;
  return { now: () => now, sleep: () => Promise.resolve(), advance: (ms) => void (now += ms) };
}

async function service(engine: Partial<DownloadEngine>, extra: { onDiskFull?: (d: string) => Promise<boolean> } = {}) {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'jobs-'));
  const store = await Store.open(path.join(dir, 'db.json'), silentLogger());
  const clock = manualClock();
  const bus = new EventBus<AppEvents>(silentLogger());
  const removed: string[] = [];
  bus.on('job.removed', ({ id }) => void removed.push(id));
  const jobs = new JobService({
    repository: new JobRepository(store),
    bus,
    engine: { removeWorkDir: async () => undefined, ...engine } as DownloadEngine,
    transfers: {} as TransferService,
    clock,
    logger: silentLogger(),
    options: { maxConcurrent: 2, defaultContainer: 'mp4', mediaDir: dir, defaultQuality: '720p' },
    ...extra,
  });
  return { jobs, store, clock, removed, dir };
}

const finished = (id: string, status: Job['status'], at: number): Job =>
  ({ id, status, title: id, url: 'https://x/a.m3u8', completed_at: new Date(at).toISOString(), updated_at: new Date(at).toISOString(), headers: {} }) as unknown as Job;

describe('pruning finished downloads', () => {
  it('drops finished jobs past the retention and beyond the count, keeping active ones and files', async () => {
    const { jobs, store, clock, removed } = await service({});
    const now = clock.now();
    store.data.jobs.push(
      finished('old-completed', 'completed', now - 40 * DAY),
      finished('old-failed', 'failed', now - 35 * DAY),
      finished('recent-1', 'completed', now - 3 * DAY),
      finished('recent-2', 'cancelled', now - 2 * DAY),
      finished('recent-3', 'completed', now - 1 * DAY),
      { ...finished('queued', 'pending', now - 90 * DAY), completed_at: null } as Job,
    );
    expect(await jobs.prune({ olderThanMs: 30 * DAY, keep: 2 })).toBe(3);
    expect(store.data.jobs.map((j) => j.id)).toEqual(['recent-2', 'recent-3', 'queued']);
    expect(removed.sort()).toEqual(['old-completed', 'old-failed', 'recent-1']);
    expect(await jobs.prune({ olderThanMs: null, keep: 2 })).toBe(0);
    await store.flush();
    const saved = JSON.parse(await readFile(path.join(path.dirname(store.health().file), 'db.json'), 'utf8')) as { jobs: Job[] };
    expect(saved.jobs.map((j) => j.id)).toEqual(['recent-2', 'recent-3', 'queued']);
  });

  it('gives new downloads the configured default quality', async () => {
    const { jobs } = await service({ run: () => new Promise(() => undefined) });
    expect(jobs.create({ url: 'https://x/a.m3u8' }).quality).toBe('720p');
    expect(jobs.create({ url: 'https://x/b.m3u8', quality: 'best' }).quality).toBe('best');
  });
});

describe('ENOSPC while downloading', () => {
  const noSpace = () => Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });

  it('sends the job back to the queue when the disk guard holds it', async () => {
    const reports: string[] = [];
    let jobsRef: JobService | null = null;
    const { jobs } = await service(
      { run: async () => Promise.reject(noSpace()) },
      {
        onDiskFull: async (detail) => {
          reports.push(detail);
          await jobsRef!.holdQueue('disk_full', detail);
          return true;
        },
      },
    );
    jobsRef = jobs;
    const job = jobs.create({ url: 'https://x/a.m3u8' });
    await waitFor(() => (reports.length > 0 && jobs.get(job.id).status === 'pending' ? true : undefined), 5000);
    expect(jobs.get(job.id).error).toBeNull();
    expect(jobs.stats().queue_holds).toEqual([expect.objectContaining({ reason: 'disk_full', detail: expect.stringMatching(/ENOSPC/) })]);
    await new Promise((r) => setTimeout(r, 50));
    expect(jobs.get(job.id).status).toBe('pending'); // held: not restarted in a loop
  });

  it('fails the job as before when nothing holds the queue (guard off)', async () => {
    const { jobs } = await service({ run: async () => Promise.reject(noSpace()) }, { onDiskFull: async () => false });
    const job = jobs.create({ url: 'https://x/a.m3u8' });
    await waitFor(() => (jobs.get(job.id).status === 'failed' ? true : undefined), 5000);
    expect(jobs.get(job.id).error?.message).toMatch(/ENOSPC/);
  });
});

describe('activity log', () => {
  it('appends JSON lines, survives a reopen and a torn last line, and prunes by age and count', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'activity-'));
    const file = path.join(dir, 'activity.jsonl');
    const clock = manualClock();
    const log = await ActivityLog.open({ file, clock, logger: silentLogger(), retentionDays: 10, maxEntries: 3 });
    const actor = { kind: 'system' as const, id: 's', name: 'system' };
    log.record({ actor, action: 'a.old', target: null, ip: null, via: 'system' });
    clock.advance(11 * DAY);
    for (const n of [1, 2, 3]) log.record({ actor, action: `b.${n}`, target: String(n), ip: '10.0.0.1', via: 'direct' });
    await log.close();
    await writeFile(file, `${await readFile(file, 'utf8')}{"at": "2026-0`); // a crash mid-line
    const reopened = await ActivityLog.open({ file, clock, logger: silentLogger(), retentionDays: 10, maxEntries: 3 });
    expect(reopened.list({ limit: 10, offset: 0 }).items.map((e) => e.action)).toEqual(['b.3', 'b.2', 'b.1']);
    expect(reopened.list({ limit: 10, offset: 0, action: 'b' }).total).toBe(3);
    expect(reopened.list({ limit: 1, offset: 1 }).items[0]!.target).toBe('2');
    reopened.record({ actor, action: 'c.1', target: null, ip: null, via: 'system' }); // over the cap: pruned at once
    expect(reopened.size).toBe(3);
    await reopened.close();
    const lines = (await readFile(file, 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as { action: string });
    expect(lines.map((l) => l.action)).toEqual(['b.2', 'b.3', 'c.1']);
  });

  it('is pruned by the app at start with activity_retention_days', async () => {
    const app = await makeTestApp({ ACTIVITY_RETENTION_DAYS: '1' });
    try {
      const old = { id: 'x', at: new Date(Date.now() - 3 * DAY).toISOString(), actor: { kind: 'system', id: 's', name: 's' }, action: 'old', target: null, ip: null, via: 'system' };
      await app.stop();
      await writeFile(path.join(app.config.data_dir, 'activity.jsonl'), `${JSON.stringify(old)}\n`);
      const again = await makeTestApp({ ACTIVITY_RETENTION_DAYS: '1', DATA_DIR: app.config.data_dir, MEDIA_DIR: app.config.media_dir });
      try {
        expect(again.activity.size).toBe(0);
      } finally {
        await again.dispose();
      }
    } finally {
      await app.dispose().catch(() => undefined);
    }
  });
});

describe('PUID/PGID/UMASK on the media volume', () => {
  it('chowns and chmods a finished file and the folders the app made, not the user’s own folders', async () => {
    const root = await mkdtemp(path.join(os.tmpdir(), 'media-'));
    await mkdir(path.join(root, 'Shows', 'Show (2024)', 'Season 01'), { recursive: true });
    const file = path.join(root, 'Shows', 'Show (2024)', 'Season 01', 'ep.mkv');
    await writeFile(file, 'x', { mode: 0o600 });
    // "Shows" is the user's folder (not root's): left alone.
    const { chown } = await import('node:fs/promises');
    await chown(path.join(root, 'Shows'), 4242, 4242);
    const own = createOwnership({ root, uid: 1026, gid: 100, umask: parseUmask('002'), logger: silentLogger(), isRoot: true });
    if (process.getuid?.() !== 0) return; // chown needs root; CI runs as root
    await own.apply(path.relative(root, file));
    const f = await stat(file);
    expect([f.uid, f.gid, f.mode & 0o777]).toEqual([1026, 100, 0o664]);
    const season = await stat(path.dirname(file));
    expect([season.uid, season.gid, season.mode & 0o777]).toEqual([1026, 100, 0o775]);
    const shows = await stat(path.join(root, 'Shows'));
    expect(shows.uid).toBe(4242);
    // Paths outside the root are never touched.
    await own.apply('../../etc/passwd');
    expect((await stat('/etc/passwd')).uid).toBe(0);
  });

  it('does nothing without PUID/PGID/UMASK, and parses umask strings', () => {
    expect(createOwnership({ root: '/m', uid: undefined, gid: undefined, umask: undefined, logger: silentLogger() }).active).toBe(false);
    expect(parseUmask('022')).toBe(0o022);
    expect(parseUmask('0002')).toBe(0o002);
    expect(parseUmask(undefined)).toBeUndefined();
  });
});
