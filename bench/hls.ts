/**
 * HLS download sections: this engine (the built server, POST /api/downloads) against
 * `ffmpeg -i URL -c copy` and `yt-dlp -N 10` on the same loopback origin (tests/fakes/hls-origin.ts).
 *   throttled-hls  every connection paced to 2 MB/s, 100 ms before each first byte: wall time
 *                  against the theoretical floor and against the peers.
 *   gigabyte       an unthrottled ~1 GB stream: wall time, the server's VmHWM and the process
 *                  tree's peak (server + its ffmpeg) against the peers' process trees.
 *   segments       the same bytes in ~100 and in ~10,000 segments (unthrottled): what each tool
 *                  pays per segment.
 * Every tool's process start is counted (bench/context.ts); the server is started fresh for
 * every round and its output checked.
 */
import { mkdir, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { buildLargeHls, type LargeHls } from '../tests/fixtures/media.js';
import { startHlsOrigin } from '../tests/fakes/hls-origin.js';
import { ffmpeg as runFfmpeg } from '../tests/helpers/media-check.js';
import { startServer, type ServerProcess } from '../tests/helpers/server-process.js';
import { alternate, absolute, compare, hasTool, logFigures, MB, timeCommand, type BenchContext, type CommandRun } from './context.js';
import type { Figure } from './figure.js';
import { treeSampler } from './proc-tree.js';

const N = 10;
const RATE = 2_000_000;
const FIRST_BYTE_MS = 100;

export interface EngineRun {
  /** Spawn of the server to its first 200 on /api/health. */
  startupSeconds: number;
  /** POST /api/downloads to the job completed (file in the library). */
  downloadSeconds: number;
  /** Both: what a command-line user of the add-on would wait, counted like the peers' times. */
  totalSeconds: number;
  /** The server process's own VmHWM over the whole job (ffmpeg is a child, not included). */
  serverHwmBytes: number;
  /** The largest sum of VmRSS over server + children at one 25 ms sample. */
  treePeakBytes: number;
  /** The largest VmHWM of an ffmpeg child seen (the remux). */
  ffmpegHwmBytes: number;
  outputBytes: number;
}

/**
 * POSTs `url` as a download to a running server and polls it until it completes (resolves the
 * job at that moment) or fails (rejects with the server's last output). `pollMs`: each poll costs
 * the server about 1 ms of CPU, so a CPU measurement polls rarely and a timing one often.
 */
export async function downloadThrough(server: ServerProcess, url: string, pollMs: number): Promise<{ file_path: string }> {
  const res = await fetch(`${server.baseUrl}/api/downloads`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ url, title: 'bench' }),
  });
  if (res.status !== 201) throw new Error(`POST /api/downloads answered ${res.status}: ${await res.text()}`);
  const { id } = (await res.json()) as { id: string };
  for (;;) {
    const job = (await (await fetch(`${server.baseUrl}/api/downloads/${id}`)).json()) as { status: string; file_path: string; error: unknown };
    if (job.status === 'completed') return job;
    if (job.status === 'failed') throw new Error(`engine failed: ${JSON.stringify(job.error)}\n${server.output().slice(-2000)}`);
    await new Promise((r) => setTimeout(r, pollMs));
  }
}

