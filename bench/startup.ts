/**
 * Section startup: the built server from spawn to its first 200 on /api/health (what every
 * comparison with a peer tool pays once per run, and what a Home Assistant user waits after an
 * update or a config change), against a bare Node HTTP server started and polled the same way,
 * in alternating rounds. Also the CPU time the server spent until healthy (robust to a loaded
 * machine, unlike wall time) and its resident memory once idle. yt-dlp --version (spawn to exit)
 * is measured in the same rounds when installed: the peer's own process start.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { BUILT_MAIN, freePort } from '../tests/helpers/server-process.js';
import { alternate, compare, hasTool, logFigures, MB, timeCommand, type BenchContext } from './context.js';
import type { Figure } from './figure.js';

/** Health is polled this often: finer than the 50 ms of the tests' helper, so the figure is start-up, not polling. */
const POLL_MS = 5;
/** "Idle": this long after the first healthy answer, with no request in between. */
const SETTLE_MS = 1000;
/** Same V8 flag as `npm start`, the Dockerfile and the bench's other server runs. */
const NODE_FLAGS = ['--max-semi-space-size=4'];
const BARE_SERVER = "require('node:http').createServer((q, s) => s.end('{\"status\":\"ok\"}')).listen(Number(process.env.PORT), '127.0.0.1')";

type Tool = 'server' | 'bare' | 'yt-dlp';

interface StartRun {
  /** Spawn to the first 200 on /api/health (for yt-dlp: spawn to exit of --version). */
  seconds: number;
  /** utime + stime of the process until that moment, in ms. */
  cpuMs: number;
  /** VmRSS SETTLE_MS after it. */
  idleRssBytes: number;
}

const clockTicks = ((): number => {
  const out = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' });
  return Number(out.stdout?.trim()) || 100;
})();

function cpuMsOf(pid: number): number {
  // Fields after "(comm) ": state is [0], utime [11], stime [12] (proc(5), counted from 1 as 14 and 15).
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / clockTicks;
}

function rssOf(pid: number): number {
  return Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) * 1024;
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

/** Spawns `args` under node and polls /api/health until it answers 200. */
async function startAndPoll(args: string[], env: Record<string, string>): Promise<StartRun> {
  const port = await freePort();
  const started = performance.now();
  const child = spawn(process.execPath, [...NODE_FLAGS, ...args], { env: { ...env, PORT: String(port) }, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  try {
    const deadline = started + 30_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`exited ${child.exitCode} before answering /api/health: ${stderr.trim()}`);
      try {
        const res = await fetch(`http://127.0.0.1:${port}/api/health`);
        await res.arrayBuffer();
        if (res.status === 200) break;
      } catch {
        // not listening yet
      }
      if (performance.now() > deadline) throw new Error(`no 200 on /api/health within 30 s: ${stderr.trim()}`);
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
    const seconds = (performance.now() - started) / 1000;
    const cpuMs = cpuMsOf(child.pid!);
    await new Promise((r) => setTimeout(r, SETTLE_MS));
    return { seconds, cpuMs, idleRssBytes: rssOf(child.pid!) };
  } finally {
    await stop(child);
  }
}

async function startServerOnce(work: string, round: number): Promise<StartRun> {
  const dir = path.join(work, `server-${round}`);
  await rm(dir, { recursive: true, force: true });
  try {
    return await startAndPoll([BUILT_MAIN], {
      PATH: process.env.PATH ?? '',
      OPTIONS_PATH: '/nonexistent/options.json',
      LOG_LEVEL: 'warn',
      MIN_FREE_SPACE_MB: '0',
      DATA_DIR: path.join(dir, 'data'),
      MEDIA_DIR: path.join(dir, 'media'),
      TMP_DIR: path.join(dir, 'tmp'),
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Section startup. */
export async function benchStartup(ctx: BenchContext): Promise<Figure[]> {
  const rounds = ctx.quick ? 4 : 10;
  const tools: Tool[] = ['server', 'bare'];
  if (hasTool(ctx, 'yt-dlp', ['--version'])) tools.push('yt-dlp');
  const work = path.join(ctx.work, 'startup');
  ctx.log(`${rounds} alternating rounds; /api/health polled every ${POLL_MS} ms; idle = ${SETTLE_MS} ms after the first 200`);
  const runs = await alternate(rounds, tools, async (tool, round): Promise<StartRun> => {
    if (tool === 'server') return startServerOnce(work, round);
    if (tool === 'bare') return startAndPoll(['-e', BARE_SERVER], { PATH: process.env.PATH ?? '' });
    const run = await timeCommand('yt-dlp', ['--ignore-config', '--version'], ctx.work);
    return { seconds: run.seconds, cpuMs: NaN, idleRssBytes: NaN };
  });
  const section = 'startup';
  const bare = 'bare Node HTTP server';
  const figures: Figure[] = [
    compare({
      id: 'startup.health', section, unit: 's',
      label: 'server start-up: spawn to 200 on /api/health',
      values: runs.server.map((r) => r.seconds),
      peerLabel: bare, peerValues: runs.bare.map((r) => r.seconds),
      note: `empty DATA_DIR, no broker or destinations configured; the peer is node ${NODE_FLAGS.join(' ')} -e with an http server answering 200, polled the same way every ${POLL_MS} ms`,
    }),
    compare({
      id: 'startup.cpu', section, unit: 'ms',
      label: 'server start-up: CPU time until healthy',
      values: runs.server.map((r) => r.cpuMs),
      peerLabel: bare, peerValues: runs.bare.map((r) => r.cpuMs),
      note: 'utime + stime of the process (its ffmpeg -version child not included) at the first 200: unlike wall time, not inflated by a loaded machine',
    }),
    compare({
      id: 'startup.idle-rss', section, unit: 'MB',
      label: 'server memory when idle after start-up (VmRSS)',
      values: runs.server.map((r) => r.idleRssBytes / MB),
      peerLabel: bare, peerValues: runs.bare.map((r) => r.idleRssBytes / MB),
      note: `${SETTLE_MS / 1000} s after the first 200 on /api/health, no request since`,
    }),
  ];
  if (tools.includes('yt-dlp')) {
    figures.push(
      compare({
        id: 'startup.vs-yt-dlp', section, unit: 's',
        label: 'server start-up vs yt-dlp --version (the peer\'s own process start)',
        values: runs.server.map((r) => r.seconds),
        peerLabel: 'yt-dlp --version', peerValues: runs['yt-dlp'].map((r) => r.seconds),
        note: 'yt-dlp from spawn to exit; both are paid once in every throttled-hls and gigabyte round',
      }),
    );
  }
  logFigures(ctx, figures);
  return figures;
}
