/**
 * `npm run bench`: this engine against the tools people use today, on the same loopback
 * origin in the same run. Every figure is printed with the machine, the inputs and a ratio.
 *   1. Throttled origin (about 2 MB/s per connection, 100 ms before every first byte, >= 60 MB
 *      in >= 100 segments): wall time from submit to finished file for this engine,
 *      `ffmpeg -i URL -c copy`, and `yt-dlp -N 10`; the theoretical floor for N connections.
 *   2. Unthrottled 1 GB stream: peak RSS of the server process tree while it downloads.
 *   3. Playlist sources: a synthetic 200k-entry list parsed, classified and diffed by whole
 *      syncs; the parse stage against iptv-playlist-parser on the same file (bench/sources.ts).
 *   4. Library transfers on loopback: the SMB destination against a plain `smbclient put` of the
 *      same file (target >= 0.9x), the SFTP destination against OpenSSH's `sftp` put; same
 *      servers, alternating rounds, medians (BENCH_SKIP_TRANSFER=1 skips it, BENCH_TRANSFER_MB
 *      sets the size, 200 by default).
 *   5. The store: a sync queueing 2,500 jobs over 10,000 stored ones, GET /api/downloads latency
 *      meanwhile, db.json writes per second (bench/store.ts; BENCH_SKIP_STORE=1 skips it).
 * `npm run bench -- store` runs only section 5.
 * Only 127.0.0.1 is contacted.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { buildLargeHls, type LargeHls } from '../tests/fixtures/media.js';
import { startHlsOrigin } from '../tests/fakes/hls-origin.js';
import { benchTransfers } from '../tests/fakes/servers/transfer-bench.js';
import { ffmpeg as runFfmpeg, runTool } from '../tests/helpers/media-check.js';
import { startServer } from '../tests/helpers/server-process.js';
import { rssSampler, treeRssBytes } from './proc-tree.js';
import { benchSources } from './sources.js';
import { benchStore } from './store.js';
import { benchGuide } from './guide.js';

const N = 10;
const RATE = 2_000_000;
const FIRST_BYTE_MS = 100;
const MB = 1_000_000;

interface Measured {
  seconds: number;
  peakRss: number;
}

const fmtS = (s: number): string => `${s.toFixed(2)} s`;
const fmtMB = (b: number): string => `${(b / MB).toFixed(1)} MB`;

async function timeCommand(cmd: string, args: string[], cwd: string): Promise<Measured> {
  const started = performance.now();
  const child = spawn(cmd, args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  const sampler = rssSampler(child.pid!);
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  const peakRss = sampler.stop();
  if (code !== 0) throw new Error(`${cmd} exited ${code}: ${stderr}`);
  return { seconds: (performance.now() - started) / 1000, peakRss };
}

interface EngineMeasured extends Measured {
  file: string;
  /** Peak RSS of the server's process tree in each job state (ffmpeg runs only while merging). */
  phasePeaks: Record<string, number>;
  /** The server process's own high-water mark (VmHWM), ffmpeg excluded. */
  serverHwm: number;
}

function vmHwm(pid: number): number {
  try {
    return Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) * 1024;
  } catch {
    return 0;
  }
}

