/**
 * A resume that has to start over: a direct-file origin that answers a ranged request with the
 * whole file (200). The job says so (`warning`, shown on its card) and the log has one line a
 * user can act on; the finished file is still whole and byte-identical. A server that honours
 * ranges resumes silently.
 */
import { readFile, stat } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { workDirOf } from '../../addon/jobs/download-engine.js';
import type { Job } from '../../addon/jobs/model.js';
import { mediaOfSize } from '../fixtures/tiny-mp4.js';
import { makeTestApp, waitFor, type TestApp } from '../helpers/app.js';
import { captureLogger } from '../helpers/log-capture.js';

const FILE = mediaOfSize(1024 * 1024);
const CHUNK = 128 * 1024;
const STALL_AT = 512 * 1024;

interface Origin {
  url: string;
  /** Honour `Range` (206) or ignore it (200, the whole file, no Accept-Ranges). */
  ranges: boolean;
  /** While set, no byte at or past STALL_AT is sent: the response hangs there. */
  stall: boolean;
  /** Every GET: its Range header and the status answered. */
  requests: Array<{ range: string | undefined; status: number }>;
  close(): Promise<void>;
}

async function startOrigin(ranges: boolean): Promise<Origin> {
  const sockets = new Set<Socket>();
  const origin = { ranges, stall: true, requests: [] as Origin['requests'] } as Origin;
  const server = http.createServer((req, res) => {
    if (req.url !== '/film.mp4') return void res.writeHead(404).end();
    const m = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
    let start = 0;
    let end = FILE.length - 1;
    const headers: Record<string, string | number> = { 'content-type': 'video/mp4' };
    let status = 200;
    if (origin.ranges) {
      headers['accept-ranges'] = 'bytes';
      if (m) {
        start = Number(m[1]);
        end = m[2] ? Math.min(Number(m[2]), FILE.length - 1) : FILE.length - 1;
        status = 206;
        headers['content-range'] = `bytes ${start}-${end}/${FILE.length}`;
      }
    }
    headers['content-length'] = end - start + 1;
    origin.requests.push({ range: req.headers.range, status });
    res.writeHead(status, headers);
    if (origin.stall && end >= STALL_AT) {
      // Send what lies before the stall point, then hang (the job is paused meanwhile).
      if (start < STALL_AT) res.write(FILE.subarray(start, STALL_AT));
      return;
    }
    res.end(FILE.subarray(start, end + 1));
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  origin.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/film.mp4`;
  origin.close = () =>
    new Promise((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    });
  return origin;
}

const apps: TestApp[] = [];
const origins: Origin[] = [];
afterEach(async () => {
  await Promise.all(apps.splice(0).map((a) => a.dispose()));
  await Promise.all(origins.splice(0).map((o) => o.close()));
});

/** Starts a download that stalls at STALL_AT, pauses it there, lets the origin change, resumes. */
async function interruptAndResume(origin: Origin, change: () => void): Promise<{ app: TestApp; job: Job; log: () => string }> {
  const capture = captureLogger();
  const app = await makeTestApp({ REQUEST_TIMEOUT_S: '600' }, { logger: capture.logger, chunkBytes: CHUNK });
  apps.push(app);
  const created = app.jobs.create({ url: origin.url, title: 'Start over' });
  // Interrupted once half the file is on disk: streamed into data.bin, or four journalled chunks.
  const workDir = workDirOf(app.config.tmp_dir, created.id);
  await waitFor(async () => {
    const streamed = await stat(path.join(workDir, 'data.bin')).then((st) => st.size, () => 0);
    const chunks = await readFile(path.join(workDir, 'chunks.log'), 'utf8').then((t) => t.split('\n').filter(Boolean).length, () => 0);
    return (origin.ranges ? chunks * CHUNK : streamed) >= STALL_AT ? true : undefined;
  }, 15_000, 'half the file fetched');
  await app.jobs.pause(created.id);
  expect(app.jobs.get(created.id).status).toBe('paused');
  expect(app.jobs.get(created.id).warning ?? null).toBeNull();
  change();
  origin.stall = false;
  await app.jobs.resume(created.id);
  const job = await waitFor(() => {
    const j = app.jobs.get(created.id);
    return j.status === 'completed' || j.status === 'failed' ? j : undefined;
  }, 30_000, 'the download to finish');
  expect(job.error).toBeNull();
  expect(job.status).toBe('completed');
  // Whole and byte-identical: nothing of the first attempt is glued to the second.
  expect((await readFile(path.join(app.root, 'media', job.file_path!))).equals(FILE)).toBe(true);
  return { app, job, log: capture.text };
}

const START_OVER_MSG =
  /^resume had to start over: 127\.0\.0\.1:\d+ answered a ranged request with the whole file \(HTTP 200, no byte ranges\), so the 512\.0 KB already fetched are downloaded again; every pause or restart of this download costs the whole file, so let it run to the end$/;

/** The log's start-over lines: exactly one expected, a warning naming the job. */
function startOverLines(log: string, jobId: string): void {
  const lines = log
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { level: string; jobId?: string; msg: string })
    .filter((l) => l.msg.startsWith('resume had to start over'));
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatchObject({ level: 'warn', jobId, discardedBytes: STALL_AT });
  expect(lines[0]!.msg).toMatch(START_OVER_MSG);
}

describe('a resume the server forces to start over', () => {
  it('a server that ignores Range: the job and the log say the resume started over; the file is whole', async () => {
    const origin = await startOrigin(false);
    origins.push(origin);
    const { job, log } = await interruptAndResume(origin, () => undefined);
    expect(job.warning).toMatch(/^Resumed from the start: 127\.0\.0\.1:\d+ ignores byte ranges, so the 512\.0 KB fetched before were downloaded again\.$/);
    startOverLines(log(), job.id);
    // Every request asked for a range and got the whole file: two probes and two full bodies.
    expect(origin.requests.every((r) => r.status === 200)).toBe(true);
  });

  it('a server that stops honouring Range between attempts: said so, not "the file changed"', async () => {
    const origin = await startOrigin(true);
    origins.push(origin);
    const { job, log } = await interruptAndResume(origin, () => {
      origin.ranges = false;
    });
    expect(origin.requests.some((r) => r.status === 206)).toBe(true);
    expect(job.warning).toMatch(/^Resumed from the start: 127\.0\.0\.1:\d+ ignores byte ranges, so the 512\.0 KB fetched before were downloaded again\.$/);
    startOverLines(log(), job.id);
    expect(log()).not.toContain('the file changed on the server');
  });

  it('a server that honours Range resumes where it stopped, with no warning', async () => {
    const origin = await startOrigin(true);
    origins.push(origin);
    const before = (): number => origin.requests.length;
    let firstAttempt = 0;
    const { job, log } = await interruptAndResume(origin, () => {
      firstAttempt = before();
    });
    expect(job.warning ?? null).toBeNull();
    expect(log()).not.toContain('resume had to start over');
    // The second attempt asked only for chunks past the stall point (plus its probe of the head).
    const later = origin.requests.slice(firstAttempt).filter((r) => r.range !== 'bytes=0-65535');
    expect(later.length).toBeGreaterThan(0);
    for (const r of later) expect(Number(/^bytes=(\d+)-/.exec(r.range!)![1])).toBeGreaterThanOrEqual(STALL_AT);
  });
});
