/**
 * `npm run bench`: this add-on against the tools people use today, each peer measured in the same
 * run on the same loopback servers, in alternating rounds with the order of tools rotated, min and
 * median kept. Every tool's process start is counted (bench/context.ts says how). Only 127.0.0.1
 * is contacted.
 *
 *   npm run bench                    every section; writes bench-results.json (README's table is
 *                                    rendered from it by `npm run bench:readme`)
 *   npm run bench -- --quick         a ~2-minute subset (smaller inputs, fewer rounds); writes
 *                                    bench-results.quick.json, never bench-results.json
 *   npm run bench -- merge sources   only these sections; writes bench-results.partial.json
 *   BENCH_SKIP_<SECTION>=1           skips a section (e.g. BENCH_SKIP_TRANSFERS=1)
 *
 * A section is a function (ctx) => Promise<Figure[]>: adding one is one line in SECTIONS.
 * A peer missing on the machine (yt-dlp on a CI runner) is recorded in `absent`, never fatal; a
 * section that fails is recorded in `errors` and the run exits non-zero after the others.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { logFigures, toolVersion, type BenchContext, type Section } from './context.js';
import type { Figure } from './figure.js';
import { benchCpu } from './cpu.js';
import { benchFinish } from './finish.js';
import { benchGuide } from './guide.js';
import { benchGigabyte, benchSegments, benchThrottled } from './hls.js';
import { benchMerge } from './merge.js';
import { STARTUP_TREATMENT, type BenchResults } from './results.js';
import { benchSources } from './sources.js';
import { benchStartup } from './startup.js';
import { benchStore } from './store.js';
import { benchTransfersSection } from './transfers.js';

/** Prints a section's table as the other sections do (for sections that return without printing). */
function logged(ctx: BenchContext, figures: Figure[]): Figure[] {
  logFigures(ctx, figures);
  return figures;
}

const SECTIONS: readonly Section[] = [
  { name: 'startup', run: benchStartup },
  { name: 'throttled-hls', run: benchThrottled },
  { name: 'gigabyte', run: benchGigabyte },
  { name: 'merge', run: benchMerge },
  { name: 'finish', run: async (ctx) => logged(ctx, await benchFinish({ work: ctx.work, quick: ctx.quick })) },
  { name: 'segments', run: benchSegments },
  { name: 'cpu', run: (ctx) => benchCpu(ctx) },
  { name: 'sources', run: benchSources },
  { name: 'guide', run: benchGuide },
  { name: 'transfers', run: benchTransfersSection },
  { name: 'store', run: (ctx) => benchStore(path.join(ctx.work, 'store'), { quick: ctx.quick }) },
];

function projectRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, 'package.json'))) dir = path.dirname(dir);
  return dir;
}

function osName(): string {
  try {
    const pretty = /^PRETTY_NAME="?([^"\n]+)"?/m.exec(readFileSync('/etc/os-release', 'utf8'))?.[1];
    return `${pretty ?? os.type()} (${os.type()} ${os.release()})`;
  } catch {
    return `${os.type()} ${os.release()}`;
  }
}

function gitCommit(root: string): string {
  try {
    const head = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: root, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: root, encoding: 'utf8' }).trim() !== '';
    return dirty ? `${head} (with uncommitted changes)` : head;
  } catch {
    return 'unknown';
  }
}