export async function runEngine(url: string, work: string, env: Record<string, string> = {}): Promise<EngineRun> {
  await rm(work, { recursive: true, force: true });
  const spawned = performance.now();
  const server = await startServer({
    DATA_DIR: path.join(work, 'data'),
    MEDIA_DIR: path.join(work, 'media'),
    TMP_DIR: path.join(work, 'tmp'),
    LOG_LEVEL: 'warn',
    SEGMENT_CONCURRENCY: String(N),
    ...env,
  });
  const startupSeconds = (performance.now() - spawned) / 1000;
  const pid = server.child.pid!;
  const sampler = treeSampler(pid, 25);
  try {
    const submitted = performance.now();
    const job = await downloadThrough(server, url, 20);
    const now = performance.now();
    const peaks = sampler.stop();
    const output = await stat(path.join(work, 'media', job.file_path));
    const ffmpegs = [...peaks.hwmByPid.values()].filter((p) => p.name === 'ffmpeg');
    return {
      startupSeconds,
      downloadSeconds: (now - submitted) / 1000,
      totalSeconds: (now - spawned) / 1000,
      serverHwmBytes: peaks.hwmByPid.get(pid)?.hwmBytes ?? 0,
      treePeakBytes: peaks.sampledPeakBytes,
      ffmpegHwmBytes: Math.max(0, ...ffmpegs.map((p) => p.hwmBytes)),
      outputBytes: output.size,
    };
  } finally {
    sampler.stop();
    server.child.kill('SIGTERM');
    await server.exited;
    await rm(work, { recursive: true, force: true });
  }
}

export type Tool = 'engine' | 'ffmpeg' | 'yt-dlp';

interface ToolRun {
  seconds: number;
  treePeakBytes: number;
  engine?: EngineRun;
}

