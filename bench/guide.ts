/**
 * Bench section guide: programme guides. An XMLTV guide of N programmes (100 channels) is served
 * gzipped from loopback and read by GuideService.refresh (fetch, gunzip, saxes, match, keep,
 * write), each size in a process of its own so the peak RSS is its own. The programmes of half
 * the channels are wanted (the list has 50 of the guide's 100), as with real guides.
 *
 *   node dist/bench/guide.js            this section alone (npm run bench runs it after sources)
 *   node dist/bench/guide.js worker N   one measurement (prints one JSON line)
 */
import { spawn } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { mkdtemp, rm } from 'node:fs/promises';
import type { Channel } from '../addon/live/channels.js';
import { absolute, logFigures, type BenchContext } from './context.js';
import type { Figure } from './figure.js';
import { GuideService } from '../addon/live/epg/guide-service.js';
import { systemClock } from '../addon/platform/clock.js';
import { createHttpClient, DEFAULT_USER_AGENT } from '../addon/platform/http.js';
import { silentLogger } from '../addon/platform/logger.js';

const CHANNELS = 100;

function xt(ms: number): string {
  return `${new Date(ms).toISOString().replace(/[-:T]/g, '').slice(0, 14)} +0000`;
}

export function generateGuide(programmes: number, now = Date.now()): string {
  const per = Math.ceil(programmes / CHANNELS);
  const parts: string[] = ['<?xml version="1.0" encoding="UTF-8"?>\n<tv generator-info-name="bench">\n'];
  for (let c = 0; c < CHANNELS; c++) parts.push(`<channel id="ch${c}.uk"><display-name lang="en">Channel ${c}</display-name><icon src="http://127.0.0.1/${c}.png"/></channel>\n`);
  let n = 0;
  for (let c = 0; c < CHANNELS && n < programmes; c++) {
    for (let i = 0; i < per && n < programmes; i++, n++) {
      const start = now - 3600_000 + i * 1800_000;
      parts.push(
        `<programme start="${xt(start)}" stop="${xt(start + 1800_000)}" channel="ch${c}.uk"><title lang="en">Programme ${c}-${i} &amp; friends</title><sub-title>Part ${i}</sub-title><desc lang="en">A description of programme ${i} on channel ${c}, long enough to look like a real one, with some words.</desc><category>News</category><episode-num system="xmltv_ns">0.${i}.</episode-num></programme>\n`,
      );
    }
  }
  parts.push('</tv>\n');
  return parts.join('');
}

interface Result {
  programmes: number;
  kept: number;
  xmlBytes: number;
  gzBytes: number;
  seconds: number;
  peakRssBytes: number;
  baseRssBytes: number;
}

async function measure(programmes: number): Promise<Result> {
  const xml = generateGuide(programmes);
  const gz = gzipSync(xml);
  const server = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/gzip' });
    res.end(gz);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/guide.xml.gz`;
  const dir = await mkdtemp(path.join(os.tmpdir(), 'm3udl-bench-guide-'));
  const channels: Channel[] = Array.from({ length: CHANNELS / 2 }, (_, c) => ({
    id: `c${c}`, source_id: 'bench', name: `Channel ${c}`, group: null, logo: null, tvg_id: `ch${c}.uk`, tvg_name: null, number: null, url: 'http://x', headers: {},
  }));
  const guides = new GuideService({ http: createHttpClient({ timeoutMs: 30_000, maxSocketsPerHost: 4, userAgent: DEFAULT_USER_AGENT }), clock: systemClock, logger: silentLogger(), dir });
  global.gc?.();
  const baseRssBytes = process.memoryUsage().rss;
  const started = performance.now();
  const r = await guides.refresh('bench', [url], channels, new AbortController().signal);
  const seconds = (performance.now() - started) / 1000;
  const peakRssBytes = process.resourceUsage().maxRSS * 1024;
  await new Promise((res) => server.close(res));
  await rm(dir, { recursive: true, force: true });
  return { programmes, kept: r.programmes, xmlBytes: Buffer.byteLength(xml), gzBytes: gz.length, seconds, peakRssBytes, baseRssBytes };
}

function worker(n: number): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--expose-gc', fileURLToPath(import.meta.url), 'worker', String(n)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-4000)));
    child.once('exit', (code) => (code === 0 ? resolve(JSON.parse(out.trim().split('\n').pop()!) as Result) : reject(new Error(`guide worker exited ${code}: ${err}`))));
  });
}

const MB = 1_000_000;

/** Section guide: GuideService.refresh on guides of 10k and 100k programmes, one process per measurement. */
export async function benchGuide(ctx: BenchContext): Promise<Figure[]> {
  const sizes = ctx.quick ? [10_000] : [10_000, 100_000];
  const rounds = ctx.quick ? 1 : 3;
  const section = 'guide';
  const figures: Figure[] = [];
  ctx.log(`XMLTV guides of ${CHANNELS} channels, gzipped over loopback, 50 channels wanted; ${rounds} round(s), a fresh process each (process start not inside the timed refresh)`);
  for (const n of sizes) {
    const runs: Result[] = [];
    for (let i = 0; i < rounds; i++) runs.push(await worker(n));
    const r = runs[0]!;
    const label = `${n.toLocaleString('en')} programmes (${(r.xmlBytes / MB).toFixed(1)} MB xml, ${(r.gzBytes / MB).toFixed(1)} MB gz), ${r.kept.toLocaleString('en')} kept`;
    figures.push(
      absolute({ id: `guide.${n / 1000}k.seconds`, section, unit: 's', label: `guide refresh, ${label}: seconds`, values: runs.map((x) => x.seconds), note: 'fetch, gunzip, saxes, match, keep 14 days, write' }),
      absolute({ id: `guide.${n / 1000}k.rss`, section, unit: 'MB', label: `guide refresh, ${label}: peak RSS`, values: runs.map((x) => x.peakRssBytes / MB), note: `RSS before the refresh ${(r.baseRssBytes / MB).toFixed(0)} MB (already holds the generated guide the bench serves from memory)` }),
    );
  }
  logFigures(ctx, figures);
  return figures;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  if (process.argv[2] === 'worker') {
    measure(Number(process.argv[3]))
      .then((r) => console.log(JSON.stringify(r)))
      .catch((err: unknown) => {
        console.error(err);
        process.exit(1);
      });
  } else {
    benchGuide({ work: os.tmpdir(), cache: os.tmpdir(), quick: process.argv.includes('--quick'), absent: new Set(), log: (line) => console.log(line) }).catch((err: unknown) => {
      console.error(err);
      process.exit(1);
    });
  }
}
