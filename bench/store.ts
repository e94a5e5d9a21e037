/**
 * Bench section 5, the store (`npm run bench -- store` runs it alone): what persisting jobs costs
 * as the store grows. The built server runs as its own process over a db.json that already holds
 * BENCH_STORE_STORED finished jobs (10,000 by default); a loopback M3U source whose rule queues
 * BENCH_STORE_JOBS downloads (2,500) is synced once through the REST API. Measured:
 *   - wall time of that sync (POST /api/sources/:id/sync, answered when every job is queued);
 *   - GET /api/downloads latency while the sync runs (sequential requests, p50/p95/max);
 *   - db.json writes: every rename onto db.json (lowdb writes a temp file and renames it) seen by
 *     inotify, counted per wall-clock second; the maximum in any one second is the figure.
 * The queue is paused first so that the figures are the store's, not the downloads'.
 */
import { watch } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Job } from '../addon/jobs/model.js';
import { startFakeProvider } from '../tests/fakes/iptv-provider.js';
import { startServer } from '../tests/helpers/server-process.js';

export interface StoreBenchResult {
  stored: number;
  queued: number;
  syncSeconds: number;
  downloadsP50Ms: number;
  downloadsP95Ms: number;
  downloadsMaxMs: number;
  downloadsRequests: number;
  /** GET /api/downloads before the sync, nothing else running. */
  idleP50Ms: number;
  idleP95Ms: number;
  dbWrites: number;
  maxWritesPerSecond: number;
  dbBytes: number;
}

function finishedJob(i: number, day: number): Job {
  const at = new Date(day - i * 60_000).toISOString();
  return {
    id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
    url: `http://127.0.0.1:9/old/${i}.mp4`,
    title: `Old download ${i}`,
    kind: 'direct',
    status: 'completed',
    priority: 'medium',
    quality: 'best',
    container: 'mp4',
    content_type: 'movie',
    referer: null,
    headers: {},
    progress: 100,
    bytes_done: 1_000_000,
    bytes_total: 1_000_000,
    speed: 0,
    eta_s: 0,
    segments_done: 0,
    segments_total: 0,
    file_path: `Movies/Old download ${i}/Old download ${i}.mp4`,
    error: null,
    retry_count: 0,
    created_at: at,
    started_at: at,
    completed_at: at,
    updated_at: at,
    location: 'local',
  };
}

const RULE_MAX = 500;

const quantile = (sorted: number[], q: number): number => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]! : 0);

