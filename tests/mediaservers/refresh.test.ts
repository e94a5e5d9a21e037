import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { AppEvents } from '../../addon/events/app-events.js';
import { EventBus } from '../../addon/events/bus.js';
import type { Job } from '../../addon/jobs/model.js';
import { MediaServerRepository } from '../../addon/mediaservers/repository.js';
import { mediaServerRegistry } from '../../addon/mediaservers/registry.js';
import { MediaServerService } from '../../addon/mediaservers/service.js';
import { silentLogger } from '../../addon/platform/logger.js';
import { Store } from '../../addon/store/db.js';
import { startFakeJellyfin, type FakeJellyfin } from '../fakes/jellyfin.js';

/** Refresh after completions: batching per folder (fake timers), coverage, path map, a server that is down. */
describe('media server refresh after completed downloads', () => {
  let dir: string;
  let store: Store;
  let fake: FakeJellyfin;
  let service: MediaServerService;
  let bus: EventBus<AppEvents>;
  const logger = silentLogger();

  beforeAll(async () => {
    fake = await startFakeJellyfin();
  });
  afterAll(() => fake.close());

  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'ms-refresh-'));
    store = await Store.open(path.join(dir, 'db.json'), logger);
    bus = new EventBus<AppEvents>(logger);
    service = new MediaServerService({
      repo: new MediaServerRepository(store),
      kinds: mediaServerRegistry(),
      serverDeps: { fetch: globalThis.fetch, logger, now: () => Date.now() },
      destinations: {
        exists: (id) => ['default', 'nas'].includes(id),
        ids: () => ['default', 'nas'],
        locate: (id, rel) => (id === 'default' ? `/media/library/${rel}` : `//nas:445/media/${rel}`),
      },
      bus,
      clock: { now: () => Date.now(), sleep: async () => undefined },
      logger,
    });
    service.start();
    fake.updates.length = 0;
    fake.requests.length = 0;
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
  });
  afterEach(async () => {
    vi.useRealTimers();
    await service.stop();
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  let n = 0;
  const completed = (rel: string, destination = 'default'): Job =>
    ({
      id: `job-${++n}`,
      status: 'completed',
      file_path: rel,
      location: destination === 'default' ? `/media/library/${rel}` : `//nas:445/media/${rel}`,
      transfer: { destination_id: destination },
      completed_at: new Date().toISOString(),
    }) as unknown as Job;
  const land = (job: Job): void => bus.emit('job.status', { job, previous: 'transferring' });
  const addJellyfin = (over: Record<string, unknown> = {}) =>
    service.create({ name: 'Jellyfin', kind: 'jellyfin', settings: { url: fake.url, api_key: fake.apiKey }, path_map: [{ from: '/media/library', to: '/data' }], ...over });

  it('10 completions in one folder within 30 s: one refresh of that folder, after the window', async () => {
    await addJellyfin();
    for (let i = 1; i <= 10; i++) land(completed(`Series/Show/Season 01/Show - S01E${String(i).padStart(2, '0')}.mkv`));
    await service.idle();
    expect(service.statusOf(service.get('jellyfin')).pending_folders).toEqual(['/data/Series/Show/Season 01']);
    await vi.advanceTimersByTimeAsync(29_999);
    expect(fake.updates).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    await service.idle();
    expect(fake.updates).toEqual([['/data/Series/Show/Season 01']]);
    expect(service.statusOf(service.get('jellyfin'))).toMatchObject({ state: 'ok', refreshes: 1, failures: 0, pending_folders: [] });
    // The next completion opens a new window.
    land(completed('Series/Show/Season 01/Show - S01E11.mkv'));
    await service.idle();
    await vi.advanceTimersByTimeAsync(30_000);
    await service.idle();
    expect(fake.updates).toHaveLength(2);
  });

  it('two folders: one refresh each; a recording reported twice counts once', async () => {
    await addJellyfin();
    const rec = completed('Movies/B (2002)/B (2002).mkv');
    land(completed('Movies/A (2001)/A (2001).mkv'));
    land(rec);
    bus.emit('recording.finished', { job: rec });
    await service.idle();
    await vi.advanceTimersByTimeAsync(30_000);
    await service.idle();
    expect(fake.updates.flat().sort()).toEqual(['/data/Movies/A (2001)', '/data/Movies/B (2002)']);
  });

  it('only destinations the server covers; disabled servers never', async () => {
    await addJellyfin({ destinations: ['nas'], path_map: [{ from: '//nas:445/media', to: '/mnt/media' }] });
    await service.create({ name: 'Off', kind: 'emby', enabled: false, settings: { url: fake.url, api_key: 'x' } });
    land(completed('Movies/A (2001)/A (2001).mkv', 'default'));
    land(completed('Movies/C (2003)/C (2003).mkv', 'nas'));
    await service.idle();
    await vi.advanceTimersByTimeAsync(30_000);
    await service.idle();
    expect(fake.updates).toEqual([['/mnt/media/Movies/C (2003)']]);
    expect(fake.requests.filter((r) => r.headers['x-emby-token'])).toEqual([]);
  });

  it('NFO and artwork are written before the refresh is queued', async () => {
    await service.stop();
    const order: string[] = [];
    service = new MediaServerService({
      repo: new MediaServerRepository(store),
      kinds: mediaServerRegistry(),
      serverDeps: { fetch: globalThis.fetch, logger, now: () => Date.now() },
      destinations: { exists: () => true, ids: () => ['default'], locate: (_id, rel) => `/media/library/${rel}` },
      bus,
      clock: { now: () => Date.now(), sleep: async () => undefined },
      logger,
      beforeRefresh: async (job) => {
        order.push(`metadata ${job.id}`);
        throw new Error('disk full');
      },
    });
    service.start();
    await addJellyfin();
    const job = completed('Movies/D (2004)/D (2004).mkv');
    land(job);
    await service.idle();
    order.push(`pending ${service.statusOf(service.get('jellyfin')).pending_folders.join()}`);
    expect(order).toEqual([`metadata ${job.id}`, 'pending /data/Movies/D (2004)']);
  });

  it('a server that is down: status error with the reason, the job untouched, the folder tried again when it is back', async () => {
    await addJellyfin();
    await fake.down();
    const job = completed('Movies/E (2005)/E (2005).mkv');
    const before = structuredClone(job);
    try {
      land(job);
      await service.idle();
      await vi.advanceTimersByTimeAsync(30_000);
      await service.idle();
      const status = service.statusOf(service.get('jellyfin'));
      expect(status).toMatchObject({ state: 'error', code: 'mediaserver_unreachable', refreshes: 0, failures: 1, pending_folders: ['/data/Movies/E (2005)'] });
      expect(status.message).toBe(`Jellyfin at ${fake.url} cannot be reached (ECONNREFUSED): check the URL and that the server is running`);
      expect(job).toEqual(before);
    } finally {
      await fake.up();
    }
    // Back a minute later: the folder is refreshed by the first retry.
    await vi.advanceTimersByTimeAsync(60_000);
    await service.idle();
    expect(fake.updates).toEqual([['/data/Movies/E (2005)']]);
    expect(service.statusOf(service.get('jellyfin'))).toMatchObject({ state: 'ok', refreshes: 1, failures: 1, pending_folders: [] });
  });

  it('retries an unreachable server three times (1, 5, 15 min), a refused key never', async () => {
    await addJellyfin();
    await service.create({ name: 'Wrong key', kind: 'jellyfin', settings: { url: fake.url, api_key: 'wrong' } });
    await fake.down();
    try {
      land(completed('Movies/F (2006)/F (2006).mkv'));
      await service.idle();
      for (const ms of [30_000, 60_000, 300_000, 900_000, 3_600_000]) {
        await vi.advanceTimersByTimeAsync(ms);
        await service.idle();
      }
      // The first try and three retries, for both servers (neither could be reached).
      expect(service.statusOf(service.get('jellyfin'))).toMatchObject({ failures: 4, pending_folders: [] });
      expect(service.statusOf(service.get('wrong-key'))).toMatchObject({ failures: 4, pending_folders: [] });
    } finally {
      await fake.up();
    }
    land(completed('Movies/G (2007)/G (2007).mkv'));
    await service.idle();
    await vi.advanceTimersByTimeAsync(30_000);
    await service.idle();
    await vi.advanceTimersByTimeAsync(3_600_000);
    await service.idle();
    // Reachable again: the key is refused once, and that is not retried.
    expect(service.statusOf(service.get('wrong-key'))).toMatchObject({ state: 'error', code: 'mediaserver_auth_failed', failures: 5, pending_folders: [] });
    expect(service.statusOf(service.get('jellyfin'))).toMatchObject({ state: 'ok', refreshes: 1 });
  });
});
