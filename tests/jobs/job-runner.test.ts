/**
 * JobRunner without the app: an in-memory job store, a scripted engine and transfer, a manual
 * clock. What it shows: one job's phases in order through the lifecycle; live figures live in
 * the progress tracker while the stored record only changes at the steps a resume needs; a stop
 * request decides the end state; events carry snapshots.
 */
import { describe, expect, it } from 'vitest';
import { AppError } from '../../addon/errors.js';
import type { AppEvents } from '../../addon/events/app-events.js';
import { EventBus } from '../../addon/events/bus.js';
import { SpeedMeter } from '../../addon/download/progress.js';
import type { RunHooks, RunResult } from '../../addon/jobs/download-engine.js';
import { JobRepository, type JobStore } from '../../addon/jobs/job-repository.js';
import { JobRunner, StopRequest, type RunEntry } from '../../addon/jobs/job-runner.js';
import { JobStates } from '../../addon/jobs/job-states.js';
import type { Job, JobStatus } from '../../addon/jobs/model.js';
import { ProgressTracker } from '../../addon/jobs/progress-tracker.js';
import type { TransferHooks } from '../../addon/library/transfer-service.js';
import type { Clock } from '../../addon/platform/clock.js';
import { silentLogger } from '../../addon/platform/logger.js';

const OUTPUT: RunResult = { file: '/work/output.mp4', ext: 'mp4', size: 1000, height: 720 };

function newJob(id: string): Job {
  const at = '2026-03-01T12:00:00.000Z';
  return {
    id, url: `http://127.0.0.1:9/${id}.mp4`, title: id, kind: null, status: 'pending', priority: 'medium', quality: 'best', container: 'mp4',
    content_type: 'movie', referer: null, headers: {}, progress: 0, bytes_done: 0, bytes_total: null, speed: 0, eta_s: null,
    segments_done: 0, segments_total: 0, file_path: null, error: null, retry_count: 0, created_at: at, started_at: null, completed_at: null, updated_at: at,
  };
}

interface Gate<T> {
  resolve(v: T): void;
  reject(e: unknown): void;
  promise: Promise<T>;
}
function gate<T>(signal: AbortSignal): Gate<T> {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  signal.addEventListener('abort', () => reject(signal.reason), { once: true });
  return { resolve, reject, promise };
}

function setup() {
  let now = Date.parse('2026-03-01T12:00:00Z');
  const clock: Clock & { advance(ms: number): void } = { now: () => now, sleep: () => Promise.resolve(), advance: (ms) => void (now += ms) };
  let changes = 0;
  const store: JobStore = { data: { jobs: [], queue: { paused: false }, traffic: { day: '', bytes: 0 } }, changed: () => void changes++ };
  const jobs = new JobRepository(store);
  const progress = new ProgressTracker();
  const bus = new EventBus<AppEvents>(silentLogger());
  const states = new JobStates({ jobs, progress, bus, clock });
  const events: Array<{ name: string; job?: Job; previous?: JobStatus; progress?: number }> = [];
  bus.on('job.status', ({ job, previous }) => void events.push({ name: 'status', job, previous }));
  bus.on('job.updated', ({ job }) => void events.push({ name: 'updated', job }));
  bus.on('job.progress', (p) => void events.push({ name: 'progress', progress: p.progress }));

  const engine = {
    hooks: null as RunHooks | null,
    download: null as Gate<RunResult> | null,
    removed: [] as string[],
    run(_job: Job, signal: AbortSignal, hooks: RunHooks) {
      engine.hooks = hooks;
      engine.download = gate<RunResult>(signal);
      return engine.download.promise;
    },
    finishedOutput: async () => null,
    removeWorkDir: async (id: string) => void engine.removed.push(id),
  };
  const transfers = {
    upload: null as Gate<void> | null,
    hooks: null as TransferHooks | null,
    seenTransfer: [] as Array<string | undefined>,
    // A remote destination (smb): the output stays in the work dir and is uploaded.
    stagingDir: () => null,
    async deliver(job: Job, _file: unknown, signal: AbortSignal, hooks: TransferHooks) {
      transfers.hooks = hooks;
      await hooks.attempt({ destination: { id: 'nas', name: 'NAS', kind: 'smb' } as never, path: `Movies/${job.title}.mp4` });
      // Like TransferService: reads the job's transfer again after the attempt recorded it.
      transfers.seenTransfer.push(job.transfer?.destination_id);
      transfers.upload = gate<void>(signal);
      await transfers.upload.promise;
      return { destination: { id: 'nas' } as never, result: { relPath: `Movies/${job.title}.mp4`, location: '//nas/Movies', method: 'copy', bytes: 1000, resumedFrom: 0 } as never, localCopy: null };
    },
  };
  let slotsFreed = 0;
  const runner = new JobRunner({ jobs, states, progress, bus, engine, transfers, clock, logger: silentLogger(), slotFreed: () => void slotsFreed++ });
  const start = (id: string): RunEntry => {
    const entry: RunEntry = { controller: new AbortController(), meter: new SpeedMeter(() => clock.now()), done: Promise.resolve(), phase: 'download', recordingStop: new AbortController() };
    entry.done = runner.run(id, entry);
    return entry;
  };
  return { clock, jobs, progress, bus, engine, transfers, runner, events, start, changes: () => changes, slotsFreed: () => slotsFreed };
}

