/**
 * Section cpu: CPU seconds (user + system) this engine spends on a download against the CPU
 * seconds of `ffmpeg -i URL -c copy` on the same stream in the same run. CPU time, unlike wall
 * time, hardly moves when the machine is loaded by others, so the ratio is a fair figure on a
 * shared box.
 *   many   ~10,000 small segments (the segments section's split stream): cost per segment
 *   gb     ~1 GB in ~430 segments (the gigabyte section's stream): cost per byte
 * The engine's figure is the server process from POST /api/downloads to the job completed,
 * including its reaped children (the remux's ffmpeg): /proc/<pid>/stat utime+stime+cutime+cstime
 * at completion minus the same just before the POST (so its start-up is not counted). ffmpeg's
 * is its whole process (it has no start-up to leave out that is not also its work).
 *
 * Run alone: `node dist/bench/cpu.js [many|gb] [--rounds N] [--profile DIR] [--engine-only]
 * [--node-arg FLAG]... [--dump FILE] [--build NAME=path/to/main.js]...` (--profile writes the server's --cpu-prof profile into DIR;
 * --node-arg passes a V8/node flag to the server; --dump writes the server's output to FILE;
 * --build runs another build of the server too, alternated with this one, for before/after figures).
 */
import { spawn } from 'node:child_process';
import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { startHlsOrigin } from '../tests/fakes/hls-origin.js';
import { startServer } from '../tests/helpers/server-process.js';
import { alternate, compare, hasTool, logFigures, MB, type BenchContext } from './context.js';
import type { Figure } from './figure.js';
import { bigStream, downloadThrough, splitStream, throttledFixture } from './hls.js';

const TICKS_PER_SECOND = 100; // USER_HZ: /proc reports clock ticks of 1/100 s on Linux

/** CPU seconds of a process: its own user and system time, and those of its reaped children. */
async function cpuTimes(pid: number): Promise<{ user: number; system: number; children: number }> {
  const text = await readFile(`/proc/${pid}/stat`, 'utf8');
  // Fields after "(comm)": state is field 3; utime 14, stime 15, cutime 16, cstime 17.
  const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const [utime, stime, cutime, cstime] = [11, 12, 13, 14].map((i) => Number(rest[i]) / TICKS_PER_SECOND);
  return { user: utime!, system: stime!, children: cutime! + cstime! };
}

export interface EngineCpu {
  cpuSeconds: number;
  /** The engine's split: server user, server system, children (the remux's ffmpeg). */
  split?: { user: number; system: number; children: number };
  wallSeconds: number;
  outputBytes: number;
  /** The server's VmHWM at completion (the engine only). */
  serverHwmMB?: number;
}

export async function engineCpu(url: string, work: string, opts: { profileDir?: string; nodeArgs?: string[]; dumpOutput?: string; main?: string } = {}): Promise<EngineCpu> {
  await rm(work, { recursive: true, force: true });
  const env: Record<string, string> = {
    DATA_DIR: path.join(work, 'data'),
    MEDIA_DIR: path.join(work, 'media'),
    TMP_DIR: path.join(work, 'tmp'),
    LOG_LEVEL: 'warn',
    SEGMENT_CONCURRENCY: '10',
  };
  const nodeArgs = [...(opts.nodeArgs ?? []), ...(opts.profileDir ? ['--cpu-prof', `--cpu-prof-dir=${opts.profileDir}`] : [])];
  const server = await startServer(env, nodeArgs, ...(opts.main ? [opts.main] : []));
  const pid = server.child.pid!;
  try {
    const before = await cpuTimes(pid);
    const t0 = performance.now();
    // Polling costs the server CPU too (about 1 ms a request): 250 ms keeps it small.
    const job = await downloadThrough(server, url, 250);
    const after = await cpuTimes(pid);
    const wallSeconds = (performance.now() - t0) / 1000;
    const output = await stat(path.join(work, 'media', job.file_path));
    const hwm = /VmHWM:\s+(\d+) kB/.exec(await readFile(`/proc/${pid}/status`, 'utf8'))?.[1];
    const split = { user: after.user - before.user, system: after.system - before.system, children: after.children - before.children };
    return { cpuSeconds: split.user + split.system + split.children, split, wallSeconds, outputBytes: output.size, serverHwmMB: (Number(hwm) * 1024) / MB };
  } finally {
    server.child.kill('SIGTERM');
    await server.exited;
    if (opts.dumpOutput) await writeFile(opts.dumpOutput, server.output());
    await rm(work, { recursive: true, force: true });
  }
}

