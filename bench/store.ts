/**
 * Bench section 5, the store (`npm run bench -- store` runs it alone): what persisting jobs costs
 * as the store grows. The built server runs as its own process over a db.json that already holds
 * BENCH_STORE_STORED finished jobs (10,000 by default); a loopback M3U source whose rule queues
 * BENCH_STORE_JOBS downloads (2,500) is synced through the REST API. BENCH_STORE_ROUNDS rounds (3),
 * each on a fresh server and store. Measured in each round:
 *   - wall time of that sync (POST /api/sources/:id/sync, answered when every job is queued);
 *   - GET /api/downloads latency, open loop: a request is sent every REQUEST_EVERY_MS whether or not
 *     the previous one has answered (a closed loop would send one request into a stall and count
 *     it once, hiding the stall), and each is timed from when it was due to its last byte. Three
 *     phases: idle (nothing else running), during the sync, and while CREATES downloads are
 *     created one by one through POST /api/downloads. p95 over every request of the phase;
 *   - db.json writes: every rename onto db.json (lowdb writes a temp file and renames it) seen by
 *     inotify, counted per wall-clock second; the maximum in any one second is the figure.
 * The queue is paused first so that the figures are the store's, not the downloads'.
 */
import { watch } from 'node:fs';
import { mkdir, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Job } from '../addon/jobs/model.js';
import { startFakeProvider } from '../tests/fakes/iptv-provider.js';
import { startServer } from '../tests/helpers/server-process.js';
import { ratioFigure, summarize, type Figure } from './figure.js';

/** One round's figures. Latencies in ms. */
export interface StoreBenchResult {
  stored: number;
  queued: number;
  syncSeconds: number;
  /** Every GET /api/downloads latency of each phase (sorted). */
  idle: number[];
  sync: number[];
  creating: number[];
  /** POST /api/downloads latencies while creating (sorted). */
  creates: number[];
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
/** The open loop's request interval (BENCH_STORE_REQUEST_MS): 100 requests a second, more than a few open panels and a poller send. */
const REQUEST_EVERY_MS = Number(process.env.BENCH_STORE_REQUEST_MS ?? 10);
/** Downloads created one by one through the API in the third phase. */
const CREATES = 500;
const IDLE_MS = 2000;

const quantile = (sorted: readonly number[], q: number): number => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]! : 0);

/**
 * GET `url` every REQUEST_EVERY_MS until stop() (open loop); each latency is from when the request
 * was due (not when the timer got round to it: a stalled client would hide a stalled server) to
 * its last byte.
 */
function openLoop(url: string): { stop(): Promise<number[]> } {
  const latencies: number[] = [];
  const inFlight = new Set<Promise<void>>();
  const start = performance.now();
  let sent = 0;
  let running = true;
  const tick = (): void => {
    if (!running) return;
    const now = performance.now();
    // Every request due by now, each timed from its own due time.
    while (start + sent * REQUEST_EVERY_MS <= now) {
      const due = start + sent * REQUEST_EVERY_MS;
      sent++;
      const p = fetch(url)
        .then((res) => res.arrayBuffer())
        .then(() => void latencies.push(performance.now() - due))
        .finally(() => inFlight.delete(p));
      inFlight.add(p);
    }
    setTimeout(tick, Math.max(0, start + sent * REQUEST_EVERY_MS - performance.now()));
  };
  tick();
  return {
    async stop() {
      running = false;
      await Promise.all(inFlight);
      return latencies.sort((a, b) => a - b);
    },
  };
}

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

  // No write rate limit: the creates phase sends CREATES writes in a few seconds.
  const server = await startServer({ DATA_DIR: dataDir, MEDIA_DIR: path.join(work, 'media'), TMP_DIR: path.join(work, 'tmp'), LOG_LEVEL: 'warn', API_WRITE_RATE_PER_MINUTE: '0' });
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

    // The same request with nothing else running: what this machine's load alone costs.
    const list = `${server.baseUrl}/api/downloads`;
    const idleLoop = openLoop(list);
    await new Promise((r) => setTimeout(r, IDLE_MS));
    const idle = await idleLoop.stop();

    writesPerSecond.clear();
    dbWrites = 0;
    const syncLoop = openLoop(list);
    const started = performance.now();
    const record = (await api('POST', `/api/sources/${source.id}/sync`)) as { status: string; counts: { queued: number } };
    const syncSeconds = (performance.now() - started) / 1000;
    const sync = await syncLoop.stop();
    if (record.counts.queued !== opts.queued) throw new Error(`the sync queued ${record.counts.queued} downloads, expected ${opts.queued} (${record.status})`);
    // Writes the sync caused but deferred (a coalesced write) still count.
    await new Promise((r) => setTimeout(r, 1500));
    const syncWrites = dbWrites;
    const syncMaxPerSecond = Math.max(0, ...writesPerSecond.values());

    const creatingLoop = openLoop(list);
    const creates: number[] = [];
    for (let i = 0; i < CREATES; i++) {
      const t = performance.now();
      await api('POST', '/api/downloads', { url: `${provider.baseUrl}/movie/u/p/${900000 + i}.mp4`, title: `Created ${i}` });
      creates.push(performance.now() - t);
    }
    const creating = await creatingLoop.stop();
    await new Promise((r) => setTimeout(r, 1500));
    return {
      stored: opts.stored,
      queued: record.counts.queued,
      syncSeconds,
      idle,
      sync,
      creating,
      creates: creates.sort((a, b) => a - b),
      dbWrites: syncWrites,
      maxWritesPerSecond: Math.max(syncMaxPerSecond, ...writesPerSecond.values()),
      dbBytes: (await stat(path.join(dataDir, 'db.json'))).size,
    };
  } finally {
    watcher.close();
    server.child.kill('SIGTERM');
    await server.exited;
    await provider.close();
  }
}