async function timeEngine(url: string, work: string, env: Record<string, string> = {}): Promise<EngineMeasured> {
  const server = await startServer({
    DATA_DIR: path.join(work, 'data'),
    MEDIA_DIR: path.join(work, 'media'),
    LOG_LEVEL: 'warn',
    SEGMENT_CONCURRENCY: String(N),
    ...env,
  });
  const sampler = rssSampler(server.child.pid!, 25);
  try {
    const started = performance.now();
    const res = await fetch(`${server.baseUrl}/api/downloads`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ url, title: 'bench' }),
    });
    const { id } = (await res.json()) as { id: string };
    const phasePeaks: Record<string, number> = {};
    for (;;) {
      const job = (await (await fetch(`${server.baseUrl}/api/downloads/${id}`)).json()) as { status: string; file_path: string; error: unknown };
      phasePeaks[job.status] = Math.max(phasePeaks[job.status] ?? 0, treeRssBytes(server.child.pid!));
      if (job.status === 'completed') {
        const seconds = (performance.now() - started) / 1000;
        return { seconds, peakRss: sampler.stop(), phasePeaks, serverHwm: vmHwm(server.child.pid!), file: path.join(work, 'media', job.file_path) };
      }
      if (job.status === 'failed') throw new Error(`engine failed: ${JSON.stringify(job.error)}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  } finally {
    sampler.stop();
    server.child.kill('SIGTERM');
    await server.exited;
  }
}

async function version(cmd: string, args: string[]): Promise<string> {
  try {
    const r = await runTool(cmd, args, { check: false });
    return (r.stdout || r.stderr).split('\n')[0]!.trim();
  } catch {
    return 'not installed';
  }
}

/** A 1 GB HLS stream made cheaply: the large fixture's segments joined and looped by `-c copy`. */
async function buildGigabyteHls(source: LargeHls, dir: string): Promise<{ dir: string; bytes: number; segments: number }> {
  const marker = path.join(dir, 'done.json');
  try {
    const cached = JSON.parse(await (await import('node:fs/promises')).readFile(marker, 'utf8')) as { bytes: number; segments: number };
    return { dir, ...cached };
  } catch {
    // build it
  }
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  const list = path.join(dir, 'src.ffconcat');
  const segs = (await readdir(source.dir)).filter((f) => f.endsWith('.ts')).sort();
  await writeFile(list, ['ffconcat version 1.0', ...segs.map((s) => `file '${path.join(source.dir, s)}'`)].join('\n'));
  const loops = Math.ceil(1_050 * MB / source.totalBytes);
  await runFfmpeg(['-v', 'error', '-f', 'concat', '-safe', '0', '-i', list, '-c', 'copy', path.join(dir, 'src.ts')], { timeoutMs: 300_000 });
  await runFfmpeg(
    ['-v', 'error', '-stream_loop', String(loops - 1), '-i', path.join(dir, 'src.ts'), '-c', 'copy', '-f', 'hls', '-hls_time', '4', '-hls_playlist_type', 'vod', '-hls_segment_filename', path.join(dir, 'seg%05d.ts'), path.join(dir, 'index.m3u8')],
    { timeoutMs: 600_000 },
  );
  await rm(path.join(dir, 'src.ts'));
  let bytes = 0;
  let segments = 0;
  for (const f of await readdir(dir)) {
    if (!f.endsWith('.ts')) continue;
    bytes += (await stat(path.join(dir, f))).size;
    segments++;
  }
  await writeFile(marker, JSON.stringify({ bytes, segments }));
  return { dir, bytes, segments };
}

async function main(): Promise<void> {
  const cacheRoot = path.join(os.tmpdir(), 'm3udl-bench');
  const work = await mkdtemp(path.join(os.tmpdir(), 'm3udl-bench-run-'));
  const cpus = os.cpus();
  console.log('# m3u-downloader benchmark');
  console.log(`machine: ${cpus[0]?.model ?? 'unknown cpu'} x${cpus.length}, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB, ${os.type()} ${os.release()}, node ${process.version}`);
  if (process.argv[2] === 'store') {
    await benchStore(path.join(work, 'store'));
    await rm(work, { recursive: true, force: true });
    return;
  }
  console.log(`peers: ${await version('ffmpeg', ['-version'])}; yt-dlp ${await version('yt-dlp', ['--version'])}`);

  const large = await buildLargeHls(path.join(cacheRoot, 'throttled'), { seconds: 101, segmentSeconds: 1, bitrate: 4_800_000 });
  const floor = large.totalBytes / (N * RATE) + Math.ceil(large.segmentCount / N) * (FIRST_BYTE_MS / 1000);
  console.log(`\n## 1. throttled origin: ${fmtMB(large.totalBytes)} in ${large.segmentCount} segments, ${RATE / MB} MB/s per connection, ${FIRST_BYTE_MS} ms first byte`);
  console.log(`floor for N=${N} connections: bytes/(N x rate) + ceil(segments/N) x delay = ${fmtS(floor)}`);

  const origin = await startHlsOrigin({ root: large.dir, perConnectionBytesPerSec: RATE, firstByteDelayMs: FIRST_BYTE_MS });
  const url = origin.url('index.m3u8');
  try {
    const engine = await timeEngine(url, path.join(work, 'engine'));
    const engineSize = (await stat(engine.file)).size;
    await mkdir(path.join(work, 'ytdlp'), { recursive: true });
    let ytdlp: Measured | null = null;
    try {
      ytdlp = await timeCommand('yt-dlp', ['--ignore-config', '--no-cache-dir', '--no-progress', '-q', '-N', String(N), '-o', 'out.mp4', url], path.join(work, 'ytdlp'));
    } catch (err) {
      console.log(`yt-dlp: could not run (${(err as Error).message.split('\n')[0]})`);
    }
    await mkdir(path.join(work, 'ffmpeg'), { recursive: true });
    const ff = await timeCommand('ffmpeg', ['-v', 'error', '-y', '-i', url, '-c', 'copy', 'out.mp4'], path.join(work, 'ffmpeg'));

    const rows: Array<[string, Measured | null]> = [
      ['this engine (N=10)', engine],
      ['yt-dlp -N 10', ytdlp],
      ['ffmpeg -i URL -c copy', ff],
    ];
    console.log('\n| tool | wall time | vs floor | vs this engine | peak RSS (process tree) |');
    console.log('|---|---|---|---|---|');
    for (const [name, m] of rows) {
      if (!m) continue;
      console.log(`| ${name} | ${fmtS(m.seconds)} | ${(m.seconds / floor).toFixed(2)}x | ${(m.seconds / engine.seconds).toFixed(2)}x | ${fmtMB(m.peakRss)} |`);
    }
    console.log(`\nthis engine: ${(engine.seconds / floor).toFixed(2)}x the floor (target <= 1.20x); output ${fmtMB(engineSize)}`);
    if (ytdlp) console.log(`yt-dlp -N 10 / this engine = ${(ytdlp.seconds / engine.seconds).toFixed(2)} (target >= 1.15)`);
    console.log(`ffmpeg / this engine = ${(ff.seconds / engine.seconds).toFixed(2)}`);
  } finally {
    await origin.close();
  }

  if (process.env.BENCH_SKIP_GB !== '1') {
    const gb = await buildGigabyteHls(large, path.join(cacheRoot, 'gigabyte'));
    console.log(`\n## 2. unthrottled origin: ${fmtMB(gb.bytes)} in ${gb.segments} segments (memory)`);
    const fast = await startHlsOrigin({ root: gb.dir });
    try {
      const run = await timeEngine(fast.url('index.m3u8'), path.join(work, 'gb'));
      console.log(`this engine: ${fmtS(run.seconds)} (${fmtMB(gb.bytes / run.seconds)}/s including the remux)`);
      console.log(`peak RSS while downloading (server process tree): ${fmtMB(run.phasePeaks.downloading ?? 0)} (target < 150 MB)`);
      console.log(`peak RSS of the server process over the whole job (VmHWM): ${fmtMB(run.serverHwm)}`);
      console.log(`peak RSS of the process tree during the remux (server + ffmpeg -c copy): ${fmtMB(run.phasePeaks.merging ?? 0)}; whole job, sampled every 25 ms: ${fmtMB(run.peakRss)}`);
    } finally {
      await fast.close();
    }
  }
  if (process.env.BENCH_SKIP_SOURCES !== '1') await benchSources(cacheRoot, path.join(work, 'sources'));
  if (process.env.BENCH_SKIP_GUIDE !== '1') await benchGuide();
  if (process.env.BENCH_SKIP_TRANSFER !== '1') await benchLibraryTransfers();
  if (process.env.BENCH_SKIP_STORE !== '1') await benchStore(path.join(work, 'store'));
  await rm(work, { recursive: true, force: true });
}

/** Section 4: the SMB and SFTP destinations against the plain command-line tools. */
async function benchLibraryTransfers(): Promise<void> {
  const sizeMb = Number(process.env.BENCH_TRANSFER_MB ?? 200);
  const rounds = 5;
  console.log(`\n## 4. library transfers on loopback: a ${sizeMb} MiB file, ${rounds} alternating rounds, medians (MB = 10^6 bytes)`);
  console.log(`peers: ${await version('smbclient', ['--version'])} to smbd in its default security; ${await version('ssh', ['-V'])} sftp to sshd`);
  const t = await benchTransfers({ sizeMb, rounds });
  console.log('\n| transfer | this add-on | plain tool | ratio |');
  console.log('|---|---|---|---|');
  console.log(`| SMB destination vs \`smbclient put\` | ${t.smb.adapterMBps} MB/s | ${t.smb.plainMBps} MB/s | ${t.smb.ratio.toFixed(2)}x (target >= 0.90x) |`);
  console.log(`| SFTP destination (ssh2) vs OpenSSH \`sftp\` put | ${t.sftp.adapterMBps} MB/s | ${t.sftp.plainMBps} MB/s | ${t.sftp.ratio.toFixed(2)}x |`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
