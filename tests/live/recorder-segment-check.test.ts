/**
 * The live recorder checks every segment as VOD does (hls/segment-check.ts): a body cut short,
 * shorter than its Content-Length, empty or an HTML error page is fetched again, and one that
 * never arrives whole becomes a reported gap. Its bytes never reach the recording.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConnectionLimits, type DownloadContext } from '../../addon/download/context.js';
import { KeyedSemaphores } from '../../addon/download/semaphore.js';
import { prepareHlsPlan } from '../../addon/hls/hls-download.js';
import { recordingLimits, runRecordingPhase } from '../../addon/live/recording-phase.js';
import { systemClock } from '../../addon/platform/clock.js';
import { createFfmpegRunner } from '../../addon/platform/ffmpeg.js';
import { createHttpClient, DEFAULT_USER_AGENT } from '../../addon/platform/http.js';
import type { Logger } from '../../addon/platform/logger.js';
import { silentLogger } from '../../addon/platform/logger.js';
import { liveMedia, startLiveOrigin, type CorruptKind, type LiveOrigin } from '../fakes/live-origin.js';
import { FAST_RETRY } from '../helpers/app.js';
import { captureLogger } from '../helpers/log-capture.js';
import { decodeErrors, durationSec, ffmpegPath } from '../helpers/media-check.js';

const http = createHttpClient({ timeoutMs: 5000, maxSocketsPerHost: 8, userAgent: DEFAULT_USER_AGENT });
const ffmpeg = createFfmpegRunner(ffmpegPath);
let root: string;
const origins: LiveOrigin[] = [];
let dirs = 0;

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'm3udl-live-check-'));
  await liveMedia(1);
}, 120_000);

afterAll(async () => {
  await Promise.all(origins.map((o) => o.stop()));
  await rm(root, { recursive: true, force: true });
});

async function record(o: LiveOrigin, durationS: number, logger: Logger = silentLogger()) {
  const ctx: DownloadContext = {
    http,
    clock: systemClock,
    retry: FAST_RETRY,
    connections: new ConnectionLimits(new KeyedSemaphores(() => 4)),
    concurrency: 4,
    logger,
    signal: new AbortController().signal,
    headers: {},
    workDir: path.join(root, `job-${++dirs}`),
    progress: { bytes: () => undefined, totals: () => undefined, segmentsDone: () => undefined, resumed: () => undefined },
  };
  const plan = await prepareHlsPlan(ctx, { url: o.url(), quality: 'best' }, undefined, { allowLive: true });
  return runRecordingPhase(
    ctx,
    { ffmpeg },
    { plan, container: 'mp4', limits: recordingLimits({ duration_s: durationS }, { maxRecordingMinutes: 240, outageToleranceS: 30 }), stop: new AbortController().signal },
    { started: () => undefined, progress: () => undefined, merging: () => undefined },
  );
}

/** Sequence numbers of plain segments answered 200, each once, in order. */
function sequences(o: LiveOrigin): number[] {
  return [...new Set(o.log.filter((r) => r.status === 200 && r.path.startsWith('/live/plain/s')).map((r) => Number(/s(\d+)\./.exec(r.path)![1])))].sort((a, b) => a - b);
}

async function expectClean(files: Array<{ file: string }>, recordedS: number): Promise<void> {
  let total = 0;
  for (const f of files) {
    expect(await decodeErrors(f.file)).toBe('');
    total += await durationSec(f.file);
  }
  expect(Math.abs(total - recordedS)).toBeLessThanOrEqual(1);
}

describe.concurrent('live recorder: whole segments only', () => {
  it.each<[CorruptKind, string]>([
    ['cut', 'cut mid-packet with no Content-Length'],
    ['short', 'shorter than its Content-Length'],
    ['html', 'an HTML error page'],
    ['empty', 'empty'],
  ])('a segment served %s once (%s) is fetched again and recorded whole', async (kind) => {
    const o = await startLiveOrigin({ segmentSeconds: 1 });
    origins.push(o);
    const bad = o.headSequence() + 2; // listed a little after the recording starts
    o.corrupt(bad, kind, 1);
    const r = await record(o, 6);
    expect(r.status.ended).toBe('duration');
    expect(o.fetches('plain', bad)).toBe(2);
    expect(r.status.gaps).toEqual([]);
    expect(r.status.lost_s).toBe(0);
    const seqs = sequences(o);
    expect(seqs).toContain(bad);
    expect(seqs.at(-1)! - seqs[0]! + 1).toBe(seqs.length);
    await expectClean(r.files, r.status.recorded_s);
  });

  it('a segment that never arrives whole becomes a gap the recording reports, and none of its bytes are used', async () => {
    const o = await startLiveOrigin({ segmentSeconds: 1 });
    origins.push(o);
    const bad = o.headSequence() + 2;
    o.corrupt(bad, 'cut');
    const capture = captureLogger();
    const r = await record(o, 8, capture.logger);
    expect(r.status.gaps).toHaveLength(1);
    expect(r.status.lost_s).toBeCloseTo(1, 1);
    expect(r.status.warning).toMatch(/lost/);
    expect(o.fetches('plain', bad)).toBeGreaterThanOrEqual(3);
    const lines = capture.lines.map((l) => JSON.parse(l) as { level: string; msg: string; sequence?: number; err?: string }).filter((l) => l.sequence === bad && l.level === 'warn' && /skipped and marked as a gap/.test(l.msg));
    expect(lines).toHaveLength(1);
    expect(lines[0]!.msg).toContain('cut short');
    expect(lines[0]!.err).toMatch(/ends mid-packet/);
    // What was recorded decodes cleanly and lasts what the job says: the cut bytes are not in it.
    await expectClean(r.files, r.status.recorded_s);
  });
});
