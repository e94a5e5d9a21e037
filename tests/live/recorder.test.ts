/**
 * The live recorder against a live origin on 127.0.0.1 (tests/fakes/live-origin.ts) advancing in
 * real time: every test records real media, remuxes it with ffmpeg, and checks the files with
 * ffprobe and a full decode. Real-time tests run concurrently so the file stays short.
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConnectionLimits, type DownloadContext } from '../../addon/download/context.js';
import { KeyedSemaphores } from '../../addon/download/semaphore.js';
import { prepareHlsPlan } from '../../addon/hls/hls-download.js';
import { runRecordingPhase, recordingLimits } from '../../addon/live/recording-phase.js';
import type { RecordingStatus } from '../../addon/live/model.js';
import { systemClock } from '../../addon/platform/clock.js';
import { createFfmpegRunner } from '../../addon/platform/ffmpeg.js';
import { createHttpClient, DEFAULT_USER_AGENT } from '../../addon/platform/http.js';
import { silentLogger } from '../../addon/platform/logger.js';
import { liveMedia, startLiveOrigin, type LiveOrigin } from '../fakes/live-origin.js';
import { FAST_RETRY } from '../helpers/app.js';
import { decodeErrors, durationSec, ffmpegPath } from '../helpers/media-check.js';

const http = createHttpClient({ timeoutMs: 5000, maxSocketsPerHost: 8, userAgent: DEFAULT_USER_AGENT });
const ffmpeg = createFfmpegRunner(ffmpegPath);
let root: string;
const origins: LiveOrigin[] = [];

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'm3udl-live-'));
  await Promise.all([liveMedia(1), liveMedia(2)]);
}, 120_000);

afterAll(async () => {
  await Promise.all(origins.map((o) => o.stop()));
  await rm(root, { recursive: true, force: true });
});

async function origin(options: Parameters<typeof startLiveOrigin>[0] = {}): Promise<LiveOrigin> {
  const o = await startLiveOrigin({ segmentSeconds: 1, ...options });
  origins.push(o);
  return o;
}

let dirs = 0;
function context(workDir: string, signal: AbortSignal): DownloadContext {
  return {
    http,
    clock: systemClock,
    retry: FAST_RETRY,
    connections: new ConnectionLimits(new KeyedSemaphores(() => 4)),
    concurrency: 4,
    logger: silentLogger(),
    signal,
    headers: {},
    workDir,
    progress: { bytes: () => undefined, totals: () => undefined, segmentsDone: () => undefined, resumed: () => undefined },
  };
}

interface RecordOptions {
  live?: Parameters<typeof recordingLimits>[0];
  toleranceS?: number;
  capMinutes?: number;
  stop?: AbortSignal;
  signal?: AbortSignal;
  workDir?: string;
  onProgress?: (s: RecordingStatus) => void;
}

async function record(url: string, opts: RecordOptions = {}) {
  const workDir = opts.workDir ?? path.join(root, `job-${++dirs}`);
  const ctx = context(workDir, opts.signal ?? new AbortController().signal);
  const plan = await prepareHlsPlan(ctx, { url, quality: 'best' }, undefined, { allowLive: true });
  expect(plan.live).toBe(true);
  const progress: RecordingStatus[] = [];
  let started = 0;
  const result = await runRecordingPhase(
    ctx,
    { ffmpeg },
    {
      plan,
      container: 'mp4',
      limits: recordingLimits(opts.live, { maxRecordingMinutes: opts.capMinutes ?? 240, outageToleranceS: opts.toleranceS ?? 30 }),
      stop: opts.stop ?? new AbortController().signal,
    },
    {
      started: () => started++,
      progress: (s) => {
        progress.push(s);
        opts.onProgress?.(s);
      },
      merging: () => undefined,
    },
  );
  return { ...result, progress, started, workDir };
}

/** Every file decodes cleanly, and together they last what the job says was recorded (within one segment). */
async function expectPlayable(files: Array<{ file: string }>, recordedS: number, segment: number): Promise<number[]> {
  const durations: number[] = [];
  for (const f of files) {
    expect(await decodeErrors(f.file)).toBe('');
    durations.push(await durationSec(f.file));
  }
  const total = durations.reduce((a, b) => a + b, 0);
  expect(Math.abs(total - recordedS)).toBeLessThanOrEqual(segment);
  return durations;
}

