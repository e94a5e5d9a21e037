import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Job } from '../../addon/jobs/model.js';
import { buildLargeHls, type LargeHls } from '../fixtures/media.js';
import { startHlsOrigin, type HlsOrigin } from '../fakes/hls-origin.js';
import { decodeErrors, ffmpeg, ffmpegPath, videoFrameHashes } from '../helpers/media-check.js';
import { startServer, type ServerProcess } from '../helpers/server-process.js';
import { waitFor } from '../helpers/app.js';

/**
 * kill -9 of the real server at each step that finishes a file (the remux while downloading, the
 * merge after it, the copy into the library), then a start on the same folders: the job resumes,
 * the filed file is whole and frame-identical to the source, nothing is left in the library or the
 * staging folder, and no ffmpeg the dead server started keeps running.
 */
const execFileAsync = promisify(execFile);
const CONCURRENCY = 4;
/** Per connection: the 16 s fixture (~1.1 MB) takes ~5 s, enough to strike the streamed remux at half. */
const THROTTLED = 60_000;
const FAST = 4_000_000;
const STAGING = '.m3u-downloader-incoming';
let large: LargeHls;
let origin: HlsOrigin;
let root: string;
let reference: string[];
/** ffmpeg with every input read at 4x real time: a merge of the 16 s fixture takes ~4 s, long enough to strike in. */
let slowFfmpeg: string;

beforeAll(async () => {
  large = await buildLargeHls(path.join(os.tmpdir(), 'm3udl-crash-finish-fixture'), { seconds: 16, segmentSeconds: 1, bitrate: 500_000 });
  // The same segments with a discontinuity in the middle: two parts per track, so no streamed remux (the classic merge runs).
  const lines = (await readFile(large.playlist, 'utf8')).split('\n');
  const at = lines.findIndex((l) => l === 'seg00008.ts') - 1;
  lines.splice(at, 0, '#EXT-X-DISCONTINUITY');
  await writeFile(path.join(large.dir, 'disc.m3u8'), lines.join('\n'));
  origin = await startHlsOrigin({ root: large.dir, perConnectionBytesPerSec: THROTTLED });
  root = await mkdtemp(path.join(os.tmpdir(), 'm3udl-crash-finish-'));
  reference = await videoFrameHashes(large.playlist);
  slowFfmpeg = path.join(root, 'slow-ffmpeg');
  await writeFile(
    slowFfmpeg,
    `#!/bin/bash\nargs=()\nfor a in "$@"; do [ "$a" = "-i" ] && args+=(-readrate 4); args+=("$a"); done\nexec ${ffmpegPath} "\${args[@]}"\n`,
  );
  await chmod(slowFfmpeg, 0o755);
});
const mounts: string[] = [];
/** Every server started here: one a failed test left running must not disturb the next. */
const servers: ServerProcess[] = [];
async function start(env: Record<string, string>): Promise<ServerProcess> {
  const server = await startServer(env);
  servers.push(server);
  return server;
}
afterEach(async () => {
  for (const s of servers.splice(0)) {
    if (s.child.exitCode === null && s.child.signalCode === null) s.child.kill('SIGKILL');
    await s.exited;
  }
});
afterAll(async () => {
  for (const m of mounts) await execFileAsync('umount', [m]).catch(() => undefined);
  await origin?.close();
  await rm(root, { recursive: true, force: true });
});

function procStat(pid: number | string): { comm: string; state: string; ppid: number } | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { comm: stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')), state: rest[0]!, ppid: Number(rest[1]) };
  } catch {
    return null;
  }
}

/** The ffmpeg processes `pid` started, from /proc. */
function ffmpegChildren(pid: number): number[] {
  return readdirSync('/proc')
    .filter((e) => /^\d+$/.test(e))
    .filter((e) => {
      const s = procStat(e);
      return s?.ppid === pid && s.comm === 'ffmpeg' && s.state !== 'Z';
    })
    .map(Number);
}

const running = (pid: number): boolean => {
  const s = procStat(pid);
  return s !== null && s.state !== 'Z';
};

async function getJob(server: ServerProcess, id: string): Promise<Job> {
  return (await (await fetch(`${server.baseUrl}/api/downloads/${id}`)).json()) as Job;
}

