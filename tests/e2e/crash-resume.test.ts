import { readFile, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Job } from '../../addon/jobs/model.js';
import { buildLargeHls, type LargeHls } from '../fixtures/media.js';
import { startHlsOrigin, type HlsOrigin } from '../fakes/hls-origin.js';
import { decodeErrors, videoFrameHashes } from '../helpers/media-check.js';
import { startServer, type ServerProcess } from '../helpers/server-process.js';
import { waitFor } from '../helpers/app.js';

const CONCURRENCY = 4;
let large: LargeHls;
let origin: HlsOrigin;
let root: string;

beforeAll(async () => {
  large = await buildLargeHls(path.join(os.tmpdir(), 'm3udl-crash-fixture'), { seconds: 40, segmentSeconds: 1, bitrate: 1_200_000 });
  // Slow enough that the job is mid-way when we strike: ~40 segments at 4 x 300 kB/s.
  origin = await startHlsOrigin({ root: large.dir, perConnectionBytesPerSec: 300_000 });
  root = await mkdtemp(path.join(os.tmpdir(), 'm3udl-crash-'));
});
afterAll(async () => {
  await origin?.close();
  await rm(root, { recursive: true, force: true });
});

async function getJob(server: ServerProcess, id: string): Promise<Job> {
  return (await (await fetch(`${server.baseUrl}/api/downloads/${id}`)).json()) as Job;
}

async function submit(server: ServerProcess, title: string): Promise<string> {
  const res = await fetch(`${server.baseUrl}/api/downloads`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ url: origin.url('index.m3u8'), title }),
  });
  expect(res.status).toBe(201);
  return ((await res.json()) as Job).id;
}

function segmentRequests(): Map<string, number> {
  const counts = new Map<string, number>();
  for (const p of origin.requests.paths(/\/seg\d+\.ts$/)) counts.set(p, (counts.get(p) ?? 0) + 1);
  return counts;
}

async function expectComplete(server: ServerProcess, id: string, dataDir: string): Promise<void> {
  const job = await waitFor(async () => {
    const j = await getJob(server, id);
    return j.status === 'completed' || j.status === 'failed' ? j : undefined;
  }, 60_000);
  expect(job.error).toBeNull();
  expect(job.status).toBe('completed');
  const file = path.join(dataDir, '..', 'media', job.file_path!);
  expect(await decodeErrors(file)).toBe('');
  expect(await videoFrameHashes(file)).toEqual(await videoFrameHashes(large.playlist));
}

describe('durability of the real server process', () => {
  it('kill -9 mid-download: after a restart only in-flight segments are fetched again', async () => {
    origin.reset();
    const dataDir = path.join(root, 'kill', 'data');
    const env = { DATA_DIR: dataDir, MEDIA_DIR: path.join(root, 'kill', 'media'), SEGMENT_CONCURRENCY: String(CONCURRENCY) };
    const first = await startServer(env);
    const id = await submit(first, 'crash test');
    await waitFor(async () => ((await getJob(first, id)).segments_done >= 12 ? true : undefined), 30_000);
    first.child.kill('SIGKILL');
    await first.exited;
    const before = segmentRequests();
    expect(before.size).toBeLessThan(large.segmentCount);

    const second = await startServer(env);
    try {
      await expectComplete(second, id, dataDir);
    } finally {
      second.child.kill('SIGTERM');
      await second.exited;
    }
    const after = segmentRequests();
    expect(after.size).toBe(large.segmentCount);
    const fetchedTwice = [...after.entries()].filter(([, n]) => n > 1).map(([p]) => p);
    expect(fetchedTwice.length).toBeLessThanOrEqual(CONCURRENCY);
    for (const p of fetchedTwice) expect(before.has(p)).toBe(true);
    // The saved plan is reused: the playlist is not fetched again.
    expect(origin.requests.count('/index.m3u8')).toBe(1);
  });

  it('SIGTERM checkpoints running jobs, exits within 10 s, and the next start resumes', async () => {
    origin.reset();
    const dataDir = path.join(root, 'term', 'data');
    const env = { DATA_DIR: dataDir, MEDIA_DIR: path.join(root, 'term', 'media'), SEGMENT_CONCURRENCY: String(CONCURRENCY) };
    const first = await startServer(env);
    const id = await submit(first, 'sigterm test');
    await waitFor(async () => ((await getJob(first, id)).segments_done >= 8 ? true : undefined), 30_000);
    const t0 = Date.now();
    first.child.kill('SIGTERM');
    const exit = await first.exited;
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(exit.code).toBe(0);
    const db = JSON.parse(await readFile(path.join(dataDir, 'db.json'), 'utf8')) as { jobs: Job[] };
    expect(db.jobs.find((j) => j.id === id)?.status).toBe('pending');

    const second = await startServer(env);
    try {
      await expectComplete(second, id, dataDir);
    } finally {
      second.child.kill('SIGTERM');
      await second.exited;
    }
    expect(second.output()).toMatch(/resuming interrupted downloads|download started/);
  });
});
