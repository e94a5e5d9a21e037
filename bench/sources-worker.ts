/**
 * One measurement of the playlist-sources benchmark, in a process of its own so its peak RSS is
 * its own (and iptv-playlist-parser's String.prototype patches stay out of ours). Prints one JSON
 * line: {seconds, peakRssBytes, ...}.
 *
 *   node dist/bench/sources-worker.js parse <file>          our streaming parser, from disk
 *   node dist/bench/sources-worker.js peer-parse <file>     iptv-playlist-parser on the same file
 *   node dist/bench/sources-worker.js classify <file>       parse + classify
 *   node dist/bench/sources-worker.js sync <file> <dir>     a whole sync (parse, classify, filter,
 *                                                           diff against <dir>'s catalogue, write)
 */
import { createReadStream, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { silentLogger } from '../addon/platform/logger.js';
import { CatalogueFiles } from '../addon/sources/catalogue-file.js';
import { createClassifier } from '../addon/sources/classify.js';
import { m3uFileKind } from '../addon/sources/kinds/m3u-file.js';
import { LibraryIndex } from '../addon/sources/library-index.js';
import { parseM3u } from '../addon/sources/m3u-parser.js';
import type { SourceRecord } from '../addon/sources/model.js';
import { runSync } from '../addon/sources/sync.js';
import type { HttpClient } from '../addon/platform/http.js';

const peak = (): number => process.resourceUsage().maxRSS * 1024;

function benchSource(): SourceRecord {
  const now = new Date().toISOString();
  return {
    id: 'bench', name: 'bench', kind: 'file', enabled: true, url: null, headers: {}, server: null, username: null, password: null,
    file: { name: 'list.m3u', size: 0, uploaded_at: now }, schedule: null,
    quality: { min: '480p', max: '1080p', ceiling: '2160p', accept_unknown: true },
    content_types: ['movie', 'series', 'novela'], include_groups: [], exclude_groups: [], rules: [],
    priority: { high_max_age_years: 2, low_min_age_years: 5 }, connection_limit: 1, status: 'idle', error: null,
    last_sync_at: null, last_sync_id: null, catalogue_seq: 0, item_count: 0, created_at: now, updated_at: now,
  };
}

async function main(mode: string, file: string, dir: string | undefined): Promise<void> {
  const started = performance.now();
  let extra: Record<string, unknown> = {};
  switch (mode) {
    case 'parse': {
      const parse = parseM3u(createReadStream(file, { highWaterMark: 256 * 1024 }));
      let n = 0;
      for await (const batch of parse.batches()) n += batch.length;
      extra = { entries: n, malformed: parse.summary.malformed };
      break;
    }
    case 'peer-parse': {
      const require = createRequire(import.meta.url);
      const parser = require('iptv-playlist-parser') as { parse(text: string): { items: unknown[] } };
      const result = parser.parse(readFileSync(file, 'utf8'));
      extra = { entries: result.items.length };
      break;
    }
    case 'classify': {
      const parse = parseM3u(createReadStream(file, { highWaterMark: 256 * 1024 }));
      const classify = createClassifier();
      let n = 0;
      for await (const batch of parse.batches()) for (const e of batch) if (classify(e).contentType !== 'other') n++;
      extra = { entries: parse.summary.entries, classified: n };
      break;
    }
    case 'sync': {
      const files = new CatalogueFiles(dir!);
      const readStart = performance.now();
      const previous = await files.read('bench');
      const readSeconds = (performance.now() - readStart) / 1000;
      const noHttp = {} as HttpClient;
      const outcome = await runSync({
        source: benchSource(),
        kind: m3uFileKind.create({}, { source: benchSource() }),
        previous,
        library: new LibraryIndex(),
        seq: (previous?.catalogue.seq ?? 0) + 1,
        now: new Date(),
        signal: new AbortController().signal,
        fetch: { http: noHttp, logger: silentLogger(), uploadPath: file },
        files,
        tmdb: null,
        logger: silentLogger(),
      });
      extra = { previousItems: previous?.catalogue.items.length ?? 0, readPreviousSeconds: readSeconds, counts: outcome.counts, anomaly: outcome.anomaly?.message ?? null, written: outcome.written };
      break;
    }
    default:
      throw new Error(`unknown mode ${mode}`);
  }
  const seconds = (performance.now() - started) / 1000;
  process.stdout.write(`${JSON.stringify({ mode, seconds, peakRssBytes: peak(), ...extra })}\n`);
}

const [mode, file, dir] = process.argv.slice(2);
main(mode ?? '', file ?? '', dir).catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