const tick = () => new Promise((r) => setImmediate(r));
const statuses = (events: Array<{ name: string; job?: Job }>) => events.filter((e) => e.name === 'status').map((e) => e.job!.status);

describe('JobRunner', () => {
  it('runs download, merge and transfer in order; bytes go to the tracker, not the store; completion checkpoints the figures', async () => {
    const s = setup();
    s.jobs.insert(newJob('a'));
    const entry = s.start('a');
    await tick();
    expect(s.jobs.find('a')!.status).toBe('downloading');
    const hooks = s.engine.hooks!;
    hooks.kind('hls');
    hooks.totals({ segmentsTotal: 10, bytesTotal: 1000 });
    const changesBefore = s.changes();
    const storedBefore = s.jobs.find('a')!;
    for (let i = 0; i < 50; i++) {
      s.clock.advance(20);
      hooks.bytes(10);
      hooks.segmentsDone(Math.floor(i / 5));
    }
    // 500 bytes in: the tracker knows, the stored record did not change at all.
    expect(s.jobs.find('a')).toBe(storedBefore);
    expect(s.changes()).toBe(changesBefore);
    expect(s.progress.get('a')).toMatchObject({ bytes_done: 500, bytes_total: 1000, segments_total: 10, progress: 50 });
    expect(s.jobs.find('a')!.bytes_done).toBe(0);
    // Published at most every 500 ms of the manual clock: 1 s of chunks -> 2 or 3 events.
    const published = s.events.filter((e) => e.name === 'progress');
    expect(published.length).toBeGreaterThanOrEqual(2);
    expect(published.length).toBeLessThanOrEqual(3);

    hooks.phase('merging');
    expect(s.jobs.find('a')!.status).toBe('merging');
    // The checkpoint at the status change: how far the download got is on the record now.
    expect(s.jobs.find('a')!.bytes_done).toBe(500);
    s.engine.download!.resolve(OUTPUT);
    await tick();
    await tick();
    expect(s.slotsFreed()).toBe(1);
    expect(s.jobs.find('a')).toMatchObject({ status: 'transferring', transfer: { destination_id: 'nas', attempts: 1, path: 'Movies/a.mp4' } });
    expect(s.transfers.seenTransfer).toEqual(['nas']);
    s.transfers.hooks!.progress(400, 1000);
    expect(s.progress.get('a')).toMatchObject({ progress: 40 });
    s.transfers.upload!.resolve();
    await entry.done;
    expect(statuses(s.events)).toEqual(['downloading', 'merging', 'transferring', 'completed']);
    expect(s.jobs.find('a')).toMatchObject({ status: 'completed', progress: 100, speed: 0, eta_s: 0, file_path: 'Movies/a.mp4', location: '//nas/Movies', segments_done: 10, transfer: { method: 'copy' } });
    expect(s.progress.has('a')).toBe(false);
    expect(s.engine.removed).toEqual(['a']);
  });

  it('settles a provisional title from what the stream says, never downgrades it, and leaves a given one alone', async () => {
    const s = setup();
    s.jobs.insert({ ...newJob('a'), url: 'http://127.0.0.1:9/dl/9981', title: '127.0.0.1', title_from: 'host' });
    s.start('a');
    await tick();
    const hooks = s.engine.hooks!;
    const updates = () => s.events.filter((e) => e.name === 'updated').map((e) => [e.job!.title, e.job!.title_from]);
    hooks.titleEvidence!({ contentDisposition: null });
    expect(updates()).toEqual([]);
    hooks.titleEvidence!({ contentDisposition: 'attachment; filename="Dune.Part.Two.2024.2160p.mkv"' });
    expect(s.jobs.find('a')).toMatchObject({ title: 'Dune Part Two (2024)', title_from: 'disposition' });
    // A title tag ranks below the file's name: it does not replace it.
    hooks.titleEvidence!({ mediaTitle: 'dune_master_v3' });
    expect(updates()).toEqual([['Dune Part Two (2024)', 'disposition']]);

    // A retry whose first response says less than the last run found keeps the better title.
    s.jobs.insert({ ...newJob('b'), title: 'Found In The Tag', title_from: 'media_tag' });
    s.start('b');
    await tick();
    s.engine.hooks!.titleEvidence!({ contentDisposition: null });
    expect(s.jobs.find('b')).toMatchObject({ title: 'Found In The Tag', title_from: 'media_tag' });

    // Given by a person, by a source item, or stored before titles were settled: never touched.
    for (const [id, from] of [['c', 'user'], ['d', 'source'], ['e', undefined]] as const) {
      s.jobs.insert({ ...newJob(id), title: 'As Given', ...(from ? { title_from: from } : {}) });
      s.start(id);
      await tick();
      s.engine.hooks!.titleEvidence!({ contentDisposition: 'attachment; filename="Other.Name.2020.mkv"', mediaTitle: 'Tagged' });
      expect(s.jobs.find(id)!.title).toBe('As Given');
    }
  });

  it('events carry snapshots: a later change does not show in an event already sent', async () => {
    const s = setup();
    s.jobs.insert(newJob('a'));
    s.start('a');
    await tick();
    const downloading = s.events.find((e) => e.name === 'status')!.job!;
    s.engine.hooks!.phase('merging');
    expect(downloading.status).toBe('downloading');
    expect(Object.isFrozen(s.jobs.find('a'))).toBe(true);
  });

  it('a pause request ends in paused with what was fetched on the record; cancel removes the work; shutdown goes back to the queue', async () => {
    for (const [reason, status] of [['paused', 'paused'], ['cancelled', 'cancelled'], ['shutdown', 'pending'], ['held', 'pending']] as const) {
      const s = setup();
      s.jobs.insert(newJob('a'));
      const entry = s.start('a');
      await tick();
      s.engine.hooks!.resumed(300);
      entry.controller.abort(new StopRequest(reason));
      await entry.done;
      expect(s.jobs.find('a')).toMatchObject({ status, speed: 0, eta_s: null, bytes_done: 300 });
      expect(s.progress.has('a')).toBe(false);
      expect(s.engine.removed).toEqual(reason === 'cancelled' ? ['a'] : []);
    }
  });

  it('a failure is failed with a code and message; a destination that is down shows its error while the job keeps transferring', async () => {
    const s = setup();
    s.jobs.insert(newJob('a'));
    const entry = s.start('a');
    await tick();
    s.engine.download!.resolve(OUTPUT);
    await tick();
    await tick();
    await s.transfers.hooks!.waiting({ error: new AppError('destination_unreachable', 'NAS is down'), nextAttemptAt: s.clock.now() + 5000, waitingSince: s.clock.now() });
    expect(s.jobs.find('a')).toMatchObject({ status: 'transferring', error: { code: 'destination_unreachable' }, transfer: { next_attempt_at: new Date(s.clock.now() + 5000).toISOString() } });
    expect(s.events.at(-1)).toMatchObject({ name: 'updated' });
    s.transfers.upload!.reject(new AppError('destination_full', 'no room on the NAS'));
    await entry.done;
    expect(s.jobs.find('a')).toMatchObject({ status: 'failed', error: { code: 'destination_full', message: 'no room on the NAS' }, transfer: { next_attempt_at: null } });
    expect(s.progress.has('a')).toBe(false);
  });

  it('a job found live gives up its download slot and becomes a recording', async () => {
    const s = setup();
    s.jobs.insert({ ...newJob('a'), content_type: null });
    const entry = s.start('a');
    await tick();
    s.engine.hooks!.kind('recording');
    await tick();
    expect(entry.phase).toBe('recording');
    expect(s.slotsFreed()).toBe(1);
    expect(s.jobs.find('a')).toMatchObject({ kind: 'recording', content_type: 'recording' });
  });
});
