/**
 * kill -9 of the real server process in the middle of a live recording (tests/helpers/server-process.ts
 * runs the built server, `npm test` builds it): after the restart the recording continues, what was
 * recorded before the crash is kept and filed, and a gap is marked exactly when segments were lost.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Job } from '../../addon/jobs/model.js';
import { liveMedia, startLiveOrigin, type LiveOrigin } from '../fakes/live-origin.js';
import { waitFor } from '../helpers/app.js';
import { decodeErrors, durationSec } from '../helpers/media-check.js';
import { startServer, type ServerProcess } from '../helpers/server-process.js';

let root: string;
const origins: LiveOrigin[] = [];

beforeAll(async () => {
  await liveMedia(1);
  root = await mkdtemp(path.join(os.tmpdir(), 'm3udl-live-crash-'));
}, 120_000);
afterAll(async () => {
  await Promise.all(origins.map((o) => o.stop()));
  await rm(root, { recursive: true, force: true });
});

async function getJob(server: ServerProcess, id: string): Promise<Job> {
  return (await (await fetch(`${server.baseUrl}/api/downloads/${id}`)).json()) as Job;
}

function fetched(o: LiveOrigin): number[] {
  return o.log
    .filter((r) => r.status === 200 && /^\/live\/plain\/s\d+\.ts$/.test(r.path))
    .map((r) => Number(/s(\d+)\./.exec(r.path)![1]))
    .sort((a, b) => a - b);
}

async function crashAndResume(name: string, downMs: number, window: number): Promise<{ job: Job; origin: LiveOrigin; file: string }> {
  const o = await startLiveOrigin({ segmentSeconds: 1, window });
  origins.push(o);
  const env = { DATA_DIR: path.join(root, name, 'data'), MEDIA_DIR: path.join(root, name, 'media') };
  const first = await startServer(env);
  const res = await fetch(`${first.baseUrl}/api/downloads`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ url: o.url(), title: name, live: { duration_s: 10, channel: 'Crash TV' } }),
  });
  expect(res.status).toBe(201);
  const id = ((await res.json()) as Job).id;
  await waitFor(async () => ((await getJob(first, id)).recording?.recorded_s ?? 0) >= 4 ? true : undefined, 30_000, 'recording to progress');
  first.child.kill('SIGKILL');
  await first.exited;
  if (downMs > 0) await sleep(downMs);
  const second = await startServer(env);
  try {
    const job = await waitFor(async () => {
      const j = await getJob(second, id);
      return j.status === 'completed' || j.status === 'failed' ? j : undefined;
    }, 60_000, 'the recording to finish');
    return { job, origin: o, file: path.join(env.MEDIA_DIR, job.file_path ?? 'missing') };
  } finally {
    second.child.kill('SIGTERM');
    await second.exited;
  }
}

describe.concurrent('live recording across kill -9', () => {
  it('a quick restart continues the recording: nothing lost, nothing fetched twice, one playable file', async () => {
    // A 20 s window: a restart on a busy CI machine takes a few seconds, and must lose nothing.
    const { job, origin, file } = await crashAndResume('quick', 0, 20);
    expect(job.error).toBeNull();
    expect(job.status).toBe('completed');
    expect(job.recording!.recorded_s).toBeGreaterThanOrEqual(10);
    expect(job.recording!.gaps).toEqual([]);
    expect(origin.duplicates()).toEqual([]);
    const seqs = fetched(origin);
    expect(seqs.at(-1)! - seqs[0]! + 1).toBe(seqs.length);
    expect(await decodeErrors(file)).toBe('');
    expect(Math.abs((await durationSec(file)) - job.recording!.recorded_s)).toBeLessThanOrEqual(1);
  });

  it('a restart after the window moved on: the gap is marked with the seconds lost, and the earlier part is kept', async () => {
    const { job, origin, file } = await crashAndResume('late', 9000, 6);
    expect(job.status).toBe('completed');
    expect(job.recording!.gaps).toHaveLength(1);
    const seqs = fetched(origin);
    const missing = seqs.at(-1)! - seqs[0]! + 1 - seqs.length;
    expect(missing).toBeGreaterThan(0);
    expect(job.recording!.lost_s).toBeCloseTo(missing, 1);
    expect(job.recording!.gaps[0]!.at_s).toBeGreaterThanOrEqual(4);
    expect(job.recording!.warning).toMatch(/lost/);
    expect(origin.duplicates()).toEqual([]);
    expect(await decodeErrors(file)).toBe('');
    // Recorded before and after the crash, in one file.
    expect(Math.abs((await durationSec(file)) - job.recording!.recorded_s)).toBeLessThanOrEqual(1);
  });
});
