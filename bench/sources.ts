/**
 * Bench section sources: playlist sources at provider scale. A synthetic 200k-entry list
 * (tests/fixtures/gen-m3u.ts) is parsed and diffed by whole syncs, each measurement in a process
 * of its own (bench/sources-worker.ts) so its peak RSS is its own; the parse stage against
 * iptv-playlist-parser on the same file (alternating rounds); and the same list synced through
 * the real server with rules that queue jobs, against runSync alone.
 *
 *   npm run bench -- sources        this section alone (node dist/bench/sources.js works too)
 */
import { spawn } from 'node:child_process';
import { createReadStream, createWriteStream, existsSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { once } from 'node:events';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { generateM3u, type GenM3uOptions } from '../tests/fixtures/gen-m3u.js';
import { startServer } from '../tests/helpers/server-process.js';
import { absolute, alternate, compare, logFigures, type BenchContext } from './context.js';
import type { Figure } from './figure.js';
import { vmHwmBytes } from './proc-tree.js';

const fmtMB = (b: number): string => `${(b / MB).toFixed(0)} MB`;

const MB = 1_000_000;
const WORKER = path.join(path.dirname(fileURLToPath(import.meta.url)), 'sources-worker.js');
const ENTRIES = 200_000;

interface WorkerResult {
  mode: string;
  /** Measured inside the worker: the work alone, without the process start. */
  seconds: number;
  /** From the worker's spawn to its exit: the work with the process start, as for a command-line tool. */
  wallSeconds: number;
  peakRssBytes: number;
  entries?: number;
  counts?: Record<string, number>;
  previousItems?: number;
  readPreviousSeconds?: number;
  written?: boolean;
  anomaly?: string | null;
}

function worker(args: string[]): Promise<WorkerResult> {
  return new Promise((resolve, reject) => {
    const spawned = performance.now();
    const child = spawn(process.execPath, [WORKER, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-4000)));
    child.once('exit', (code) => {
      if (code !== 0) reject(new Error(`worker ${args[0]} exited ${code}: ${err}`));
      else resolve({ ...(JSON.parse(out.trim().split('\n').pop()!) as WorkerResult), wallSeconds: (performance.now() - spawned) / 1000 });
    });
  });
}

/** Writes the concatenation of several generated lists (the later ones without their #EXTM3U line). */
async function writeList(file: string, parts: GenM3uOptions[]): Promise<number> {
  const marker = `${file}.json`;
  if (existsSync(file) && existsSync(marker)) return (JSON.parse(await readFile(marker, 'utf8')) as { bytes: number }).bytes;
  await mkdir(path.dirname(file), { recursive: true });
  const out = createWriteStream(file);
  let bytes = 0;
  for (const [i, part] of parts.entries()) {
    let first = true;
    for (let chunk of generateM3u(part)) {
      if (first && i > 0) chunk = chunk.slice(chunk.indexOf('\n') + 1);
      first = false;
      bytes += Buffer.byteLength(chunk);
      if (!out.write(chunk)) await once(out, 'drain');
    }
  }
  out.end();
  await once(out, 'finish');
  await writeFile(marker, JSON.stringify({ bytes }));
  return bytes;
}

const NEXT_HOST = 'http://cdn2.provider-tv.example:8080';

/** The lists of this section, written once into the cache: the list, its next day, and the worst case (distinct titles). */
async function lists(cacheRoot: string, entries: number): Promise<{ list: string; nextDay: string; unique: string; uniqueNext: string; bytes: number; uniqueBytes: number }> {
  const dir = path.join(cacheRoot, 'sources');
  const k = `${entries / 1000}k`;
  const list = path.join(dir, `list-${k}.m3u`);
  const nextDay = path.join(dir, `list-${k}-next.m3u`);
  const unique = path.join(dir, `list-${k}-unique.m3u`);
  const uniqueNext = path.join(dir, `list-${k}-unique-next.m3u`);
  const gone = entries / 100;
  const bytes = await writeList(list, [{ count: entries, seed: 42 }]);
  // The next day: the last 1% gone, 2% new (another seed, another host).
  await writeList(nextDay, [{ count: entries - gone, seed: 42 }, { count: 2 * gone, seed: 43, host: NEXT_HOST }]);
  const uniqueBytes = await writeList(unique, [{ count: entries, seed: 42, uniqueTitles: true }]);
  await writeList(uniqueNext, [{ count: entries - gone, seed: 42, uniqueTitles: true }, { count: 2 * gone, seed: 43, host: NEXT_HOST, uniqueTitles: true }]);
  return { list, nextDay, unique, uniqueNext, bytes, uniqueBytes };
}