/** One download of `url` by `tool` into a fresh folder; the output must hold most of `bytes`. */
async function download(tool: Tool, url: string, work: string, bytes: number): Promise<ToolRun> {
  const dir = path.join(work, `${tool}-${Date.now()}`);
  if (tool === 'engine') {
    const engine = await runEngine(url, dir);
    checkOutput(tool, engine.outputBytes, bytes);
    return { seconds: engine.totalSeconds, treePeakBytes: engine.treePeakBytes, engine };
  }
  await mkdir(dir, { recursive: true });
  try {
    const args =
      tool === 'ffmpeg'
        ? ['-v', 'error', '-y', '-i', url, '-c', 'copy', 'out.mp4']
        : ['--ignore-config', '--no-cache-dir', '--no-progress', '-q', '-N', String(N), '-o', 'out.mp4', url];
    const run: CommandRun = await timeCommand(tool, args, dir);
    checkOutput(tool, (await stat(path.join(dir, 'out.mp4'))).size, bytes);
    return { seconds: run.seconds, treePeakBytes: run.treePeakBytes };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** A tool that "finished" with a fraction of the stream is not a result (TS -> MP4 drops ~5-10 %). */
function checkOutput(tool: Tool, size: number, input: number): void {
  if (size < input * 0.8) throw new Error(`${tool} wrote ${size} bytes for a ${input}-byte stream: not a complete download`);
}

function peersHere(ctx: BenchContext): Tool[] {
  const tools: Tool[] = ['engine'];
  if (hasTool(ctx, 'ffmpeg', ['-version'])) tools.push('ffmpeg');
  if (hasTool(ctx, 'yt-dlp', ['--version'])) tools.push('yt-dlp');
  return tools;
}

const PEER_LABEL: Record<Tool, string> = { engine: 'this engine', ffmpeg: 'ffmpeg -i URL -c copy', 'yt-dlp': 'yt-dlp -N 10' };

export async function throttledFixture(ctx: BenchContext): Promise<LargeHls> {
  return ctx.quick
    ? buildLargeHls(path.join(ctx.cache, 'throttled-quick'), { seconds: 21, segmentSeconds: 1, bitrate: 4_800_000 })
    : buildLargeHls(path.join(ctx.cache, 'throttled'), { seconds: 101, segmentSeconds: 1, bitrate: 4_800_000 });
}

/** Section throttled-hls. */
export async function benchThrottled(ctx: BenchContext): Promise<Figure[]> {
  const large = await throttledFixture(ctx);
  const rounds = ctx.quick ? 2 : 5;
  const floor = large.totalBytes / (N * RATE) + Math.ceil(large.segmentCount / N) * (FIRST_BYTE_MS / 1000);
  const size = `${(large.totalBytes / MB).toFixed(1)} MB in ${large.segmentCount} segments`;
  ctx.log(`throttled origin: ${size}, ${RATE / MB} MB/s per connection, ${FIRST_BYTE_MS} ms before each first byte; floor for N=${N}: ${floor.toFixed(2)} s; ${rounds} rounds`);
  const origin = await startHlsOrigin({ root: large.dir, perConnectionBytesPerSec: RATE, firstByteDelayMs: FIRST_BYTE_MS });
  try {
    const tools = peersHere(ctx);
    const runs = await alternate(rounds, tools, (tool) => download(tool, origin.url('index.m3u8'), path.join(ctx.work, 'throttled'), large.totalBytes));
    const engine = runs.engine;
    const section = 'throttled-hls';
    const figures: Figure[] = [
      compare({
        id: 'throttled.engine-vs-floor', section, unit: 's',
        label: `throttled HLS (${size}): this engine vs the floor`,
        values: engine.map((r) => r.engine!.downloadSeconds),
        peerLabel: `floor for ${N} connections`, peerValues: [floor],
        targetRatio: 1.2,
        note: 'submit to finished file with the server already running: the floor has no process start. bytes/(N x rate) + ceil(segments/N) x first-byte delay',
      }),
    ];
    for (const peer of ['yt-dlp', 'ffmpeg'] as const) {
      if (!tools.includes(peer)) continue;
      figures.push(
        compare({
          id: `throttled.engine-vs-${peer}`, section, unit: 's',
          label: `throttled HLS (${size}): this engine vs ${PEER_LABEL[peer]}`,
          values: engine.map((r) => r.seconds),
          peerLabel: PEER_LABEL[peer], peerValues: runs[peer].map((r) => r.seconds),
          ...(peer === 'yt-dlp' ? { targetRatio: 0.87, target: '<= 0.87x (yt-dlp >= 1.15x slower)' } : {}),
          note: 'process start counted for every tool (the server from spawn, including its start-up)',
        }),
      );
    }
    logFigures(ctx, figures);
    const startup = engine.map((r) => r.engine!.startupSeconds);
    ctx.log(`server start-up inside this engine's times: ${Math.min(...startup).toFixed(2)}-${Math.max(...startup).toFixed(2)} s`);
    return figures;
  } finally {
    await origin.close();
  }
}

/**
 * A large HLS stream made cheaply (about `targetBytes`): the throttled fixture's segments joined
 * and looped by `-c copy`, cached in `dir` (the finish section shares it).
 */
export async function loopedHls(source: LargeHls, dir: string, targetBytes = 1_050 * MB): Promise<{ dir: string; bytes: number; segments: number }> {
  const marker = path.join(dir, 'done.json');
  try {
    const cached = JSON.parse(await readFile(marker, 'utf8')) as { bytes: number; segments: number };
    return { dir, ...cached };
  } catch {
    // build it
  }
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  const list = path.join(dir, 'src.ffconcat');
  const segs = (await readdir(source.dir)).filter((f) => f.endsWith('.ts')).sort();
  await writeFile(list, ['ffconcat version 1.0', ...segs.map((s) => `file '${path.join(source.dir, s)}'`)].join('\n'));
  const loops = Math.ceil(targetBytes / source.totalBytes);
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

/** The unthrottled stream of the memory section: ~1 GB, or the throttled fixture in --quick. */
export async function bigStream(ctx: BenchContext): Promise<{ dir: string; bytes: number; segments: number }> {
  const large = await buildLargeHls(path.join(ctx.cache, 'throttled'), { seconds: 101, segmentSeconds: 1, bitrate: 4_800_000 });
  if (ctx.quick) return { dir: large.dir, bytes: large.totalBytes, segments: large.segmentCount };
  return loopedHls(large, path.join(ctx.cache, 'gigabyte'));
}

/** Section gigabyte: speed and memory on an unthrottled ~1 GB stream. */
export async function benchGigabyte(ctx: BenchContext): Promise<Figure[]> {
  const gb = await bigStream(ctx);
  const rounds = ctx.quick ? 1 : 3;
  const size = `${(gb.bytes / MB).toFixed(0)} MB in ${gb.segments} segments`;
  ctx.log(`unthrottled origin: ${size}; ${rounds} round(s)`);
  const origin = await startHlsOrigin({ root: gb.dir });
  try {
    const tools = peersHere(ctx);
    const runs = await alternate(rounds, tools, (tool) => download(tool, origin.url('index.m3u8'), path.join(ctx.work, 'gigabyte'), gb.bytes));
    const engine = runs.engine.map((r) => r.engine!);
    const section = 'gigabyte';
    const figures: Figure[] = [
      absolute({
        id: 'gigabyte.rss.server', section, unit: 'MB',
        label: `peak RSS of the server process (VmHWM), ${size}`,
        values: engine.map((r) => r.serverHwmBytes / MB),
        limit: 150,
        note: 'the kernel\'s high-water mark of the server process over the whole job (spikes between samples count); ffmpeg is a child process, not included',
      }),
    ];
    for (const peer of ['ffmpeg', 'yt-dlp'] as const) {
      if (!tools.includes(peer)) continue;
      figures.push(
        compare({
          id: `gigabyte.rss.tree-vs-${peer}`, section, unit: 'MB',
          label: `peak RSS of the whole process tree (server + its ffmpeg), ${size}, vs ${PEER_LABEL[peer]}`,
          values: engine.map((r) => r.treePeakBytes / MB),
          peerLabel: `${PEER_LABEL[peer]} (its process tree)`, peerValues: runs[peer].map((r) => r.treePeakBytes / MB),
          note: `sum of VmRSS over each tree at its largest 25 ms sample; the remux's ffmpeg alone peaked at ${(Math.max(...engine.map((r) => r.ffmpegHwmBytes)) / MB).toFixed(0)} MB (VmHWM)`,
        }),
        compare({
          id: `gigabyte.time-vs-${peer}`, section, unit: 's',
          label: `unthrottled HLS (${size}): this engine vs ${PEER_LABEL[peer]}`,
          values: runs.engine.map((r) => r.seconds),
          peerLabel: PEER_LABEL[peer], peerValues: runs[peer].map((r) => r.seconds),
          note: 'process start counted for every tool; this engine\'s time includes its remux',
        }),
      );
    }
    logFigures(ctx, figures);
    return figures;
  } finally {
    await origin.close();
  }
}

/**
 * The same bytes in `pieces` times as many segments: every TS segment of `source` cut at 188-byte
 * packet boundaries (a TS stream can be cut at any packet: the concatenation is byte-identical),
 * durations split in proportion to bytes.
 */
async function splitHls(source: LargeHls, pieces: number, dir: string): Promise<{ segments: number; bytes: number }> {
  const marker = path.join(dir, 'split.json');
  try {
    return JSON.parse(await readFile(marker, 'utf8')) as { segments: number; bytes: number };
  } catch {
    // build it
  }
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  const playlist = await readFile(source.playlist, 'utf8');
  const entries = [...playlist.matchAll(/#EXTINF:([\d.]+),?\s*\n(\S+)/g)].map((m) => ({ duration: Number(m[1]), uri: m[2]! }));
  const lines: string[] = [];
  let n = 0;
  let bytes = 0;
  let longest = 0;
  for (const e of entries) {
    const data = await readFile(path.join(source.dir, e.uri));
    const packets = data.length / 188;
    if (!Number.isInteger(packets)) throw new Error(`${e.uri} is not whole TS packets`);
    const per = Math.ceil(packets / pieces);
    for (let p = 0; p < packets; p += per) {
      const chunk = data.subarray(p * 188, Math.min(packets, p + per) * 188);
      const name = `p${String(n++).padStart(6, '0')}.ts`;
      await writeFile(path.join(dir, name), chunk);
      const duration = (e.duration * chunk.length) / data.length;
      longest = Math.max(longest, duration);
      lines.push(`#EXTINF:${duration.toFixed(6)},`, name);
      bytes += chunk.length;
    }
  }
  const head = ['#EXTM3U', '#EXT-X-VERSION:3', `#EXT-X-TARGETDURATION:${Math.max(1, Math.ceil(longest))}`, '#EXT-X-MEDIA-SEQUENCE:0', '#EXT-X-PLAYLIST-TYPE:VOD'];
  await writeFile(path.join(dir, 'index.m3u8'), `${[...head, ...lines, '#EXT-X-ENDLIST'].join('\n')}\n`);
  const info = { segments: n, bytes };
  await writeFile(marker, JSON.stringify(info));
  return info;
}

/** The ~10,000-segment stream of the segments section (the throttled fixture cut 100 ways), cached. */
export async function splitStream(ctx: BenchContext, few: LargeHls): Promise<{ dir: string; segments: number; bytes: number }> {
  const pieces = ctx.quick ? 50 : 100;
  const dir = path.join(ctx.cache, `split-${path.basename(few.dir)}-${pieces}`);
  return { dir, ...(await splitHls(few, pieces, dir)) };
}

/** Section segments: 100 vs 10,000 segments of the same bytes, every tool, unthrottled. */
export async function benchSegments(ctx: BenchContext): Promise<Figure[]> {
  const few = await throttledFixture(ctx);
  const pieces = ctx.quick ? 50 : 100;
  const many = await splitHls(few, pieces, path.join(ctx.cache, `split-${path.basename(few.dir)}-${pieces}`));
  const fewBytes = few.totalBytes - (await stat(few.playlist)).size;
  if (many.bytes !== fewBytes) throw new Error(`split stream holds ${many.bytes} bytes, the source ${fewBytes}`);
  const rounds = ctx.quick ? 1 : 3;
  ctx.log(`${(many.bytes / MB).toFixed(1)} MB as ${few.segmentCount} and as ${many.segments} segments, unthrottled; ${rounds} round(s)`);
  const fewOrigin = await startHlsOrigin({ root: few.dir });
  const manyOrigin = await startHlsOrigin({ root: path.join(ctx.cache, `split-${path.basename(few.dir)}-${pieces}`) });
  try {
    const tools = peersHere(ctx);
    type Key = `${Tool}:few` | `${Tool}:many`;
    const keys = tools.flatMap((t) => [`${t}:few`, `${t}:many`] as Key[]);
    const runs = await alternate(rounds, keys, (key) => {
      const [tool, which] = key.split(':') as [Tool, 'few' | 'many'];
      const origin = which === 'few' ? fewOrigin : manyOrigin;
      return download(tool, origin.url('index.m3u8'), path.join(ctx.work, 'segments'), many.bytes);
    });
    const secs = (k: Key): number[] => runs[k].map((r) => r.seconds);
    const section = 'segments';
    const figures: Figure[] = [];
    for (const tool of tools) {
      figures.push(
        compare({
          id: `segments.scaling.${tool}`, section, unit: 's',
          label: `${PEER_LABEL[tool]}: ${many.segments} segments vs ${few.segmentCount} of the same bytes`,
          values: secs(`${tool}:many`),
          peerLabel: `${PEER_LABEL[tool]}, ${few.segmentCount} segments`, peerValues: secs(`${tool}:few`),
          note: 'the ratio is what this tool pays for 100x the segments',
        }),
      );
    }
    for (const peer of ['ffmpeg', 'yt-dlp'] as const) {
      if (!tools.includes(peer)) continue;
      figures.push(
        compare({
          id: `segments.many.engine-vs-${peer}`, section, unit: 's',
          label: `${many.segments} segments (${(many.bytes / MB).toFixed(1)} MB): this engine vs ${PEER_LABEL[peer]}`,
          values: secs('engine:many'),
          peerLabel: PEER_LABEL[peer], peerValues: secs(`${peer}:many`),
          note: 'process start counted for every tool',
        }),
      );
    }
    logFigures(ctx, figures);
    return figures;
  } finally {
    await fewOrigin.close();
    await manyOrigin.close();
  }
}