/** `ffmpeg -i URL -c copy out.mp4` under a shell that reports its reaped child's CPU time. */
export async function ffmpegCpu(url: string, work: string): Promise<EngineCpu> {
  await mkdir(work, { recursive: true });
  try {
    const t0 = performance.now();
    // The shell waits for ffmpeg, then prints its own /proc stat: cutime+cstime are ffmpeg's.
    const script = 'ffmpeg -v error -y -i "$1" -c copy out.mp4 || exit 1; cat /proc/$$/stat';
    const child = spawn('sh', ['-c', script, 'sh', url], { cwd: work, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-4000)));
    // ffmpeg's HLS reader has been seen hanging on the loopback origin (0 % CPU for 17 min): a
    // run that takes 10 minutes is killed and reported, never waited for.
    const timer = setTimeout(() => child.kill('SIGKILL'), 600_000);
    const code = await new Promise<number | null>((resolve, reject) => {
      child.once('error', reject);
      child.once('close', resolve);
    }).finally(() => clearTimeout(timer));
    if (code !== 0) throw new Error(`ffmpeg exited ${code}: ${err.trim()}`);
    const rest = out.slice(out.lastIndexOf(')') + 2).split(' ');
    const cpu = (Number(rest[13]) + Number(rest[14])) / TICKS_PER_SECOND;
    return { cpuSeconds: cpu, wallSeconds: (performance.now() - t0) / 1000, outputBytes: (await stat(path.join(work, 'out.mp4'))).size };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

type Case = 'many' | 'gb';

async function stream(ctx: BenchContext, which: Case): Promise<{ dir: string; bytes: number; segments: number }> {
  if (which === 'gb') return bigStream(ctx);
  return splitStream(ctx, await throttledFixture(ctx));
}

/** Section cpu. */
export async function benchCpu(ctx: BenchContext, opts: { cases?: Case[]; rounds?: number; profileDir?: string; engineOnly?: boolean; nodeArgs?: string[]; dumpOutput?: string; builds?: Record<string, string> } = {}): Promise<Figure[]> {
  const rounds = opts.rounds ?? (ctx.quick ? 1 : 3);
  const figures: Figure[] = [];
  const withFfmpeg = !opts.engineOnly && hasTool(ctx, 'ffmpeg', ['-version']);
  for (const which of opts.cases ?? (['many', 'gb'] as Case[])) {
    const s = await stream(ctx, which);
    const size = `${(s.bytes / MB).toFixed(0)} MB in ${s.segments} segments`;
    ctx.log(`cpu ${which}: ${size}; ${rounds} round(s)`);
    const origin = await startHlsOrigin({ root: s.dir });
    try {
      // Other builds of the server (bench/cpu.ts --build name=main.js) run as more tools, alternated.
      const builds = opts.builds ?? {};
      const tools = ['engine', ...Object.keys(builds), ...(withFfmpeg ? ['ffmpeg'] : [])];
      const runs = await alternate(rounds, tools, async (tool) => {
        const dir = path.join(ctx.work, 'cpu', `${tool}-${Date.now()}`);
        const run =
          tool === 'ffmpeg'
            ? await ffmpegCpu(origin.url('index.m3u8'), dir)
            : await engineCpu(origin.url('index.m3u8'), dir, { ...opts, ...(builds[tool] ? { main: builds[tool] } : {}) });
        if (run.outputBytes < s.bytes * 0.8) throw new Error(`${tool} wrote ${run.outputBytes} bytes for a ${s.bytes}-byte stream`);
        const split = run.split ? ` (server user ${run.split.user.toFixed(2)}, system ${run.split.system.toFixed(2)}; remux ffmpeg ${run.split.children.toFixed(2)}; server VmHWM ${run.serverHwmMB?.toFixed(0)} MB)` : '';
        ctx.log(`  ${tool}: ${run.cpuSeconds.toFixed(2)} CPU s${split} in ${run.wallSeconds.toFixed(2)} s`);
        return run;
      });
      const per = which === 'gb' ? s.bytes / (1000 * MB) : s.segments / 1000;
      const unit = which === 'gb' ? 'CPU s/GB' : 'CPU s/1,000 segments';
      const engineValues = runs.engine!.map((r) => r.cpuSeconds / per);
      const peerValues = withFfmpeg ? runs.ffmpeg!.map((r) => r.cpuSeconds / per) : [];
      for (const name of Object.keys(builds)) {
        const v = runs[name]!.map((r) => r.cpuSeconds / per).sort((a, b) => a - b);
        ctx.log(`  build ${name}: ${v.map((x) => x.toFixed(2)).join(', ')} ${unit}; this build: ${[...engineValues].sort((a, b) => a - b).map((x) => x.toFixed(2)).join(', ')}`);
      }
      if (!withFfmpeg) continue; // no peer here: the lines above are the figures
      figures.push(
        compare({
          id: `cpu.${which}.engine-vs-ffmpeg`, section: 'cpu', unit,
          label: `CPU time (user+system), ${size}: this engine vs ffmpeg -i URL -c copy`,
          values: engineValues,
          peerLabel: 'ffmpeg -i URL -c copy', peerValues,
          note: 'server process from POST to completed incl. its remux ffmpeg (start-up not counted); ffmpeg\'s whole process',
        }),
      );
    } finally {
      await origin.close();
    }
  }
  logFigures(ctx, figures);
  return figures;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const cases = args.filter((a): a is Case => a === 'many' || a === 'gb');
  const roundsAt = args.indexOf('--rounds');
  const profileAt = args.indexOf('--profile');
  const os = await import('node:os');
  const { mkdtemp } = await import('node:fs/promises');
  const cache = path.join(os.tmpdir(), 'm3udl-bench');
  const work = await mkdtemp(path.join(os.tmpdir(), 'm3udl-cpu-'));
  const ctx: BenchContext = { work, cache, quick: false, absent: new Set(), log: (l) => console.log(l) };
  try {
    await benchCpu(ctx, {
      ...(cases.length > 0 ? { cases } : {}),
      ...(roundsAt >= 0 ? { rounds: Number(args[roundsAt + 1]) } : {}),
      ...(profileAt >= 0 ? { profileDir: path.resolve(args[profileAt + 1]!) } : {}),
      engineOnly: args.includes('--engine-only'),
      builds: Object.fromEntries(args.flatMap((a, i) => (args[i - 1] === '--build' ? [[a.slice(0, a.indexOf('=')), path.resolve(a.slice(a.indexOf('=') + 1))]] : []))),
      nodeArgs: args.flatMap((a, i) => (args[i - 1] === '--node-arg' ? [a] : [])),
      ...(args.includes('--dump') ? { dumpOutput: path.resolve(args[args.indexOf('--dump') + 1]!) } : {}),
    });
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

if (process.argv[1] && path.resolve(process.argv[1]).endsWith(path.join('bench', 'cpu.js'))) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
