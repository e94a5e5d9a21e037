/**
 * What every bench section shares: the run's context, alternating rounds, timing a command with
 * its process tree's memory, and finding out whether a peer tool is installed.
 *
 * Startup treatment (the same for every tool): a tool's clock starts when its process is
 * spawned, so every tool's process start is counted, this add-on's server included (started
 * fresh for each round; its start-up to /api/health is part of its time). Figures against a
 * floor with no process (the theoretical floor) say so in their note.
 */
import { spawn, spawnSync } from 'node:child_process';
import { summarize, type Figure } from './figure.js';
import { treeSampler } from './proc-tree.js';

export interface BenchContext {
  /** A fresh scratch directory for this run (removed at the end). */
  work: string;
  /** Fixtures kept between runs (generated media, lists): os.tmpdir()/m3udl-bench. */
  cache: string;
  /** `--quick`: smaller inputs and fewer rounds (about two minutes on 2 cores). */
  quick: boolean;
  /** Peer tools found missing on this machine (e.g. yt-dlp on a CI runner): recorded, never fatal. */
  absent: Set<string>;
  log(line: string): void;
}

export interface Section {
  /** `npm run bench -- <name>` runs this one alone. */
  name: string;
  run(ctx: BenchContext): Promise<Figure[]>;
}

export type Rounds = { n: number; min: number; median: number; max: number };

/**
 * Runs `measure` for every tool in `rounds` rounds, rotating the order each round (round r starts
 * with tool r mod n), so no tool always runs first (cold caches) or last (a warmed machine).
 */
export async function alternate<K extends string, T>(
  rounds: number,
  tools: readonly K[],
  measure: (tool: K, round: number) => Promise<T>,
): Promise<Record<K, T[]>> {
  const out = Object.fromEntries(tools.map((t) => [t, [] as T[]])) as Record<K, T[]>;
  for (let r = 0; r < rounds; r++) {
    for (let i = 0; i < tools.length; i++) {
      const tool = tools[(i + r) % tools.length]!;
      out[tool].push(await measure(tool, r));
    }
  }
  return out;
}

export interface CommandRun {
  seconds: number;
  /** Sum of the tree's VmRSS at its largest sample. */
  treePeakBytes: number;
  /** The largest single process VmHWM in the tree. */
  maxHwmBytes: number;
}

/** Runs a command to completion: wall time from spawn to exit, and its process tree's memory. */
export async function timeCommand(cmd: string, args: string[], cwd: string, input?: string): Promise<CommandRun> {
  const started = performance.now();
  const child = spawn(cmd, args, { cwd, stdio: [input === undefined ? 'ignore' : 'pipe', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  if (input !== undefined) child.stdin!.end(input);
  const sampler = treeSampler(child.pid!);
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', resolve);
  });
  const seconds = (performance.now() - started) / 1000;
  const peaks = sampler.stop();
  if (code !== 0) throw new Error(`${cmd} exited ${code}: ${stderr.trim()}`);
  return { seconds, treePeakBytes: peaks.sampledPeakBytes, maxHwmBytes: Math.max(0, ...[...peaks.hwmByPid.values()].map((p) => p.hwmBytes)) };
}

/** The first line of `cmd args` output, or null when the program is not installed. */
export function toolVersion(cmd: string, args: string[]): string | null {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 20_000 });
  if (r.error) return null;
  const line = `${r.stdout ?? ''}${r.stderr ?? ''}`.split('\n').find((l) => l.trim() !== '');
  return line?.trim() ?? null;
}

/** Whether a peer tool can run here; a missing one is recorded in ctx.absent and logged once. */
export function hasTool(ctx: BenchContext, cmd: string, versionArgs: string[]): boolean {
  if (ctx.absent.has(cmd)) return false;
  if (toolVersion(cmd, versionArgs) !== null) return true;
  ctx.absent.add(cmd);
  ctx.log(`${cmd}: not installed on this machine; its figures are recorded as absent`);
  return false;
}

export const MB = 1_000_000;

/**
 * A figure of this add-on against a peer from the same rounds: value and peer are medians; the
 * ratio is value / peer. `better` says which way the target points ('lower' for times and memory,
 * 'higher' for rates), and `targetRatio` the limit on the ratio (absent: reported, no target).
 */
export function compare(f: {
  id: string;
  section: string;
  label: string;
  unit: string;
  values: readonly number[];
  peerLabel: string;
  peerValues: readonly number[];
  targetRatio?: number;
  better?: 'lower' | 'higher';
  target?: string;
  note?: string;
}): Figure {
  const rounds = summarize(f.values);
  const peerRounds = summarize(f.peerValues);
  const ratio = peerRounds.median > 0 ? rounds.median / peerRounds.median : NaN;
  const fig: Figure = {
    id: f.id,
    section: f.section,
    label: f.label,
    value: rounds.median,
    unit: f.unit,
    rounds,
    peer: { label: f.peerLabel, value: peerRounds.median, rounds: peerRounds },
    ratio,
  };
  if (f.targetRatio !== undefined) {
    fig.target = f.target ?? `${(f.better ?? 'lower') === 'lower' ? '<=' : '>='} ${f.targetRatio}x ${f.peerLabel}`;
    fig.met = (f.better ?? 'lower') === 'lower' ? ratio <= f.targetRatio : ratio >= f.targetRatio;
  } else if (f.target) {
    fig.target = f.target; // an absolute target: the caller sets `met`
  }
  if (f.note) fig.note = f.note;
  return fig;
}

/** A figure with no peer: median of its rounds against an absolute target. */
export function absolute(f: {
  id: string;
  section: string;
  label: string;
  unit: string;
  values: readonly number[];
  /** The value must be below (or, with 'higher', at least) this. */
  limit?: number;
  better?: 'lower' | 'higher';
  target?: string;
  note?: string;
}): Figure {
  const rounds = summarize(f.values);
  const fig: Figure = { id: f.id, section: f.section, label: f.label, value: rounds.median, unit: f.unit, rounds };
  if (f.limit !== undefined) {
    const lower = (f.better ?? 'lower') === 'lower';
    fig.target = f.target ?? `${lower ? '<' : '>='} ${f.limit} ${f.unit}`;
    fig.met = lower ? rounds.median < f.limit : rounds.median >= f.limit;
  }
  if (f.note) fig.note = f.note;
  return fig;
}

/** Prints figures as a small table in the run's log. */
export function logFigures(ctx: BenchContext, figures: readonly Figure[]): void {
  const n = (v: number): string => (Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 10 ? v.toFixed(1) : v.toFixed(2));
  ctx.log('| figure | this add-on (median; min-max) | peer (median) | ratio | target | met |');
  ctx.log('|---|---|---|---|---|---|');
  for (const f of figures) {
    const spread = f.rounds && f.rounds.n > 1 ? ` (${n(f.rounds.min)}-${n(f.rounds.max)}, ${f.rounds.n} rounds)` : '';
    const peer = f.peer ? `${f.peer.label}: ${n(f.peer.value)} ${f.unit}` : '';
    const met = f.met === undefined ? '' : f.met ? 'yes' : 'NO';
    ctx.log(`| ${f.label} | ${n(f.value)} ${f.unit}${spread} | ${peer} | ${f.ratio === undefined ? '' : `${f.ratio.toFixed(2)}x`} | ${f.target ?? ''} | ${met} |`);
  }
}