/** Media sequence numbers of a variant fetched with a 200, in order. */
function fetchedSequences(o: LiveOrigin, variant = 'plain'): number[] {
  return o.log
    .filter((r) => r.status === 200 && r.path.startsWith(`/live/${variant}/s`))
    .map((r) => Number(/s(\d+)\./.exec(r.path)![1]))
    .sort((a, b) => a - b);
}

describe.concurrent('live recorder', () => {
  it('records a duration from a master playlist: stops within one target duration, each segment fetched once, the file plays', async () => {
    const o = await origin();
    const r = await record(o.url('master'), { live: { duration_s: 5 } });
    expect(r.status.ended).toBe('duration');
    expect(r.status.recorded_s).toBeGreaterThanOrEqual(5);
    expect(r.status.recorded_s).toBeLessThanOrEqual(6);
    expect(r.status.gaps).toEqual([]);
    expect(r.status.lost_s).toBe(0);
    expect(r.status.warning).toBeNull();
    expect(r.status.bitrate).toBeGreaterThan(0);
    expect(r.started).toBe(1);
    expect(o.duplicates()).toEqual([]);
    const seqs = fetchedSequences(o);
    expect(seqs.at(-1)! - seqs[0]! + 1).toBe(seqs.length); // contiguous
    await expectPlayable(r.files, r.status.recorded_s, 1);
    // Reloads follow RFC 8216: never more often than half a target duration.
    const reloads = o.log.filter((x) => x.path === '/live/plain/index.m3u8').map((x) => x.at);
    for (let i = 1; i < reloads.length; i++) expect(reloads[i]! - reloads[i - 1]!).toBeGreaterThanOrEqual(450);
  });

  it('decrypts an AES-128 variant (key fetched once, IV from the media sequence)', async () => {
    const o = await origin();
    const r = await record(o.url('aes'), { live: { duration_s: 4 } });
    expect(r.status.ended).toBe('duration');
    expect(o.log.filter((x) => x.path === '/live/aes/key.bin').length).toBe(1);
    expect(o.duplicates()).toEqual([]);
    await expectPlayable(r.files, r.status.recorded_s, 1);
  });

  it('records an fMP4 variant with its EXT-X-MAP init section', async () => {
    const o = await origin();
    const r = await record(o.url('fmp4'), { live: { duration_s: 4 } });
    expect(r.status.ended).toBe('duration');
    expect(o.log.filter((x) => x.path === '/live/fmp4/init.mp4').length).toBe(1);
    expect(o.duplicates()).toEqual([]);
    await expectPlayable(r.files, r.status.recorded_s, 1);
  });

  it('rides out a short outage without losing anything: the window still holds the missed segments', async () => {
    const o = await origin();
    let outageDone = false;
    const r = await record(o.url(), {
      live: { duration_s: 10 },
      onProgress: (s) => {
        if (!outageDone && s.recorded_s >= 3) {
          outageDone = true;
          o.outage(3000);
        }
      },
    });
    expect(outageDone).toBe(true);
    expect(o.log.some((x) => x.status === 503)).toBe(true);
    expect(r.status.gaps).toEqual([]);
    expect(r.status.lost_s).toBe(0);
    const seqs = fetchedSequences(o);
    expect(seqs.at(-1)! - seqs[0]! + 1).toBe(seqs.length);
    expect(o.duplicates()).toEqual([]);
    await expectPlayable(r.files, r.status.recorded_s, 1);
  });

  it('marks a long outage as a gap with the seconds that rolled out of the window, and keeps recording', async () => {
    const o = await origin();
    let outageDone = false;
    const r = await record(o.url(), {
      live: { duration_s: 14 },
      onProgress: (s) => {
        if (!outageDone && s.recorded_s >= 2) {
          outageDone = true;
          o.outage(10_000, 'reset');
        }
      },
    });
    expect(r.status.gaps).toHaveLength(1);
    const seqs = fetchedSequences(o);
    const missing = seqs.at(-1)! - seqs[0]! + 1 - seqs.length;
    expect(missing).toBeGreaterThanOrEqual(2);
    // The segments never fetched are exactly what the job says was lost (1 s each).
    expect(r.status.lost_s).toBeCloseTo(missing, 1);
    expect(r.status.gaps[0]!.lost_s).toBeCloseTo(missing, 1);
    expect(r.status.gaps[0]!.at_s).toBeGreaterThanOrEqual(2);
    expect(r.status.warning).toMatch(/lost/);
    expect(r.status.ended).toBe('duration');
    expect(o.duplicates()).toEqual([]);
    await expectPlayable(r.files, r.status.recorded_s, 1);
  });

  it('survives 503 bursts on playlists and segments without a gap', async () => {
    const o = await origin();
    let bursts = 0;
    const r = await record(o.url(), {
      live: { duration_s: 8 },
      onProgress: (s) => {
        if (s.recorded_s >= 2 * (bursts + 1) && bursts < 3) {
          bursts++;
          o.burst503(3);
        }
      },
    });
    expect(bursts).toBe(3);
    expect(o.log.filter((x) => x.status === 503).length).toBe(9);
    expect(r.status.gaps).toEqual([]);
    expect(o.duplicates()).toEqual([]);
    await expectPlayable(r.files, r.status.recorded_s, 1);
  });

  it('a playlist that stops advancing ends the recording after the outage tolerance, filing what it has with a warning', async () => {
    const o = await origin();
    let frozen = false;
    const t0 = Date.now();
    const r = await record(o.url(), {
      toleranceS: 3,
      onProgress: (s) => {
        if (!frozen && s.recorded_s >= 3) {
          frozen = true;
          o.freeze();
        }
      },
    });
    expect(r.status.ended).toBe('outage');
    expect(r.status.warning).toMatch(/more than 3 s/);
    expect(Date.now() - t0).toBeLessThan(15_000);
    await expectPlayable(r.files, r.status.recorded_s, 1);
  });

  it('stops at EXT-X-ENDLIST after the last segment', async () => {
    const o = await origin();
    let ended = false;
    const r = await record(o.url(), {
      onProgress: (s) => {
        if (!ended && s.recorded_s >= 3) {
          ended = true;
          o.endList();
        }
      },
    });
    expect(r.status.ended).toBe('endlist');
    // The last listed segment is in the recording.
    const listed = Number(/#EXT-X-MEDIA-SEQUENCE:(\d+)/.exec(await (await fetch(o.url())).text())![1]) + 5;
    expect(fetchedSequences(o).at(-1)).toBe(listed);
    await expectPlayable(r.files, r.status.recorded_s, 1);
  });

  it("the user's Stop ends it at once and keeps what was recorded", async () => {
    const o = await origin();
    const stop = new AbortController();
    const r = await record(o.url(), {
      stop: stop.signal,
      onProgress: (s) => {
        if (s.recorded_s >= 4) stop.abort();
      },
    });
    expect(r.status.ended).toBe('stopped');
    expect(r.status.recorded_s).toBeGreaterThanOrEqual(4);
    await expectPlayable(r.files, r.status.recorded_s, 1);
  });

  it('until: stops at the wall-clock end within one target duration', async () => {
    const o = await origin();
    const until = Date.now() + 5000;
    const r = await record(o.url(), { live: { until: new Date(until).toISOString() } });
    expect(r.status.ended).toBe('until');
    // The last reload is the one at `until` (measured at the origin, not after the remux).
    const reloads = o.log.filter((x) => x.path === '/live/plain/index.m3u8').map((x) => x.at);
    expect(Math.abs(reloads.at(-1)! - until)).toBeLessThan(1000);
    expect(o.log.filter((x) => x.at > until + 1000)).toEqual([]);
    await expectPlayable(r.files, r.status.recorded_s, 1);
  });

  it('max_recording_minutes caps a recording without an end', async () => {
    const o = await origin();
    // 0.1 min = 6 s of the stream.
    const r = await record(o.url(), { capMinutes: 0.1 });
    expect(r.status.ended).toBe('cap');
    expect(r.status.warning).toMatch(/max_recording_minutes/);
    expect(r.status.recorded_s).toBeGreaterThanOrEqual(6);
    expect(r.status.recorded_s).toBeLessThanOrEqual(7);
    await expectPlayable(r.files, r.status.recorded_s, 1);
  });

  it('split_minutes: consecutive files, each playable, together the whole recording', async () => {
    const o = await origin();
    const r = await record(o.url(), { live: { duration_s: 7, split_minutes: 0.05 } });
    expect(r.files.length).toBe(3);
    const durations = await expectPlayable(r.files, r.status.recorded_s, 1);
    expect(durations[0]).toBeGreaterThan(2.5);
    expect(durations[0]).toBeLessThan(4.5);
    expect(new Set(r.files.map((f) => f.started_at)).size).toBe(3);
    expect(o.duplicates()).toEqual([]);
  });

  it('continues after an interruption from its journal: nothing fetched twice, nothing lost while the window holds it', async () => {
    const o = await origin();
    const workDir = path.join(root, `job-${++dirs}`);
    const abort = new AbortController();
    await expect(
      record(o.url(), {
        workDir,
        live: { duration_s: 8 },
        signal: abort.signal,
        onProgress: (s) => {
          if (s.recorded_s >= 3) abort.abort(new Error('crash'));
        },
      }),
    ).rejects.toThrow();
    const r = await record(o.url(), { workDir, live: { duration_s: 8 } });
    expect(r.started).toBe(0); // announced by the first run only
    expect(r.status.recorded_s).toBeGreaterThanOrEqual(8);
    expect(r.status.gaps).toEqual([]);
    expect(o.duplicates()).toEqual([]);
    const seqs = fetchedSequences(o);
    expect(seqs.at(-1)! - seqs[0]! + 1).toBe(seqs.length);
    await expectPlayable(r.files, r.status.recorded_s, 1);
    expect((await readdir(workDir)).filter((n) => n.startsWith('piece-'))).toEqual([]);
  });

  it('an origin that restarts its sequence numbers is a marked gap, not the end', async () => {
    const o = await origin();
    let restarted = false;
    const r = await record(o.url(), {
      live: { duration_s: 9 },
      onProgress: (s) => {
        if (!restarted && s.recorded_s >= 3) {
          restarted = true;
          o.restart(0);
        }
      },
    });
    expect(r.status.ended).toBe('duration');
    expect(r.status.gaps.length).toBe(1);
    expect(o.duplicates()).toEqual([]);
    await expectPlayable(r.files, r.status.recorded_s, 1);
  });

  it('a segment the origin refuses for good is skipped after a few reloads, as a one-segment gap (a long DVR window would hold it for minutes)', async () => {
    const o = await origin({ window: 30 });
    let marked = false;
    const r = await record(o.url(), {
      live: { duration_s: 9 },
      toleranceS: 5,
      onProgress: (s) => {
        if (!marked && s.recorded_s >= 3) {
          marked = true;
          o.missing(o.headSequence() + 2);
        }
      },
    });
    expect(r.status.ended).toBe('duration');
    expect(r.status.gaps).toHaveLength(1);
    expect(r.status.gaps[0]!.lost_s).toBeCloseTo(1, 1);
    expect(o.log.filter((x) => x.status === 404).length).toBeGreaterThanOrEqual(3);
    expect(o.duplicates()).toEqual([]);
    await expectPlayable(r.files, r.status.recorded_s, 1);
  });

  it('2 s segments (the realistic window): a 5 s outage loses nothing', async () => {
    const o = await origin({ segmentSeconds: 2 });
    let outageDone = false;
    const r = await record(o.url(), {
      live: { duration_s: 12 },
      onProgress: (s) => {
        if (!outageDone && s.recorded_s >= 4) {
          outageDone = true;
          o.outage(5000);
        }
      },
    });
    expect(r.status.gaps).toEqual([]);
    expect(r.status.recorded_s).toBeGreaterThanOrEqual(12);
    expect(r.status.recorded_s).toBeLessThanOrEqual(14);
    expect(o.duplicates()).toEqual([]);
    await expectPlayable(r.files, r.status.recorded_s, 2);
  });
});
