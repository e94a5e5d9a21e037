/**
 * `npm run bench:readme`: renders README.md's benchmark block (between BLOCK_START and BLOCK_END)
 * from bench-results.json, so README never shows a figure no run produced.
 *
 *   npm run bench:readme              rewrite the block from bench-results.json
 *   npm run bench:readme -- --check   exit 1 when the block differs from what the results render
 *                                     (a hand edit, or results committed without re-rendering)
 *   --results FILE / --readme FILE    other paths (tests)
 *
 * Refused (exit 2, nothing written): a results file that is not from a full run, has a failed
 * section, or lacks a figure the README must show (REQUIRED_FIGURES, REQUIRED_SECTIONS).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Figure } from './figure.js';
import type { BenchResults } from './results.js';

export const BLOCK_START = '<!-- bench:start -->';
export const BLOCK_END = '<!-- bench:end -->';

/** Sections whose figures README shows; each must have produced at least one. */
export const REQUIRED_SECTIONS = ['throttled-hls', 'gigabyte', 'merge', 'finish', 'segments', 'sources', 'guide', 'transfers', 'store', 'startup', 'cpu'] as const;

/**
 * Figures README must show, by id. `unlessAbsent`: the peer tool may be missing on the
 * machine (recorded in `absent`): then the README says it was not measured instead.
 */
export const REQUIRED_FIGURES: ReadonlyArray<{ id: string; unlessAbsent?: string }> = [
  { id: 'throttled.engine-vs-floor' },
  { id: 'throttled.engine-vs-yt-dlp', unlessAbsent: 'yt-dlp' },
  { id: 'throttled.engine-vs-ffmpeg' },
  { id: 'gigabyte.rss.server' },
  { id: 'gigabyte.rss.tree-vs-ffmpeg' },
  { id: 'gigabyte.time-vs-ffmpeg' },
  { id: 'gigabyte.rss.tree-vs-yt-dlp', unlessAbsent: 'yt-dlp' },
  { id: 'gigabyte.time-vs-yt-dlp', unlessAbsent: 'yt-dlp' },
  { id: 'merge.mp4-vs-cp' },
  { id: 'merge.mkv-vs-cp' },
  { id: 'segments.scaling.engine' },
  { id: 'segments.scaling.ffmpeg' },
  { id: 'segments.scaling.yt-dlp', unlessAbsent: 'yt-dlp' },
  { id: 'segments.many.engine-vs-ffmpeg' },
  { id: 'segments.many.engine-vs-yt-dlp', unlessAbsent: 'yt-dlp' },
  { id: 'sources.parse-vs-iptv-playlist-parser' },
  { id: 'sources.parse-rss-vs-iptv-playlist-parser' },
  ...['first', 'next-day', 'unchanged', 'worst-first', 'worst-next'].flatMap((s) => [{ id: `sources.sync.${s}.seconds` }, { id: `sources.sync.${s}.rss` }]),
  { id: 'sources.server-sync.seconds' },
  { id: 'sources.server-sync.rss' },
  { id: 'guide.10k.seconds' },
  { id: 'guide.10k.rss' },
  { id: 'guide.100k.seconds' },
  { id: 'guide.100k.rss' },
  { id: 'transfers.smb-vs-smbclient', unlessAbsent: 'smbclient' },
  { id: 'transfers.sftp-vs-openssh', unlessAbsent: 'sftp' },
  { id: 'finish.same-fs.latency' },
  { id: 'finish.cross-fs.latency' },
  { id: 'finish.bytes-written-per-byte' },
  { id: 'finish.rss.server' },
  { id: 'finish.rss.tree' },
  { id: 'store.sync.wall' },
  { id: 'store.downloads.sync.p95' },
  { id: 'store.downloads.idle.p95' },
  { id: 'store.downloads.creating.p95' },
  { id: 'store.writes.max-per-second' },
  { id: 'startup.health' },
  { id: 'startup.cpu' },
  { id: 'startup.idle-rss' },
  { id: 'startup.vs-yt-dlp', unlessAbsent: 'yt-dlp' },
  { id: 'cpu.many.engine-vs-ffmpeg' },
  { id: 'cpu.gb.engine-vs-ffmpeg' },
];

/** Why these results cannot be rendered (empty: they can). */
export function problems(results: BenchResults): string[] {
  const out: string[] = [];
  if (results.mode !== 'full') out.push(`the results are from a ${results.mode} run; README is rendered from a full run only (npm run bench)`);
  for (const e of results.errors ?? []) out.push(`section ${e.section} failed in that run: ${e.message.split('\n')[0]}`);
  const figures = Array.isArray(results.figures) ? results.figures : [];
  const ids = new Map(figures.map((f) => [f.id, f]));
  const absent = new Set(results.absent ?? []);
  for (const section of REQUIRED_SECTIONS) {
    if (!figures.some((f) => f.section === section)) out.push(`no figure from section ${section}`);
  }
  for (const req of REQUIRED_FIGURES) {
    if (ids.has(req.id)) continue;
    if (req.unlessAbsent && absent.has(req.unlessAbsent)) continue;
    out.push(`figure ${req.id} is missing`);
  }
  for (const f of figures) {
    if (!Number.isFinite(f.value)) out.push(`figure ${f.id} has no value`);
    if (f.peer && !Number.isFinite(f.peer.value)) out.push(`figure ${f.id} has a peer without a value`);
  }
  return out;
}

const num = (v: number): string => {
  const a = Math.abs(v);
  return a >= 100 ? v.toFixed(0) : a >= 10 ? v.toFixed(1) : v.toFixed(2);
};
const cell = (s: string): string => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