function packageVersion(root: string, name: string): string | null {
  try {
    return (JSON.parse(readFileSync(path.join(root, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return null;
  }
}

function parseArgs(argv: readonly string[]): { quick: boolean; only: string[] } {
  const quick = argv.includes('--quick');
  const only = argv.filter((a) => !a.startsWith('--'));
  const unknown = only.filter((name) => !SECTIONS.some((s) => s.name === name));
  if (unknown.length > 0) throw new Error(`unknown section ${unknown.join(', ')}; sections: ${SECTIONS.map((s) => s.name).join(', ')}`);
  return { quick, only };
}

async function main(): Promise<number> {
  const root = projectRoot();
  const { quick, only } = parseArgs(process.argv.slice(2));
  const started = new Date();
  const cache = path.join(os.tmpdir(), 'm3udl-bench');
  await mkdir(cache, { recursive: true });
  const work = await mkdtemp(path.join(os.tmpdir(), 'm3udl-bench-run-'));
  const ctx: BenchContext = { work, cache, quick, absent: new Set(), log: (line) => console.log(line) };
  const cpus = os.cpus();
  const machine = {
    cpu: cpus[0]?.model.trim() ?? 'unknown',
    cores: cpus.length,
    memory_gib: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    os: osName(),
    node: process.version,
    ffmpeg: toolVersion('ffmpeg', ['-version'])?.replace(/\s+Copyright.*$/, '') ?? null,
    load_average_at_start: os.loadavg().map((l) => Math.round(l * 100) / 100),
  };
  const peers = {
    'yt-dlp': toolVersion('yt-dlp', ['--version']),
    smbclient: toolVersion('smbclient', ['--version']),
    ssh: toolVersion('ssh', ['-V']),
    'iptv-playlist-parser': packageVersion(root, 'iptv-playlist-parser'),
  };
  console.log(`# m3u-downloader benchmark${quick ? ' (--quick)' : ''}`);
  console.log(`machine: ${machine.cpu} x${machine.cores}, ${machine.memory_gib} GiB, ${machine.os}, node ${machine.node}, load ${machine.load_average_at_start.join(' ')}`);
  console.log(`peers: ${machine.ffmpeg ?? 'ffmpeg not installed'}; ${Object.entries(peers).map(([k, v]) => `${k} ${v ?? 'not installed'}`).join('; ')}`);
  console.log(`startup: ${STARTUP_TREATMENT}`);

  const figures: Figure[] = [];
  const errors: Array<{ section: string; message: string }> = [];
  const ran: string[] = [];
  for (const section of SECTIONS) {
    if (only.length > 0 && !only.includes(section.name)) continue;
    if (process.env[`BENCH_SKIP_${section.name.toUpperCase().replace(/-/g, '_')}`] === '1') {
      console.log(`\n## ${section.name}: skipped (BENCH_SKIP_${section.name.toUpperCase().replace(/-/g, '_')}=1)`);
      continue;
    }
    console.log(`\n## ${section.name}`);
    const t0 = performance.now();
    try {
      figures.push(...(await section.run(ctx)));
      ran.push(section.name);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      errors.push({ section: section.name, message: message.slice(0, 2000) });
      console.error(`section ${section.name} failed: ${message}`);
    }
    console.log(`(${section.name}: ${((performance.now() - t0) / 1000).toFixed(0)} s)`);
  }
  await rm(work, { recursive: true, force: true });

  const complete = only.length === 0 && ran.length === SECTIONS.length;
  const results: BenchResults = {
    mode: quick ? 'quick' : complete ? 'full' : 'partial',
    date: started.toISOString(),
    duration_s: Math.round((Date.now() - started.getTime()) / 1000),
    commit: gitCommit(root),
    machine: { ...machine, load_average_at_end: os.loadavg().map((l) => Math.round(l * 100) / 100) },
    peers,
    startup: STARTUP_TREATMENT,
    sections: ran,
    absent: [...ctx.absent].sort(),
    errors,
    figures,
  };
  const file = path.join(root, quick ? 'bench-results.quick.json' : complete ? 'bench-results.json' : 'bench-results.partial.json');
  await writeFile(file, `${JSON.stringify(results, null, 2)}\n`);
  console.log(`\n${figures.length} figures in ${results.duration_s} s; written to ${path.relative(root, file)}${results.mode === 'full' ? ' (render README with `npm run bench:readme`)' : ''}`);
  if (errors.length > 0) console.error(`failed sections: ${errors.map((e) => e.section).join(', ')}`);
  return errors.length > 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
