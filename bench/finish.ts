/**
 * What follows the last byte of a download: how long until the file is in the library, how many
 * bytes the whole server process tree wrote per byte downloaded, and its peak memory.
 *
 * An unthrottled loopback origin serves a ~1 GB HLS stream (built once with ffmpeg and cached,
 * shared with bench/run.ts); the built server runs as a child process, the way users run it.
 *   - finish latency: the origin's last segment byte handed to the kernel (its request log) to
 *     the finished file appearing under its final name in MEDIA_DIR, seen from this process by
 *     polling the folder every 5 ms; against `cp` of a file of the same size to the same folder
 *     (the peer includes cp's process start).
 *   - same filesystem (DATA_DIR and MEDIA_DIR on one disk) and across filesystems (MEDIA_DIR is
 *     a tmpfs mounted for the run when we are root, as /data and /media are separate mounts in
 *     the add-on).
 *   - bytes written: write_bytes of /proc/<server>/io once the job completed; Linux adds a child's
 *     counters to its parent when the parent reaps it, so ffmpeg's writes are in. It counts
 *     bytes that dirtied page cache on a disk-backed filesystem (tmpfs writes are not counted),
 *     so the figure comes from the same-filesystem run.
 *   - peak RSS: the server's VmHWM, and the process tree (server + ffmpeg) sampled every 25 ms.
 * Rounds alternate the order of engine and cp; min and median are reported.
 * Standalone: `npm run build && node --expose-gc dist/bench/finish.js [--quick]`.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loopedHls } from './hls.js';
import { buildLargeHls } from '../tests/fixtures/media.js';
import { startHlsOrigin, type HlsOrigin } from '../tests/fakes/hls-origin.js';
import { startServer } from '../tests/helpers/server-process.js';
import { ratioFigure, summarize, type Figure } from './figure.js';
import { rssSampler } from './proc-tree.js';

const MB = 1_000_000;

interface Fixture {
  dir: string;
  bytes: number;
  segments: number;
}

/** An HLS stream of about `targetMb` MB: the throttled bench's segments joined and looped by `-c copy`. */
async function buildFixture(cacheRoot: string, targetMb: number): Promise<Fixture> {
  // The 1 GB one is the gigabyte section's (same folder, same marker): built once for both.
  const dir = path.join(cacheRoot, targetMb >= 1000 ? 'gigabyte' : `finish-${targetMb}mb`);
  const source = await buildLargeHls(path.join(cacheRoot, 'throttled'), { seconds: 101, segmentSeconds: 1, bitrate: 4_800_000 });
  return loopedHls(source, dir, targetMb * 1.05 * MB);
}

function procNumber(file: string, key: RegExp): number {
  try {
    return Number(key.exec(readFileSync(file, 'utf8'))?.[1] ?? 0);
  } catch {
    return 0;
  }
}

/** The first file under `dir` with its final name (no .part, not in a hidden staging folder). */
async function finalFile(dir: string): Promise<string | null> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return null;
  }
  for (const e of entries) {
    if (e.name.startsWith('.')) continue;
    const p = path.join(dir, e.name);
    if (e.isDirectory()) {
      const inner = await finalFile(p);
      if (inner) return inner;
    } else if (e.isFile() && !e.name.endsWith('.part') && /\.(mp4|mkv)$/.test(e.name)) {
      return p;
    }
  }
  return null;
}

interface EngineRound {
  /** Last origin byte -> final file in the library. */
  latencyS: number;
  /** Submit -> final file. */
  totalS: number;
  writeBytes: number;
  serverHwm: number;
  treePeak: number;
  size: number;
}

