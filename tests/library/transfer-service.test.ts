import * as fsp from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { AppEvents, DestinationStatusEvent } from '../../addon/events/app-events.js';
import { EventBus } from '../../addon/events/bus.js';
import type { Job } from '../../addon/jobs/model.js';
import { DestinationService } from '../../addon/library/destination-service.js';
import { destinationError } from '../../addon/library/destinations/errors.js';
import { createDestination } from '../../addon/library/destinations/registry.js';
import type { Destination, DestinationConfig } from '../../addon/library/destinations/types.js';
import { TransferService, type FinishedFile, type TransferHooks } from '../../addon/library/transfer-service.js';
import type { Clock } from '../../addon/platform/clock.js';
import { silentLogger } from '../../addon/platform/logger.js';
import { Store } from '../../addon/store/db.js';
import { DestinationRepository } from '../../addon/library/destination-repository.js';

/**
 * The transfer step without servers: routing, templates, the wait for a destination that is
 * down (backoff, limit, early wake-up), and what fails at once. Destinations are real local
 * folders; "down" and "wrong password" are injected in front of the adapter.
 */

const MIN = 60_000;

interface Faults {
  down: Set<string>;
  authFails: Set<string>;
}

/** The adapter, with every operation failing the way a stopped server or a wrong password does. */
function faulty(dest: Destination, faults: Faults): Destination {
  return new Proxy(dest, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (typeof value !== 'function' || ['describe', 'close'].includes(String(prop))) return value;
      return (...args: unknown[]) => {
        if (faults.authFails.has(dest.id)) {
          const err = destinationError('destination_auth_failed', `Logon to ${dest.describe()} failed: check the username and password`);
          if (prop === 'probe') return Promise.resolve({ ok: false, status: 'error', latencyMs: null, freeBytes: null, totalBytes: null, code: err.code, message: err.message });
          return Promise.reject(err);
        }
        if (faults.down.has(dest.id)) {
          const err = destinationError('destination_unreachable', `Cannot reach ${dest.describe()}: connection refused`);
          if (prop === 'probe') return Promise.resolve({ ok: false, status: 'offline', latencyMs: null, freeBytes: null, totalBytes: null, code: err.code, message: err.message });
          return Promise.reject(err);
        }
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
}

/** A clock whose sleeps end at once (or when told), advancing time by what was asked. */
function manualClock(): Clock & { sleeps: number[]; onSleep?: (ms: number) => void } {
  let now = Date.parse('2026-05-01T10:00:00Z');
  const clock = {
    sleeps: [] as number[],
    onSleep: undefined as ((ms: number) => void) | undefined,
    now: () => now,
    sleep: (ms: number, signal?: AbortSignal) => {
      if (signal?.aborted) return Promise.reject(signal.reason);
      clock.sleeps.push(ms);
      now += ms;
      clock.onSleep?.(ms);
      return signal?.aborted ? Promise.reject(signal.reason) : Promise.resolve();
    },
  };
  return clock;
}

let root: string;
let store: Store;
let bus: EventBus<AppEvents>;
let faults: Faults;
let clock: ReturnType<typeof manualClock>;
let destinations: DestinationService;
let transfers: TransferService;
let statusEvents: DestinationStatusEvent[];
let file: FinishedFile;

async function setup(options: { retryLimitMs?: number; backoffMs?: number[]; clock?: Clock } = {}): Promise<void> {
  root = await fsp.mkdtemp(path.join(os.tmpdir(), 'm3u-transfer-'));
  await fsp.mkdir(path.join(root, 'media'));
  await fsp.mkdir(path.join(root, 'work'));
  store = await Store.open(path.join(root, 'db.json'), silentLogger());
  bus = new EventBus<AppEvents>(silentLogger());
  statusEvents = [];
  bus.on('destination.status', (e) => void statusEvents.push(e));
  faults = { down: new Set(), authFails: new Set() };
  clock = manualClock();
  destinations = new DestinationService({
    repository: new DestinationRepository(store),
    bus,
    clock: options.clock ?? clock,
    logger: silentLogger(),
    mediaDir: path.join(root, 'media'),
    connect: (config: DestinationConfig) => faulty(createDestination(config, { logger: silentLogger() }), faults),
  });
  transfers = new TransferService({
    destinations,
    clock: options.clock ?? clock,
    logger: silentLogger(),
    options: { retryLimitMs: options.retryLimitMs ?? 24 * 60 * MIN, ...(options.backoffMs ? { backoffMs: options.backoffMs } : {}) },
  });
  const out = path.join(root, 'work', 'output.mp4');
  await fsp.writeFile(out, 'x'.repeat(4096));
  file = { file: out, ext: 'mp4', size: 4096, height: 1080 };
}

afterEach(async () => {
  await destinations?.stop();
  await store?.close();
  await fsp.rm(root, { recursive: true, force: true });
  vi.useRealTimers();
});

const job = (over: Partial<Job> = {}): Job =>
  ({
    id: 'job-1',
    url: 'https://cdn.example/path/Some.Movie.2024.mkv',
    title: 'Título',
    quality: 'best',
    content_type: 'movie',
    year: 2024,
    transfer: null,
    destination: null,
    ...over,
  }) as Job;

async function addLocal(name: string, over: Record<string, unknown> = {}): Promise<string> {
  const dir = path.join(root, name);
  await fsp.mkdir(dir, { recursive: true });
  const { id } = await destinations.create({ name, kind: 'local', base_path: dir, ...over } as never);
  // create() checks the new destination in the background: let that settle first
  if (over.enabled !== false) await vi.waitFor(() => expect(destinations.healthOf(id).status).toBe('online'));
  return id;
}

/** Hooks that record like JobService does (job.transfer), so retries reuse the plan. */
function recorder(j: Job) {
  const log = { attempts: [] as string[], waits: [] as Array<{ code: string; in: number }>, progress: [] as number[] };
  const hooks: TransferHooks = {
    attempt: (plan) => {
      const prev = j.transfer;
      j.transfer = {
        destination_id: plan.destination.id,
        destination_name: plan.destination.name,
        destination_kind: plan.destination.kind,
        path: plan.path,
        bytes_total: file.size,
        attempts: (prev?.attempts ?? 0) + 1,
        waiting_since: prev?.destination_id === plan.destination.id ? (prev?.waiting_since ?? null) : null,
        next_attempt_at: null,
      };
      log.attempts.push(`${plan.destination.id}:${plan.path}`);
    },
    progress: (b) => void log.progress.push(b),
    waiting: ({ error, nextAttemptAt, waitingSince }) => {
      log.waits.push({ code: error.code, in: nextAttemptAt - clock.now() });
      j.transfer = { ...j.transfer!, waiting_since: new Date(waitingSince).toISOString(), next_attempt_at: new Date(nextAttemptAt).toISOString() };
    },
  };
  return { hooks, log };
}

describe('choosing the destination', () => {
  beforeEach(() => setup());

  it('explicit, else the first enabled one taking the content type and quality, else the default', async () => {
    const movies4k = await addLocal('Movies 4K', { content_types: ['movie'], quality_min: 2000 });
    const movies = await addLocal('Movies', { content_types: ['movie'], quality_max: 1080 });
    const shows = await addLocal('Shows', { content_types: ['series', 'novela'] });
    const off = await addLocal('Off', { content_types: ['other'], enabled: false });
    const route = (over: Partial<Job>, height: number | null) => transfers.route(job(over), height).id;
    expect(route({}, 2160)).toBe(movies4k);
    expect(route({}, 1080)).toBe(movies);
    expect(route({}, 1440)).toBe('default'); // neither range takes 1440
    expect(route({}, null)).toBe(movies4k); // unknown height: every range accepts it, the first wins
    expect(route({ content_type: 'novela' }, 720)).toBe(shows);
    expect(route({ content_type: null }, 720)).toBe('default'); // no type = other; the only "other" one is disabled
    expect(route({ destination: shows }, 720)).toBe(shows); // explicit wins over the type
    expect(route({ destination: off }, 720)).toBe(movies); // disabled: chosen by type instead
    expect(route({ destination: 'gone' }, 720)).toBe(movies);
  });

  it('renders the path with the destination templates, else the defaults', async () => {
    const plex = await addLocal('Plex', { content_types: ['movie'], naming: { movie: 'Films/{title} ({year}) {plex_tmdb}/{title} ({year}) - {quality}.{ext}' } });
    expect(transfers.plan(job({ tmdb_id: 603 }), file)).toMatchObject({ path: 'Films/Título (2024) {tmdb-603}/Título (2024) - 1080p.mp4', destination: { id: plex } });
    const series = job({ content_type: 'series', title: 'Ignored', show: 'Dark', season: 1, episode: 2, episode_title: 'Lies', year: null });
    expect(transfers.plan(series, file).path).toBe('Series/Dark/Season 01/Dark - S01E02 - Lies.mp4');
    // a title that carries its year in parentheses: not twice
    expect(transfers.plan(job({ title: 'Big Buck Bunny (2008)', year: 2008, destination: 'default' }), file).path).toBe('Movies/Big Buck Bunny (2008)/Big Buck Bunny (2008).mp4');
    expect(transfers.plan(job({ title: 'Heat (1995)', year: null }), file).path).toBe('Films/Heat (1995)/Heat (1995) - 1080p.mp4');
    expect(transfers.plan(job({ title: 'Clip (2008)', year: 2008, content_type: 'other' }), file).path).toBe('Downloads/Clip (2008).mp4');
    expect(transfers.plan(job({ title: 'Dune (1984)', year: 2021, destination: 'default' }), file).path).toBe('Movies/Dune (1984) (2021)/Dune (1984) (2021).mp4');
    // no title: the URL's
    expect(transfers.plan(job({ title: '', content_type: 'other' }), file).path).toBe('Downloads/Some Movie 2024.mp4');
    // a recorded plan is kept while its destination exists
    const pinned = job({ transfer: { destination_id: 'default', destination_name: 'x', destination_kind: 'local', path: 'Kept/here.mp4', bytes_total: 1, attempts: 1, waiting_since: null, next_attempt_at: null } });
    expect(transfers.plan(pinned, file)).toMatchObject({ path: 'Kept/here.mp4', destination: { id: 'default' } });
  });
});

describe('delivering', () => {
  it('same filesystem: a hard link into the templated folder, the plan recorded before it', async () => {
    await setup();
    const j = job();
    const { hooks, log } = recorder(j);
    const done = await transfers.deliver(j, file, new AbortController().signal, hooks);
    expect(done.result).toMatchObject({ relPath: 'Movies/Título (2024)/Título (2024).mp4', method: 'link', bytes: 4096 });
    expect(done.result.location).toBe(path.join(root, 'media', 'Movies/Título (2024)/Título (2024).mp4'));
    expect(log.attempts).toEqual(['default:Movies/Título (2024)/Título (2024).mp4']);
    expect((await fsp.stat(file.file)).nlink).toBe(2); // the caller deletes the work dir once it has recorded the job
    // a second job (its own file) with the same name and size is not taken for this one: " (2)"
    const other = { ...file, file: `${file.file}.job-2` };
    await fsp.copyFile(file.file, other.file);
    const again = await transfers.deliver(job({ id: 'job-2' }), other, new AbortController().signal, recorder(job()).hooks);
    expect(again.result.relPath).toBe('Movies/Título (2024)/Título (2024) (2).mp4');
  });

  it('cleanup_local off: the file also stays in the media folder, under the default templates', async () => {
    await setup();
    const nas = await addLocal('NAS', { content_types: ['movie'], cleanup_local: false, naming: { movie: 'Films/{title}.{ext}' } });
    const j = job();
    const done = await transfers.deliver(j, file, new AbortController().signal, recorder(j).hooks);
    expect(done).toMatchObject({ destination: { id: nas }, result: { relPath: 'Films/Título.mp4' }, localCopy: 'Movies/Título (2024)/Título (2024).mp4' });
    expect(await fsp.readFile(path.join(root, 'media', done.localCopy!), 'utf8')).toBe('x'.repeat(4096));
    expect(await fsp.readFile(path.join(root, 'NAS', 'Films/Título.mp4'), 'utf8')).toBe('x'.repeat(4096));
  });

  it('a destination that is down: waits 15 s, 30 s, 1 min, 2 min, 5 min, 5 min ... and delivers when it is back', async () => {
    await setup();
    const nas = await addLocal('NAS', { content_types: ['movie'] });
    faults.down.add(nas);
    clock.onSleep = () => {
      if (clock.sleeps.length === 7) faults.down.delete(nas);
    };
    const j = job();
    const { hooks, log } = recorder(j);
    const done = await transfers.deliver(j, file, new AbortController().signal, hooks);
    expect(done.destination.id).toBe(nas);
    expect(log.waits.map((w) => w.in / 1000)).toEqual([15, 30, 60, 120, 300, 300, 300]);
    expect(log.waits.every((w) => w.code === 'destination_unreachable')).toBe(true);
    expect(log.attempts).toHaveLength(8);
    expect(new Set(log.attempts).size).toBe(1); // the same destination and path every time
    expect(statusEvents.filter((e) => e.id === nas).map((e) => e.status)).toEqual(['online', 'offline', 'online']);
    expect(destinations.healthOf(nas)).toMatchObject({ status: 'online', message: null });
  });

  it('gives up after the retry limit, counted from the first failure, keeping the local file', async () => {
    await setup({ retryLimitMs: 10 * MIN });
    const nas = await addLocal('NAS', { content_types: ['movie'] });
    faults.down.add(nas);
    const j = job();
    const { hooks, log } = recorder(j);
    const err = await transfers.deliver(j, file, new AbortController().signal, hooks).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'destination_unreachable' });
    expect((err as Error).message).toMatch(/connection refused .*gave up after 10 min of retrying; the downloaded file is kept and "retry" sends it again/);
    // 15 + 30 + 60 + 120 + 300 = 525 s, then only the 75 s left
    expect(log.waits.map((w) => w.in / 1000)).toEqual([15, 30, 60, 120, 300, 75]);
    expect(await fsp.stat(file.file)).toBeTruthy();
    expect(destinations.healthCheck()).toMatchObject({ status: 'degraded', message: expect.stringMatching(/NAS is offline: Cannot reach/) });
  });

  it('a wrong password fails at once with the adapter message; the destination shows error', async () => {
    await setup();
    const nas = await addLocal('NAS', { content_types: ['movie'] });
    faults.authFails.add(nas);
    const err = await transfers.deliver(job(), file, new AbortController().signal, recorder(job()).hooks).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'destination_auth_failed', message: expect.stringMatching(/check the username and password/) });
    expect(clock.sleeps).toEqual([]);
    expect(destinations.view(destinations.get(nas))).toMatchObject({ status: 'error', code: 'destination_auth_failed' });
  });

  it('a deleted destination: the waiting job wakes up and goes where the rules send it now', async () => {
    await setup();
    const nas = await addLocal('NAS', { content_types: ['movie'] });
    faults.down.add(nas);
    clock.onSleep = () => void destinations.remove(nas);
    const j = job();
    const done = await transfers.deliver(j, file, new AbortController().signal, recorder(j).hooks);
    expect(done.destination.id).toBe('default');
    expect(j.transfer?.waiting_since).toBeNull(); // a new destination starts a new wait
  });

  it('pause while waiting ends the wait with the signal reason', async () => {
    await setup();
    const nas = await addLocal('NAS', { content_types: ['movie'] });
    faults.down.add(nas);
    const controller = new AbortController();
    clock.onSleep = () => controller.abort(new Error('paused'));
    const err = await transfers.deliver(job(), file, controller.signal, recorder(job()).hooks).catch((e: unknown) => e);
    expect(controller.signal.aborted).toBe(true);
    expect(err).toBeInstanceOf(Error);
  });
});