/** Section 5 (see the file comment): prints its table and returns its figures. */
export async function benchStore(work: string, options: { quick?: boolean } = {}): Promise<Figure[]> {
  const stored = Number(process.env.BENCH_STORE_STORED ?? (options.quick ? 2_000 : 10_000));
  const queued = Number(process.env.BENCH_STORE_JOBS ?? (options.quick ? 500 : 2_500));
  const roundsWanted = Number(process.env.BENCH_STORE_ROUNDS ?? (options.quick ? 1 : 3));
  console.log(`\n## 5. store: a sync whose rules queue ${queued} downloads, ${stored} jobs already stored (queue paused), ${roundsWanted} rounds on fresh servers`);
  const rounds: StoreBenchResult[] = [];
  for (let r = 0; r < roundsWanted; r++) rounds.push(await measureStore(path.join(work, `round-${r}`), { stored, queued }));

  const all = (pick: (r: StoreBenchResult) => number[]): number[] => rounds.flatMap(pick).sort((a, b) => a - b);
  const section = 'store';
  const perRound = (pick: (r: StoreBenchResult) => number) => summarize(rounds.map(pick));
  const latency = (id: string, label: string, pick: (r: StoreBenchResult) => number[], target?: string): Figure => {
    const s = perRound((r) => quantile(pick(r), 0.95));
    const pooled = all(pick);
    return ratioFigure({
      id: `store.downloads.${id}.p95`,
      section,
      label,
      value: s.median,
      unit: 'ms',
      rounds: s,
      ...(target ? { target: `< ${target} ms`, met: s.median < Number(target) } : {}),
      note: `open loop, a GET every ${REQUEST_EVERY_MS} ms timed from when it was due; ${pooled.length} requests over ${rounds.length} rounds, pooled p50 ${quantile(pooled, 0.5).toFixed(1)} / p95 ${quantile(pooled, 0.95).toFixed(1)} / max ${(pooled.at(-1) ?? 0).toFixed(1)} ms`,
    });
  };
  const sync = perRound((r) => r.syncSeconds);
  const creates = all((r) => r.creates);
  const figures: Figure[] = [
    ratioFigure({ id: 'store.sync.wall', section, label: `sync wall time, ${queued} jobs queued over ${stored} stored`, value: sync.median, unit: 's', rounds: sync, target: '< 3 s', met: sync.median < 3 }),
    latency('sync', 'GET /api/downloads p95 during the sync', (r) => r.sync, '20'),
    latency('idle', 'GET /api/downloads p95, idle', (r) => r.idle),
    latency('creating', `GET /api/downloads p95 while ${CREATES} downloads are created one by one (POST /api/downloads)`, (r) => r.creating, '20'),
    ratioFigure({
      id: 'store.create.p95',
      section,
      label: 'POST /api/downloads p95 (one by one)',
      value: perRound((r) => quantile(r.creates, 0.95)).median,
      unit: 'ms',
      rounds: perRound((r) => quantile(r.creates, 0.95)),
      note: `${creates.length} creates over ${rounds.length} rounds, each after the previous answered`,
    }),
    ratioFigure({ id: 'store.writes.sync', section, label: 'db.json writes during the sync (renames onto db.json)', value: perRound((r) => r.dbWrites).median, unit: 'writes', rounds: perRound((r) => r.dbWrites) }),
    ratioFigure({
      id: 'store.writes.max-per-second',
      section,
      label: 'most db.json writes in any one second (sync and creates)',
      value: Math.max(...rounds.map((r) => r.maxWritesPerSecond)),
      unit: 'writes/s',
      target: '<= 1',
      met: Math.max(...rounds.map((r) => r.maxWritesPerSecond)) <= 1,
      note: 'the maximum over every round',
    }),
    ratioFigure({ id: 'store.db.size', section, label: 'db.json size after the sync and the creates', value: perRound((r) => r.dbBytes / 1_000_000).median, unit: 'MB' }),
  ];
  printFigures(figures);
  return figures;
}

function printFigures(figures: readonly Figure[]): void {
  const fmt = (n: number): string => (Number.isInteger(n) ? String(n) : n.toFixed(n < 10 ? 2 : 1));
  console.log('\n| figure | value | rounds min / median / max | target | met |');
  console.log('|---|---|---|---|---|');
  for (const f of figures) {
    const r = f.rounds ? `${fmt(f.rounds.min)} / ${fmt(f.rounds.median)} / ${fmt(f.rounds.max)}` : '';
    console.log(`| ${f.label} | ${fmt(f.value)} ${f.unit} | ${r} | ${f.target ?? ''} | ${f.met === undefined ? '' : f.met ? 'yes' : 'NO'} |`);
  }
  for (const f of figures) if (f.note) console.log(`- ${f.label}: ${f.note}`);
}