async function post<T>(server: ServerProcess, route: string, body: Record<string, unknown>): Promise<T> {
  const res = await fetch(`${server.baseUrl}${route}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  expect(res.status).toBe(201);
  return (await res.json()) as T;
}

function segmentRequests(): Map<string, number> {
  const counts = new Map<string, number>();
  for (const p of origin.requests.paths(/\/seg\d+\.ts$/)) counts.set(p, (counts.get(p) ?? 0) + 1);
  return counts;
}

/** Files (not folders) under `dir`, relative. */
async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isFile()).map((e) => path.relative(dir, path.join(e.parentPath, e.name))).sort();
}

/** SIGKILL, then: every ffmpeg the server had started ends with it (it is not left writing). */
async function killHard(server: ServerProcess, ffmpegRunning = true): Promise<void> {
  const children = ffmpegChildren(server.child.pid!);
  expect(children.length > 0).toBe(ffmpegRunning);
  server.child.kill('SIGKILL');
  await server.exited;
  await waitFor(() => (children.some(running) ? undefined : true), 3_000, `ffmpeg ${children.join(',')} to end with the server`).catch((err: Error) => {
    for (const pid of children) if (running(pid)) process.kill(pid, 'SIGKILL');
    throw err;
  });
}

/** The job as db.json has it (written at most once a second), or undefined. */
async function saved(dataDir: string, id: string): Promise<Job | undefined> {
  try {
    return (JSON.parse(await readFile(path.join(dataDir, 'db.json'), 'utf8')) as { jobs: Job[] }).jobs.find((j) => j.id === id);
  } catch {
    return undefined;
  }
}

async function restartAndFinish(env: Record<string, string>, id: string): Promise<Job> {
  const second = await start(env);
  try {
    return await waitFor(async () => {
      const j = await getJob(second, id);
      return j.status === 'completed' || j.status === 'failed' ? j : undefined;
    }, 45_000, 'the job to end after the restart').catch((err: Error) => {
      throw new Error(`${err.message}; the server said:\n${second.output().split('\n').slice(-15).join('\n')}`);
    });
  } finally {
    second.child.kill('SIGTERM');
    await second.exited;
  }
}

async function expectFiled(job: Job, library: string): Promise<void> {
  expect(job.error).toBeNull();
  expect(job.status).toBe('completed');
  const file = path.join(library, job.file_path!);
  expect(await decodeErrors(file)).toBe('');
  expect(await videoFrameHashes(file)).toEqual(reference);
}

/** At most the segments in flight at the kill were fetched twice. */
function expectResumed(before: Map<string, number>): void {
  const after = segmentRequests();
  expect(after.size).toBe(large.segmentCount);
  const twice = [...after.entries()].filter(([, n]) => n > 1).map(([p]) => p);
  expect(twice.length).toBeLessThanOrEqual(CONCURRENCY);
  for (const p of twice) expect(before.has(p)).toBe(true);
}

function envFor(name: string, extra: Record<string, string> = {}): { env: Record<string, string>; dataDir: string; mediaDir: string } {
  const dataDir = path.join(root, name, 'data');
  const mediaDir = path.join(root, name, 'media');
  return { env: { DATA_DIR: dataDir, MEDIA_DIR: mediaDir, SEGMENT_CONCURRENCY: String(CONCURRENCY), ...extra }, dataDir, mediaDir };
}

describe('kill -9 while a download is being finished', () => {
  it('during the remux that runs while downloading (at ~50%)', async () => {
    origin.reset();
    origin.setThrottle({ perConnectionBytesPerSec: THROTTLED });
    const { env, dataDir, mediaDir } = envFor('stream');
    const first = await start(env);
    const id = (await post<Job>(first, '/api/downloads', { url: origin.url('index.m3u8'), title: 'streamed crash' })).id;
    await waitFor(async () => ((await getJob(first, id)).segments_done >= large.segmentCount / 2 ? true : undefined), 30_000);
    // The remux is writing into the library's staging folder as the segments arrive (once ffmpeg has probed its inputs).
    await waitFor(async () => ((await filesUnder(mediaDir)).includes(`${STAGING}/${id}.mp4.part`) ? true : undefined), 10_000, 'the remux output');
    expect(await filesUnder(mediaDir)).toEqual([`${STAGING}/${id}.mp4.part`]);
    expect((await getJob(first, id)).status).toBe('downloading');
    await killHard(first);
    const before = segmentRequests();
    expect(before.size).toBeLessThan(large.segmentCount);
    // Where ffmpeg outlives the server (no setpriv), the end of its FIFO inputs makes it finish a
    // short but well-formed MP4 in the staging folder: the restart must not take that for its output.
    const part = path.join(mediaDir, STAGING, `${id}.mp4.part`);
    await ffmpeg(['-v', 'error', '-y', '-i', large.playlist, '-t', '6', '-c', 'copy', '-movflags', '+faststart', '-f', 'mp4', part]);

    const job = await restartAndFinish(env, id);
    await expectFiled(job, mediaDir);
    expectResumed(before);
    expect(await filesUnder(mediaDir)).toEqual([job.file_path]);
    expect(await readdir(path.join(dataDir, 'tmp', 'jobs')).catch(() => [])).toEqual([]);
  });

  it('during the merge after the download', async () => {
    origin.reset();
    // The download itself is not what is struck here.
    origin.setThrottle({ perConnectionBytesPerSec: FAST });
    const { env, dataDir, mediaDir } = envFor('merge', { FFMPEG_PATH: slowFfmpeg });
    const first = await start(env);
    const id = (await post<Job>(first, '/api/downloads', { url: origin.url('disc.m3u8'), title: 'merge crash' })).id;
    await waitFor(async () => ((await getJob(first, id)).status === 'merging' ? true : undefined), 30_000);
    // The merge's output is there and growing.
    await waitFor(async () => ((await filesUnder(mediaDir)).includes(`${STAGING}/${id}.mp4.part`) ? true : undefined), 10_000);
    // A job younger than db.json's last write is not one a restart can know.
    await waitFor(() => saved(dataDir, id), 5_000, 'db.json to hold the job');
    await killHard(first);

    const job = await restartAndFinish(env, id);
    await expectFiled(job, mediaDir);
    // Everything was downloaded before the kill: nothing is fetched again.
    expect([...segmentRequests().values()].every((n) => n === 1)).toBe(true);
    expect(await filesUnder(mediaDir)).toEqual([job.file_path]);
    expect(await readdir(path.join(dataDir, 'tmp', 'jobs')).catch(() => [])).toEqual([]);
  });

  it('during the copy into a library folder on another filesystem (with a bandwidth limit: a copy from the work dir)', async () => {
    origin.reset();
    // The download itself is not what is struck here.
    origin.setThrottle({ perConnectionBytesPerSec: FAST });
    const { env, dataDir, mediaDir } = envFor('copy');
    const library = path.join(root, 'copy', 'library');
    await mkdir(library, { recursive: true });
    await execFileAsync('mount', ['-t', 'tmpfs', '-o', 'size=20m', 'tmpfs', library]);
    mounts.push(library);
    const first = await start(env);
    const dest = await post<{ id: string }>(first, '/api/destinations', { name: 'Slow disk', kind: 'local', base_path: library, bandwidth_limit_kbps: 300 });
    const id = (await post<Job>(first, '/api/downloads', { url: origin.url('index.m3u8'), title: 'copy crash', destination: dest.id })).id;
    await waitFor(async () => ((await getJob(first, id)).status === 'transferring' ? true : undefined), 30_000);
    await waitFor(async () => ((await filesUnder(library)).some((f) => f.endsWith('.part')) ? true : undefined), 10_000);
    await waitFor(() => saved(dataDir, id), 5_000, 'db.json to hold the job');
    await killHard(first, false);

    const job = await restartAndFinish(env, id);
    await expectFiled(job, library);
    // Resumed from the .part the first server left (not a link: another filesystem).
    expect(job.transfer?.method).toBe('upload');
    expect([...segmentRequests().values()].every((n) => n === 1)).toBe(true);
    expect(await filesUnder(library)).toEqual([job.file_path]);
    expect(await filesUnder(mediaDir)).toEqual([]);
    expect(await readdir(path.join(dataDir, 'tmp', 'jobs')).catch(() => [])).toEqual([]);
  });

  it('right after the job completed, before db.json has it', async () => {
    origin.reset();
    // Throttled: db.json has held the job for seconds when it completes.
    origin.setThrottle({ perConnectionBytesPerSec: THROTTLED });
    const { env, dataDir, mediaDir } = envFor('done');
    const first = await start(env);
    const id = (await post<Job>(first, '/api/downloads', { url: origin.url('index.m3u8'), title: 'done crash' })).id;
    // Struck as soon as the API shows it completed: db.json is written at most once a second.
    await waitFor(async () => ((await getJob(first, id)).status === 'completed' ? true : undefined), 30_000);
    first.child.kill('SIGKILL');
    await first.exited;
    const before = await saved(dataDir, id);
    expect(before).toBeDefined();

    const job = await restartAndFinish(env, id);
    await expectFiled(job, mediaDir);
    // Not downloaded again, and filed once (no "done crash (2).mp4").
    expect({ saved: before?.status, fetched: [...segmentRequests().values()].every((n) => n === 1) }).toEqual({ saved: before?.status, fetched: true });
    expect(await filesUnder(mediaDir)).toEqual([job.file_path]);
    expect(await readdir(path.join(dataDir, 'tmp', 'jobs')).catch(() => [])).toEqual([]);
  });

  it('right after a running download was deleted: it does not come back to download again', async () => {
    origin.reset();
    origin.setThrottle({ perConnectionBytesPerSec: THROTTLED });
    const { env, dataDir, mediaDir } = envFor('deleted');
    const first = await start(env);
    const id = (await post<Job>(first, '/api/downloads', { url: origin.url('index.m3u8'), title: 'deleted crash' })).id;
    await waitFor(async () => ((await saved(dataDir, id))?.status === 'downloading' && (await getJob(first, id)).segments_done >= 4 ? true : undefined), 30_000);
    expect((await fetch(`${first.baseUrl}/api/downloads/${id}`, { method: 'DELETE' })).status).toBe(204);
    first.child.kill('SIGKILL');
    await first.exited;
    const before = segmentRequests();

    const second = await start(env);
    try {
      // Either the delete reached db.json (the job is gone) or it did not (the job resumes from
      // its work files): never a job whose files were deleted, fetched from the start again.
      const res = await fetch(`${second.baseUrl}/api/downloads/${id}`);
      if (res.status === 200) {
        await waitFor(async () => ((await getJob(second, id)).status === 'completed' ? true : undefined), 45_000, 'the resumed job');
        expectResumed(before);
      } else {
        expect(res.status).toBe(404);
        expect(await readdir(path.join(dataDir, 'tmp', 'jobs')).catch(() => [])).toEqual([]);
        expect(await filesUnder(mediaDir)).toEqual([]);
      }
    } finally {
      second.child.kill('SIGTERM');
      await second.exited;
    }
  });
});