export async function measureStore(work: string, opts: { stored: number; queued: number }): Promise<StoreBenchResult> {
  const dataDir = path.join(work, 'data');
  await mkdir(dataDir, { recursive: true });
  const now = Date.now();
  const jobs = Array.from({ length: opts.stored }, (_, i) => finishedJob(i, now));
  await writeFile(path.join(dataDir, 'db.json'), JSON.stringify({ version: 1, jobs }));

  const provider = await startFakeProvider();
  const lines = ['#EXTM3U'];
  for (let i = 0; i < opts.queued; i++) lines.push(`#EXTINF:-1 group-title="Bench ${Math.floor(i / RULE_MAX)}",Bench Movie ${i} (${1950 + (i % 70)})`, `${provider.baseUrl}/movie/u/p/${100000 + i}.mp4`);
  provider.list = `${lines.join('\n')}\n`;

  const server = await startServer({ DATA_DIR: dataDir, MEDIA_DIR: path.join(work, 'media'), TMP_DIR: path.join(work, 'tmp'), LOG_LEVEL: 'warn' });
  const writesPerSecond = new Map<number, number>();
  let dbWrites = 0;
  const watcher = watch(dataDir, (event, name) => {
    if (event !== 'rename' || name !== 'db.json') return;
    dbWrites++;
    const second = Math.floor(Date.now() / 1000);
    writesPerSecond.set(second, (writesPerSecond.get(second) ?? 0) + 1);
  });
  try {
    const api = async (method: string, url: string, body?: unknown): Promise<unknown> => {
      const res = await fetch(`${server.baseUrl}${url}`, { method, headers: { 'content-type': 'application/json' }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
      if (!res.ok) throw new Error(`${method} ${url}: ${res.status} ${await res.text()}`);
      return res.json();
    };
    await api('POST', '/api/queue/pause');
    const source = (await api('POST', '/api/sources', {
      name: 'Bench',
      kind: 'm3u',
      url: `${provider.baseUrl}/list.m3u`,
      // A rule queues at most 500 a sync: one rule per group of 500 entries.
      rules: Array.from({ length: Math.ceil(opts.queued / RULE_MAX) }, (_, g) => ({ kind: 'group', value: `Bench ${g}`, max_per_sync: RULE_MAX })),
    })) as { id: string };
    // Writes from start-up and source creation are not the sync's.
    await new Promise((r) => setTimeout(r, 1500));
    writesPerSecond.clear();
    dbWrites = 0;

    // The same request with nothing else running: what this machine's load alone costs.
    const idle: number[] = [];
    for (let i = 0; i < 200; i++) {
      const t = performance.now();
      await (await fetch(`${server.baseUrl}/api/downloads`)).arrayBuffer();
      idle.push(performance.now() - t);
    }
    idle.sort((a, b) => a - b);
    let syncing = true;
    const latencies: number[] = [];
    const poller = (async () => {
      while (syncing) {
        const t = performance.now();
        const res = await fetch(`${server.baseUrl}/api/downloads`);
        await res.arrayBuffer();
        if (syncing) latencies.push(performance.now() - t);
      }
    })();
    const started = performance.now();
    const record = (await api('POST', `/api/sources/${source.id}/sync`)) as { status: string; counts: { queued: number } };
    const syncSeconds = (performance.now() - started) / 1000;
    syncing = false;
    await poller;
    if (record.counts.queued !== opts.queued) throw new Error(`the sync queued ${record.counts.queued} downloads, expected ${opts.queued} (${record.status})`);
    // Writes the sync caused but deferred (a coalesced write) still count.
    await new Promise((r) => setTimeout(r, 1500));
    latencies.sort((a, b) => a - b);
    const size = (await import('node:fs/promises')).stat(path.join(dataDir, 'db.json')).then((s) => s.size);
    return {
      stored: opts.stored,
      queued: record.counts.queued,
      syncSeconds,
      downloadsP50Ms: quantile(latencies, 0.5),
      downloadsP95Ms: quantile(latencies, 0.95),
      downloadsMaxMs: latencies.at(-1) ?? 0,
      downloadsRequests: latencies.length,
      idleP50Ms: quantile(idle, 0.5),
      idleP95Ms: quantile(idle, 0.95),
      dbWrites,
      maxWritesPerSecond: Math.max(0, ...writesPerSecond.values()),
      dbBytes: await size,
    };
  } finally {
    watcher.close();
    server.child.kill('SIGTERM');
    await server.exited;
    await provider.close();
  }
}

/** Prints section 5 (see the file comment). */
export async function benchStore(work: string): Promise<void> {
  const stored = Number(process.env.BENCH_STORE_STORED ?? 10_000);
  const queued = Number(process.env.BENCH_STORE_JOBS ?? 2_500);
  console.log(`\n## 5. store: a sync whose rules queue ${queued} downloads, ${stored} jobs already stored (queue paused)`);
  const r = await measureStore(work, { stored, queued });
  console.log('\n| figure | value | target |');
  console.log('|---|---|---|');
  console.log(`| sync wall time (${r.queued} jobs queued) | ${r.syncSeconds.toFixed(2)} s | < 3 s |`);
  console.log(`| GET /api/downloads during the sync, p50 / p95 / max (${r.downloadsRequests} requests) | ${r.downloadsP50Ms.toFixed(1)} / ${r.downloadsP95Ms.toFixed(1)} / ${r.downloadsMaxMs.toFixed(1)} ms | p95 < 20 ms |`);
  console.log(`| GET /api/downloads before the sync (idle), p50 / p95 | ${r.idleP50Ms.toFixed(1)} / ${r.idleP95Ms.toFixed(1)} ms | |`);
  console.log(`| db.json writes during the sync (renames onto db.json) | ${r.dbWrites} | |`);
  console.log(`| most db.json writes in any one second | ${r.maxWritesPerSecond} | <= 1 |`);
  console.log(`| db.json size after the sync | ${(r.dbBytes / 1_000_000).toFixed(1)} MB | |`);
}