/** Polls on real timers (vi.waitFor would advance the fake interval while it polls). */
async function until(check: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!check()) {
    if (performance.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('health checks (fake timers)', () => {
  it('probes every enabled destination at start and every interval; a change is an event, and wakes waiting jobs', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    root = await fsp.mkdtemp(path.join(os.tmpdir(), 'm3u-transfer-'));
    await fsp.mkdir(path.join(root, 'media'));
    store = await Store.open(path.join(root, 'db.json'), silentLogger());
    bus = new EventBus<AppEvents>(silentLogger());
    statusEvents = [];
    bus.on('destination.status', (e) => void statusEvents.push(e));
    faults = { down: new Set(), authFails: new Set() };
    let probes = 0;
    destinations = new DestinationService({
      repository: new DestinationRepository(store),
      bus,
      clock: { now: () => Date.now(), sleep: (ms, signal) => new Promise((resolve, reject) => {
        const t = setTimeout(resolve, ms);
        signal?.addEventListener('abort', () => (clearTimeout(t), reject(signal.reason)), { once: true });
      }) },
      logger: silentLogger(),
      mediaDir: path.join(root, 'media'),
      checkIntervalMs: 5 * MIN,
      connect: (config) => {
        const d = faulty(createDestination(config, { logger: silentLogger() }), faults);
        const probe = d.probe.bind(d);
        return Object.assign(Object.create(d) as Destination, { probe: (o?: Parameters<Destination['probe']>[0]) => (probes++, probe(o)) });
      },
    });
    await fsp.mkdir(path.join(root, 'nas'));
    const nas = (await destinations.create({ name: 'NAS', kind: 'local', base_path: path.join(root, 'nas') } as never)).id;
    await until(() => destinations.healthOf(nas).status === 'online');
    probes = 0;
    destinations.start();
    await until(() => destinations.healthOf('default').status === 'online');
    expect(probes).toBe(2); // default + NAS, at start
    expect(destinations.healthOf('default')).toMatchObject({ status: 'online', free_bytes: expect.any(Number), total_bytes: expect.any(Number), last_check_at: expect.any(String) });

    faults.down.add(nas);
    await vi.advanceTimersByTimeAsync(5 * MIN - 1);
    expect(probes).toBe(2);
    await vi.advanceTimersByTimeAsync(1);
    await until(() => destinations.healthOf(nas).status === 'offline');
    expect(probes).toBe(4);
    expect(statusEvents.filter((e) => e.id === nas).map((e) => e.status)).toEqual(['online', 'offline']);
    expect(destinations.healthCheck()).toMatchObject({ status: 'degraded' });

    // a job waiting 5 minutes for the NAS goes as soon as a check sees it online
    const controller = new AbortController();
    let woke = false;
    const waiting = destinations.waitForRetry(nas, 5 * MIN, controller.signal).then(() => (woke = true));
    faults.down.delete(nas);
    await destinations.check(nas);
    await waiting;
    expect(woke).toBe(true);
    expect(statusEvents.filter((e) => e.id === nas).map((e) => e.status)).toEqual(['online', 'offline', 'online']);

    await destinations.stop();
    await vi.advanceTimersByTimeAsync(20 * MIN);
    expect(probes).toBe(5); // stop() removed the timer
  });
});
