import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import type { Figure } from '../../bench/figure.js';
import { BLOCK_END, BLOCK_START, checkReadme, problems, renderBlock, replaceBlock, REQUIRED_FIGURES, REQUIRED_SECTIONS } from '../../bench/readme.js';
import type { BenchResults } from '../../bench/results.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const BUILT_CLI = path.join(root, 'dist/bench/readme.js');

function sectionOf(id: string): string {
  const head = id.split('.')[0]!;
  return head === 'throttled' ? 'throttled-hls' : head;
}

/** A results object holding every figure README needs, each distinguishable by its value. */
function fullResults(): BenchResults {
  const figures: Figure[] = REQUIRED_FIGURES.map((r, i) => ({ id: r.id, section: sectionOf(r.id), label: `label of ${r.id}`, value: 10 + i, unit: 's' }));
  figures[0] = {
    id: 'throttled.engine-vs-floor',
    section: 'throttled-hls',
    label: 'throttled HLS: this engine vs the floor',
    value: 4.96,
    unit: 's',
    rounds: { n: 5, min: 4.81, median: 4.96, max: 5.3 },
    peer: { label: 'floor for 10 connections', value: 4.26 },
    ratio: 4.96 / 4.26,
    target: '<= 1.2x floor',
    met: true,
  };
  figures[1] = { ...figures[1]!, peer: { label: 'yt-dlp -N 10', value: 5 }, ratio: 2.1, target: '<= 0.87x', met: false };
  figures.push(
    { id: 'finish.same-fs.latency', section: 'finish', label: 'finish latency, 1 GB, same filesystem', value: 0.4, unit: 's', target: '< 1 s', met: true, note: 'last byte to rename' },
    { id: 'store.sync.seconds', section: 'store', label: 'sync queueing 2500 jobs', value: 0.3, unit: 's' },
  );
  return {
    mode: 'full',
    date: '2026-12-06T23:10:00.000Z',
    duration_s: 900,
    commit: '0123456789abcdef0123456789abcdef01234567',
    machine: { cpu: 'Test CPU', cores: 2, memory_gib: 23.5, os: 'Debian 12', node: 'v20.20.2', ffmpeg: 'ffmpeg version 5.1.9', load_average_at_start: [0.5, 0.4, 0.3] },
    peers: { 'yt-dlp': '2023.03.04', smbclient: 'Version 4.17.12' },
    startup: 'every process start counted',
    sections: [...REQUIRED_SECTIONS],
    absent: [],
    errors: [],
    figures,
  };
}

const README = `# Project\n\nIntro.\n\n## Benchmark\n\nProse stays.\n\n${BLOCK_START}\nold\n${BLOCK_END}\n\n## Next\n`;