async function engineRound(origin: HlsOrigin, dataDir: string, mediaDir: string): Promise<EngineRound> {
  await rm(dataDir, { recursive: true, force: true });
  await mkdir(dataDir, { recursive: true });
  await mkdir(mediaDir, { recursive: true });
  const server = await startServer({ DATA_DIR: dataDir, MEDIA_DIR: mediaDir, LOG_LEVEL: 'warn', SEGMENT_CONCURRENCY: '10' });
  const pid = server.child.pid!;
  const sampler = rssSampler(pid, 25);
  try {
    origin.reset();
    const started = Date.now();
    const res = await fetch(`${server.baseUrl}/api/downloads`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ url: origin.url('index.m3u8'), title: 'bench finish', content_type: 'movie' }),
    });
    if (!res.ok) throw new Error(`POST /api/downloads: ${res.status} ${await res.text()}`);
    const { id } = (await res.json()) as { id: string };
    let found: string | null = null;
    let seenAt = 0;
    let lastCheck = Date.now();
    while (!found) {
      found = await finalFile(mediaDir);
      seenAt = Date.now();
      if (found) break;
      if (seenAt - lastCheck > 1000) {
        lastCheck = seenAt;
        const job = (await (await fetch(`${server.baseUrl}/api/downloads/${id}`)).json()) as { status: string; error: unknown };
        if (job.status === 'failed') throw new Error(`engine failed: ${JSON.stringify(job.error)}`);
      }
      await new Promise((r) => setTimeout(r, 5));
    }
    const segmentEnds = origin.requests.entries.filter((r) => r.path.endsWith('.ts')).map((r) => r.endedAt ?? 0);
    const lastByte = Math.max(...segmentEnds);
    // Completed (work dir removed) before the counters are read: everything the job wrote is in.
    for (;;) {
      const job = (await (await fetch(`${server.baseUrl}/api/downloads/${id}`)).json()) as { status: string; error: unknown };
      if (job.status === 'completed') break;
      if (job.status === 'failed') throw new Error(`engine failed after filing: ${JSON.stringify(job.error)}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    const writeBytes = procNumber(`/proc/${pid}/io`, /write_bytes:\s+(\d+)/);
    const serverHwm = procNumber(`/proc/${pid}/status`, /VmHWM:\s+(\d+) kB/) * 1024;
    const size = (await stat(found)).size;
    return { latencyS: (seenAt - lastByte) / 1000, totalS: (seenAt - started) / 1000, writeBytes, serverHwm, treePeak: sampler.stop(), size };
  } finally {
    sampler.stop();
    server.child.kill('SIGTERM');
    await server.exited;
  }
}

async function cpRound(source: string, dest: string): Promise<number> {
  await rm(dest, { force: true });
  const started = performance.now();
  const child = spawn('cp', [source, dest], { stdio: 'ignore' });
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (code !== 0) throw new Error(`cp exited ${code}`);
  const s = (performance.now() - started) / 1000;
  await rm(dest, { force: true });
  return s;
}

/** A tmpfs as the media folder (root only); null when it cannot be mounted. */
async function mountTmpfs(dir: string, bytes: number): Promise<{ dir: string; unmount(): Promise<void> } | { error: string }> {
  await mkdir(dir, { recursive: true });
  const run = (cmd: string, args: string[]): Promise<{ code: number | null; err: string }> =>
    new Promise((resolve) => {
      const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
      let err = '';
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      child.once('error', (e) => resolve({ code: -1, err: e.message }));
      child.once('exit', (code) => resolve({ code, err }));
    });
  if (process.getuid?.() !== 0) return { error: 'not root: mount -t tmpfs is not allowed' };
  const r = await run('mount', ['-t', 'tmpfs', '-o', `size=${Math.ceil((bytes * 3) / MB)}m`, 'tmpfs', dir]);
  if (r.code !== 0) return { error: `mount -t tmpfs failed: ${r.err.trim()}` };
  return {
    dir,
    unmount: async () => {
      await run('umount', [dir]);
    },
  };
}

export async function benchFinish(opts: { work: string; quick?: boolean }): Promise<Figure[]> {
  const quick = opts.quick === true;
  const targetMb = quick ? 300 : 1000;
  const rounds = quick ? 2 : 3;
  const cacheRoot = path.join(os.tmpdir(), 'm3udl-bench');
  const fixture = await buildFixture(cacheRoot, targetMb);
  const work = await mkdtemp(path.join(opts.work, 'finish-'));
  const origin = await startHlsOrigin({ root: fixture.dir });
  const tmpfs = await mountTmpfs(path.join(work, 'tmpfs-media'), fixture.bytes);
  const sizeLabel = `${(fixture.bytes / MB).toFixed(0)} MB HLS, ${fixture.segments} segments`;
  const same: EngineRound[] = [];
  const cross: EngineRound[] = [];
  const cpSame: number[] = [];
  const cpCross: number[] = [];
  try {
    // cp's source: a file of the finished file's size in the data folder (made after round 1).
    const cpSource = path.join(work, 'cp-source.bin');
    let cpReady = false;
    const prepareCp = async (size: number): Promise<void> => {
      if (cpReady) return;
      const fixtureFiles = (await readdir(fixture.dir)).filter((f) => f.endsWith('.ts')).sort();
      const { createReadStream, createWriteStream } = await import('node:fs');
      const out = createWriteStream(cpSource);
      let written = 0;
      for (const f of fixtureFiles) {
        if (written >= size) break;
        for await (const chunk of createReadStream(path.join(fixture.dir, f)) as AsyncIterable<Buffer>) {
          const take = chunk.subarray(0, Math.min(chunk.length, size - written));
          if (!out.write(take)) await new Promise<void>((r) => out.once('drain', () => r()));
          written += take.length;
          if (written >= size) break;
        }
      }
      await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
      cpReady = true;
    };
    for (let r = 0; r < rounds; r++) {
      const steps: Array<() => Promise<void>> = [
        async () => {
          const m = await engineRound(origin, path.join(work, 'same', 'data'), path.join(work, 'same', 'media'));
          same.push(m);
          await rm(path.join(work, 'same'), { recursive: true, force: true });
          await prepareCp(m.size);
          cpSame.push(await cpRound(cpSource, path.join(work, 'cp-same.bin')));
        },
      ];
      if (!('error' in tmpfs)) {
        steps.push(async () => {
          const media = path.join(tmpfs.dir, `media-${r}`);
          const m = await engineRound(origin, path.join(work, 'cross', 'data'), media);
          cross.push(m);
          await rm(media, { recursive: true, force: true });
          await rm(path.join(work, 'cross'), { recursive: true, force: true });
          await prepareCp(m.size);
          cpCross.push(await cpRound(cpSource, path.join(tmpfs.dir, 'cp-cross.bin')));
        });
      }
      // The order of the cases varies between rounds.
      if (r % 2 === 1) steps.reverse();
      for (const step of steps) await step();
    }
  } finally {
    await origin.close();
    if (!('error' in tmpfs)) await tmpfs.unmount();
    await rm(work, { recursive: true, force: true });
  }

  const figures: Figure[] = [];
  const sameLat = summarize(same.map((m) => m.latencyS));
  const cpSameS = summarize(cpSame);
  figures.push(
    ratioFigure({
      id: 'finish.same-fs.latency',
      section: 'finish',
      label: `finish latency (last byte sent -> file in the library), ${sizeLabel}, same filesystem`,
      value: sameLat.median,
      unit: 's',
      rounds: sameLat,
      peer: { label: '`cp` of the same bytes to the same folder', value: cpSameS.median, rounds: cpSameS },
      target: '< 1 s (1 GB)',
      // The target is for 1 GB: a quick run's smaller stream says nothing about it.
      ...(quick ? {} : { met: sameLat.median < 1 }),
      note: `cp includes its process start; the engine's figure runs from the origin's last segment byte to the final name appearing, polled every 5 ms from outside the server; download + finish took ${summarize(same.map((m) => m.totalS)).median.toFixed(1)} s (median)`,
    }),
  );
  if (cross.length > 0) {
    const crossLat = summarize(cross.map((m) => m.latencyS));
    const cpCrossS = summarize(cpCross);
    figures.push(
      ratioFigure({
        id: 'finish.cross-fs.latency',
        section: 'finish',
        label: `finish latency, ${sizeLabel}, media folder on another filesystem (tmpfs)`,
        value: crossLat.median,
        unit: 's',
        rounds: crossLat,
        peer: { label: '`cp` of the same bytes from the data folder to the media folder', value: cpCrossS.median, rounds: cpCrossS },
        target: '<= 1.5x cp',
        met: cpCrossS.median > 0 && crossLat.median / cpCrossS.median <= 1.5,
        note: 'DATA_DIR on the disk, MEDIA_DIR a tmpfs mounted for the run (rename() across them fails with EXDEV, as /data and /media in the add-on)',
      }),
    );
  } else {
    figures.push({
      id: 'finish.cross-fs.latency',
      section: 'finish',
      label: `finish latency, ${sizeLabel}, media folder on another filesystem`,
      value: NaN,
      unit: 's',
      note: `not measured: ${'error' in tmpfs ? tmpfs.error : 'no tmpfs'}`,
    });
  }
  const perByte = summarize(same.map((m) => m.writeBytes / fixture.bytes));
  figures.push({
    id: 'finish.bytes-written-per-byte',
    section: 'finish',
    label: `bytes written per byte downloaded, ${sizeLabel} (server process tree incl. ffmpeg)`,
    value: perByte.median,
    unit: 'bytes/byte',
    rounds: perByte,
    target: '<= 2',
    met: perByte.median <= 2,
    note: 'write_bytes of /proc/<server>/io after the job completed (reaped ffmpeg children included), same-filesystem run; includes the store and logs',
  });
  const all = [...same, ...cross];
  const hwm = summarize(all.map((m) => m.serverHwm / MB));
  figures.push({
    id: 'finish.rss.server',
    section: 'finish',
    label: `peak RSS of the server process (VmHWM), ${sizeLabel}`,
    value: hwm.median,
    unit: 'MB',
    rounds: hwm,
    target: '< 150 MB',
    met: hwm.max < 150,
  });
  const tree = summarize(all.map((m) => m.treePeak / MB));
  figures.push({
    id: 'finish.rss.tree',
    section: 'finish',
    label: `peak RSS of the server process tree incl. ffmpeg, ${sizeLabel}`,
    value: tree.median,
    unit: 'MB',
    rounds: tree,
    target: '< 150 MB',
    met: tree.max < 150,
    note: 'sum of VmRSS over the tree, sampled every 25 ms (a peak between samples can be missed)',
  });
  return figures;
}

export function printFigures(figures: readonly Figure[]): void {
  const fmt = (v: number): string => (Number.isFinite(v) ? (Math.abs(v) >= 100 ? v.toFixed(0) : v.toFixed(2)) : 'n/a');
  console.log('| figure | median | min | peer (median) | ratio | target | met |');
  console.log('|---|---|---|---|---|---|---|');
  for (const f of figures) {
    const peer = f.peer ? `${fmt(f.peer.value)} ${f.unit} (${f.peer.label})` : '';
    console.log(
      `| ${f.label} | ${fmt(f.value)} ${f.unit} | ${f.rounds ? `${fmt(f.rounds.min)} ${f.unit}` : ''} | ${peer} | ${f.ratio !== undefined ? `${f.ratio.toFixed(2)}x` : ''} | ${f.target ?? ''} | ${f.met === undefined ? '' : f.met ? 'yes' : 'NO'} |`,
    );
  }
  for (const f of figures) if (f.note) console.log(`- ${f.id}: ${f.note}`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const quick = process.argv.includes('--quick');
  benchFinish({ work: os.tmpdir(), quick }).then(
    (figures) => printFigures(figures),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