/** Rules that queue downloads on every sync: the groups of the generated list, up to 500 each. */
const SYNC_RULES = ['Filmes | *', 'Movies | *', '4K', 'Novelas*', 'Séries | *'].map((value) => ({ kind: 'group', value, max_per_sync: 500 }));

interface ServerSync {
  seconds: number;
  queued: number;
  items: number;
  serverHwmBytes: number;
}

/**
 * One sync of the list through the real server: the built server started fresh, the list served
 * from loopback (streamed from disk), POST /api/sources with rules that queue jobs (queue paused,
 * so nothing downloads), then POST /api/sources/:id/sync timed until it answers (every job queued).
 */
async function serverSync(list: string, work: string): Promise<ServerSync> {
  await rm(work, { recursive: true, force: true });
  const origin = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'audio/x-mpegurl' });
    createReadStream(list).pipe(res);
  });
  await new Promise<void>((r) => origin.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(origin.address() as AddressInfo).port}/list.m3u`;
  const server = await startServer({ DATA_DIR: path.join(work, 'data'), MEDIA_DIR: path.join(work, 'media'), TMP_DIR: path.join(work, 'tmp'), LOG_LEVEL: 'warn' });
  try {
    const api = async (method: string, route: string, body?: unknown): Promise<unknown> => {
      const res = await fetch(`${server.baseUrl}${route}`, { method, headers: { 'content-type': 'application/json' }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
      if (!res.ok) throw new Error(`${method} ${route}: ${res.status} ${await res.text()}`);
      return res.json();
    };
    await api('POST', '/api/queue/pause');
    const source = (await api('POST', '/api/sources', { name: 'Bench', kind: 'm3u', url, rules: SYNC_RULES })) as { id: string };
    const started = performance.now();
    const record = (await api('POST', `/api/sources/${source.id}/sync`)) as { status: string; error: unknown; counts: { queued: number; items?: number; total_items?: number } };
    const seconds = (performance.now() - started) / 1000;
    if (record.counts.queued <= 0) throw new Error(`the sync queued nothing (${record.status}: ${JSON.stringify(record.error)})`);
    return { seconds, queued: record.counts.queued, items: record.counts.items ?? record.counts.total_items ?? 0, serverHwmBytes: vmHwmBytes(server.child.pid!) };
  } finally {
    server.child.kill('SIGTERM');
    await server.exited;
    await new Promise((r) => origin.close(r));
    await rm(work, { recursive: true, force: true });
  }
}

/** Section sources: the parser against iptv-playlist-parser, whole syncs, and a sync through the server. */
export async function benchSources(ctx: BenchContext): Promise<Figure[]> {
  const entries = ctx.quick ? 50_000 : ENTRIES;
  const rounds = ctx.quick ? 1 : 3;
  const l = await lists(ctx.cache, entries);
  const k = `${entries / 1000}k`;
  const section = 'sources';
  ctx.log(`synthetic ${k}-entry list (${fmtMB(l.bytes)}, tests/fixtures/gen-m3u.ts); every figure from a fresh process; ${rounds} round(s)`);

  const parse = await alternate(rounds, ['parse', 'peer-parse'] as const, (mode) => worker([mode, l.list]));
  const figures: Figure[] = [
    compare({
      id: 'sources.parse-vs-iptv-playlist-parser', section, unit: 's',
      label: `parse a ${k}-entry list: this streaming parser (from disk) vs iptv-playlist-parser (whole string)`,
      values: parse.parse.map((r) => r.wallSeconds),
      peerLabel: 'iptv-playlist-parser 0.15', peerValues: parse['peer-parse'].map((r) => r.wallSeconds),
      targetRatio: 1,
      target: '< 1x (faster)',
      note: `entries read: ${parse.parse[0]!.entries} vs ${parse['peer-parse'][0]!.entries} (the peer drops entries it cannot read); each in a node process of its own, timed from spawn to exit (process start counted for both); inside the process alone: ${parse.parse[0]!.seconds.toFixed(2)} s vs ${parse['peer-parse'][0]!.seconds.toFixed(2)} s`,
    }),
    compare({
      id: 'sources.parse-rss-vs-iptv-playlist-parser', section, unit: 'MB',
      label: `parse a ${k}-entry list, peak RSS: this parser vs iptv-playlist-parser`,
      values: parse.parse.map((r) => r.peakRssBytes / MB),
      peerLabel: 'iptv-playlist-parser 0.15', peerValues: parse['peer-parse'].map((r) => r.peakRssBytes / MB),
      note: 'each worker process\'s maxRSS',
    }),
  ];

  // Each run of a sync changes the catalogue it diffs against: restore it for the repeats.
  const syncs = async (id: string, label: string, file: string, catalogueDir: string, limits: boolean): Promise<void> => {
    const runs: WorkerResult[] = [];
    const saved = path.join(catalogueDir, 'bench.ndjson');
    const before = existsSync(saved) ? await readFile(saved) : null;
    for (let i = 0; i < rounds; i++) {
      if (before) await writeFile(saved, before);
      else await rm(catalogueDir, { recursive: true, force: true });
      runs.push(await worker(['sync', file, catalogueDir]));
    }
    const c = runs[0]!.counts ?? {};
    const note = `entries ${c.entries}, items ${c.items}, new ${c.new}, removed ${c.removed}; runSync alone in its own process, timed inside it (read previous catalogue, parse, classify, filter, diff, write)`;
    figures.push(absolute({ id: `${id}.seconds`, section, unit: 's', label: `${label}: seconds`, values: runs.map((r) => r.seconds), ...(limits ? { limit: 5 } : {}), note }));
    figures.push(absolute({ id: `${id}.rss`, section, unit: 'MB', label: `${label}: peak RSS`, values: runs.map((r) => r.peakRssBytes / MB), ...(limits ? { limit: 400 } : {}) }));
  };
  const cat = path.join(ctx.work, 'catalogue');
  const ucat = path.join(ctx.work, 'catalogue-unique');
  await syncs('sources.sync.first', `whole sync, empty catalogue -> ${k} list`, l.list, cat, true);
  await syncs('sources.sync.next-day', 'whole sync, next day (1% gone, 2% new)', l.nextDay, cat, true);
  if (!ctx.quick) {
    await syncs('sources.sync.unchanged', 'whole sync, the same list again (nothing written)', l.nextDay, cat, true);
    await syncs('sources.sync.worst-first', `worst case: ${k} distinct titles, first sync`, l.unique, ucat, false);
    await syncs('sources.sync.worst-next', 'worst case: its next day', l.uniqueNext, ucat, false);
  }

  // Through the server: the same list, with rules that queue jobs, against runSync alone.
  const server: ServerSync[] = [];
  const bare: WorkerResult[] = [];
  await alternate(rounds, ['server', 'bare'] as const, async (which) => {
    if (which === 'server') server.push(await serverSync(l.list, path.join(ctx.work, 'server-sync')));
    else {
      await rm(path.join(ctx.work, 'bare-sync'), { recursive: true, force: true });
      bare.push(await worker(['sync', l.list, path.join(ctx.work, 'bare-sync')]));
    }
  });
  const queued = server[0]!.queued;
  const viaServer = compare({
    id: 'sources.server-sync.seconds', section, unit: 's',
    label: `sync of the ${k} list through the server (POST /api/sources/:id/sync, rules queue ${queued} jobs) vs runSync alone`,
    values: server.map((r) => r.seconds),
    peerLabel: 'runSync alone (no server, no jobs)', peerValues: bare.map((r) => r.seconds),
    note: 'server started fresh and the list served from loopback; timed from the POST to its answer (every job queued, queue paused); first sync into an empty catalogue. Process start counted for neither: runSync is timed inside its process',
  });
  viaServer.target = '< 5 s';
  viaServer.met = viaServer.value < 5;
  const rss = compare({
    id: 'sources.server-sync.rss', section, unit: 'MB',
    label: `peak RSS of the server (VmHWM) syncing the ${k} list and queueing ${queued} jobs vs runSync alone`,
    values: server.map((r) => r.serverHwmBytes / MB),
    peerLabel: 'runSync alone (its process)', peerValues: bare.map((r) => r.peakRssBytes / MB),
  });
  rss.target = '< 400 MB';
  rss.met = rss.value < 400;
  figures.push(viaServer, rss);
  logFigures(ctx, figures);
  return figures;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const cpus = os.cpus();
  console.log('# m3u-downloader benchmark: playlist sources');
  console.log(`machine: ${cpus[0]?.model ?? 'unknown cpu'} x${cpus.length}, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB, ${os.type()} ${os.release()}, node ${process.version}, load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  const work = path.join(os.tmpdir(), `m3udl-bench-sources-${process.pid}`);
  benchSources({ work, cache: path.join(os.tmpdir(), 'm3udl-bench'), quick: process.argv.includes('--quick'), absent: new Set(), log: (line) => console.log(line) })
    .then(() => rm(work, { recursive: true, force: true }))
    .catch((err: unknown) => {
      console.error(err);
      process.exit(1);
    });
}