function valueCell(f: Figure): string {
  const spread = f.rounds && f.rounds.n > 1 ? ` (min ${num(f.rounds.min)}, ${f.rounds.n} rounds)` : '';
  return `${num(f.value)} ${f.unit}${spread}`;
}

function peerCell(f: Figure): string {
  if (!f.peer) return '';
  const spread = f.peer.rounds && f.peer.rounds.n > 1 ? ` (min ${num(f.peer.rounds.min)})` : '';
  return `${f.peer.label}: ${num(f.peer.value)} ${f.unit}${spread}`;
}

/** The block's body (without the markers). Throws with every problem when the results cannot be rendered. */
export function renderBlock(results: BenchResults): string {
  const found = problems(results);
  if (found.length > 0) throw new Error(`bench results refused:\n- ${found.join('\n- ')}`);
  const m = results.machine;
  const peers = Object.entries(results.peers)
    .map(([name, v]) => `${name} ${v ?? 'not installed'}`)
    .join('; ');
  const lines: string[] = [
    '<!-- generated by `npm run bench:readme` from bench-results.json: edit the bench, not this block -->',
    `Run of ${results.date.slice(0, 16).replace('T', ' ')} UTC, commit ${results.commit.slice(0, 12)}${results.commit.includes('uncommitted') ? ' with uncommitted changes' : ''}, ${results.duration_s} s: ${m.cpu} x${m.cores}, ${m.memory_gib} GiB, ${m.os}, Node ${m.node}, ${m.ffmpeg ?? 'ffmpeg not installed'}; load average ${m.load_average_at_start.join(' ')} at the start${m.load_average_at_end ? `, ${m.load_average_at_end.join(' ')} at the end` : ''}.`,
    `Peers: ${peers}.`,
    `Start-up: ${results.startup}.`,
    '',
  ];
  const absent = results.absent ?? [];
  if (absent.length > 0) {
    const missed = REQUIRED_FIGURES.filter((r) => r.unlessAbsent && absent.includes(r.unlessAbsent)).map((r) => r.id);
    lines.push(`Not measured: ${absent.join(', ')} not installed on that machine (${missed.join(', ')}).`, '');
  }
  const sections = [...new Set(results.figures.map((f) => f.section))];
  for (const section of sections) {
    const figures = results.figures.filter((f) => f.section === section);
    lines.push(`**${section}**`, '', '| figure | this add-on (median) | peer (median) | ratio | target | met |', '|---|---|---|---|---|---|');
    for (const f of figures) {
      const met = f.met === undefined ? '' : f.met ? 'yes' : '**no**';
      lines.push(`| ${cell(f.label)} | ${cell(valueCell(f))} | ${cell(peerCell(f))} | ${f.ratio === undefined ? '' : `${f.ratio.toFixed(2)}x`} | ${cell(f.target ?? '')} | ${met} |`);
    }
    // One line per distinct note, naming every figure it applies to.
    const notes = new Map<string, string[]>();
    for (const f of figures) if (f.note) notes.set(f.note, [...(notes.get(f.note) ?? []), f.label]);
    if (notes.size > 0) {
      lines.push('');
      for (const [note, labels] of notes) lines.push(`- ${labels.join('; ')}: ${note}`);
    }
    lines.push('');
  }
  return lines.join('\n');
}

/** README with its block replaced by `body`; throws when the markers are missing or out of order. */
export function replaceBlock(readme: string, body: string): string {
  const start = readme.indexOf(BLOCK_START);
  const end = readme.indexOf(BLOCK_END);
  if (start < 0 || end < 0 || end < start) throw new Error(`README has no ${BLOCK_START} ... ${BLOCK_END} block`);
  return `${readme.slice(0, start + BLOCK_START.length)}\n${body.trimEnd()}\n${readme.slice(end)}`;
}

/** Whether README's block is exactly what the results render. */
export function checkReadme(readme: string, results: BenchResults): { ok: boolean; expected: string } {
  const expected = replaceBlock(readme, renderBlock(results));
  return { ok: expected === readme, expected };
}

function main(argv: string[]): number {
  let root = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(root, 'package.json'))) root = path.dirname(root);
  const opt = (name: string, fallback: string): string => {
    const i = argv.indexOf(name);
    return i >= 0 && argv[i + 1] ? path.resolve(argv[i + 1]!) : fallback;
  };
  const resultsFile = opt('--results', path.join(root, 'bench-results.json'));
  const readmeFile = opt('--readme', path.join(root, 'README.md'));
  if (!existsSync(resultsFile)) {
    console.error(`${resultsFile} does not exist: run \`npm run bench\` (a full run) first`);
    return 2;
  }
  const results = JSON.parse(readFileSync(resultsFile, 'utf8')) as BenchResults;
  const readme = readFileSync(readmeFile, 'utf8');
  let rendered: string;
  try {
    rendered = replaceBlock(readme, renderBlock(results));
  } catch (err) {
    console.error((err as Error).message);
    return 2;
  }
  if (argv.includes('--check')) {
    if (rendered === readme) return 0;
    console.error(`${path.relative(root, readmeFile)}'s benchmark block differs from what ${path.relative(root, resultsFile)} renders: run \`npm run bench:readme\` (never edit the block by hand)`);
    return 1;
  }
  writeFileSync(readmeFile, rendered);
  console.log(`${path.relative(root, readmeFile)}: benchmark block rendered from ${path.relative(root, resultsFile)} (${results.figures.length} figures)`);
  return 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) process.exit(main(process.argv.slice(2)));