describe('bench README renderer', () => {
  it('renders a table row per figure with this add-on, peer, ratio, target and met, and the machine line', () => {
    const block = renderBlock(fullResults());
    expect(block).toContain('| figure | this add-on (median) | peer (median) | ratio | target | met |');
    expect(block).toContain('| throttled HLS: this engine vs the floor | 4.96 s (min 4.81, 5 rounds) | floor for 10 connections: 4.26 s | 1.16x | <= 1.2x floor | yes |');
    expect(block).toContain('| label of throttled.engine-vs-yt-dlp | 11.0 s | yt-dlp -N 10: 5.00 s | 2.10x | <= 0.87x | **no** |');
    expect(block).toContain('Test CPU x2, 23.5 GiB, Debian 12, Node v20.20.2, ffmpeg version 5.1.9');
    expect(block).toContain('Run of 2026-12-06 23:10 UTC, commit 0123456789ab');
    expect(block).toContain('- finish latency, 1 GB, same filesystem: last byte to rename');
    for (const r of REQUIRED_FIGURES) expect(block).toContain(r.id === 'throttled.engine-vs-floor' ? 'this engine vs the floor' : `label of ${r.id}`);
  });

  it('refuses results missing a required figure, a required section, from a quick run, or with a failed section', () => {
    const missing = fullResults();
    missing.figures = missing.figures.filter((f) => f.id !== 'merge.mp4-vs-cp');
    expect(() => renderBlock(missing)).toThrow(/figure merge\.mp4-vs-cp is missing/);

    const noFinish = fullResults();
    noFinish.figures = noFinish.figures.filter((f) => f.section !== 'finish');
    expect(() => renderBlock(noFinish)).toThrow(/no figure from section finish/);

    const quick = { ...fullResults(), mode: 'quick' as const };
    expect(() => renderBlock(quick)).toThrow(/quick run/);

    const failed = { ...fullResults(), errors: [{ section: 'transfers', message: 'smbd did not start' }] };
    expect(problems(failed)).toContain('section transfers failed in that run: smbd did not start');

    const nan = fullResults();
    nan.figures[3] = { ...nan.figures[3]!, value: Number.NaN };
    expect(() => renderBlock(nan)).toThrow(/has no value/);
  });

  it('renders without yt-dlp figures only when yt-dlp is recorded absent, and says so', () => {
    const noYtdlp = fullResults();
    noYtdlp.figures = noYtdlp.figures.filter((f) => !f.id.includes('yt-dlp'));
    expect(() => renderBlock(noYtdlp)).toThrow(/throttled\.engine-vs-yt-dlp is missing/);
    noYtdlp.absent = ['yt-dlp'];
    expect(renderBlock(noYtdlp)).toContain('Not measured: yt-dlp not installed on that machine (throttled.engine-vs-yt-dlp');
  });

  it('replaces only the block and detects a block edited by hand', () => {
    const results = fullResults();
    const rendered = replaceBlock(README, renderBlock(results));
    expect(rendered.startsWith('# Project\n\nIntro.\n\n## Benchmark\n\nProse stays.\n\n<!-- bench:start -->\n')).toBe(true);
    expect(rendered.endsWith(`${BLOCK_END}\n\n## Next\n`)).toBe(true);
    expect(rendered).not.toContain('\nold\n');
    expect(checkReadme(rendered, results).ok).toBe(true);
    expect(checkReadme(rendered.replace('| 4.96 s', '| 3.90 s'), results).ok).toBe(false);
    expect(checkReadme(README, results).ok).toBe(false);
    expect(() => replaceBlock('# no markers\n', 'x')).toThrow(/no <!-- bench:start -->/);
  });

  describe('the command (dist/bench/readme.js, built by npm test)', () => {
    let dir = '';
    afterEach(async () => {
      if (dir) await rm(dir, { recursive: true, force: true });
    });
    const cli = (...args: string[]): { status: number | null; stderr: string } => {
      if (!existsSync(BUILT_CLI)) throw new Error(`${BUILT_CLI} is missing: run "npm run build" (npm test does it)`);
      const r = spawnSync(process.execPath, [BUILT_CLI, ...args], { encoding: 'utf8' });
      return { status: r.status, stderr: r.stderr };
    };

    it('writes the block, --check passes on it, fails on a hand edit, and refuses incomplete results', async () => {
      dir = await mkdtemp(path.join(os.tmpdir(), 'bench-readme-'));
      const readme = path.join(dir, 'README.md');
      const results = path.join(dir, 'bench-results.json');
      await writeFile(readme, README);
      await writeFile(results, JSON.stringify(fullResults()));
      expect(cli('--check', '--results', results, '--readme', readme).status).toBe(1);
      expect(cli('--results', results, '--readme', readme).status).toBe(0);
      const written = await readFile(readme, 'utf8');
      expect(written).toContain('| throttled HLS: this engine vs the floor | 4.96 s');
      expect(cli('--check', '--results', results, '--readme', readme).status).toBe(0);

      await writeFile(readme, written.replace('| 4.96 s', '| 3.90 s'));
      const check = cli('--check', '--results', results, '--readme', readme);
      expect(check.status).toBe(1);
      expect(check.stderr).toMatch(/differs from what .* renders/);

      const incomplete = fullResults();
      incomplete.figures = incomplete.figures.filter((f) => f.section !== 'guide');
      await writeFile(results, JSON.stringify(incomplete));
      const before = await readFile(readme, 'utf8');
      const refused = cli('--results', results, '--readme', readme);
      expect(refused.status).toBe(2);
      expect(refused.stderr).toMatch(/no figure from section guide/);
      expect(await readFile(readme, 'utf8')).toBe(before);
    });
  });
});
