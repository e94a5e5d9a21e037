/**
 * A big sync must let the event loop run in every phase (parsing, building the index of the
 * previous catalogue, diffing, writing the catalogue, the rules), not only between the provider's
 * batches: a batch of thousands of entries classified at once stalled the API for 50+ ms.
 *
 * No timing here: the pacer gets a fake clock that moves 4 ms per read, so with an 8 ms budget it
 * asks for a turn every second read, and the test records in which phase each turn was given back.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../addon/platform/logger.js';
import { Pacer } from '../../addon/platform/pacer.js';
import { CatalogueFiles } from '../../addon/sources/catalogue-file.js';
import type { SourceConnection, SourceEntry } from '../../addon/sources/kinds/types.js';
import { LibraryIndex } from '../../addon/sources/library-index.js';
import type { SourceRecord, SyncPhase } from '../../addon/sources/model.js';
import { runSync } from '../../addon/sources/sync.js';

const N = 4000;

function entries(n: number, urlTag: string): SourceEntry[] {
  const out: SourceEntry[] = [];
  for (let i = 0; i < n; i++) {
    out.push({ title: `Mostra ${Math.floor(i / 50)} S01E${(i % 50) + 1}`, groupTitle: 'Séries', url: `http://p.example/${urlTag}/${i}.mp4`, headers: {}, tvgLogo: null });
  }
  return out;
}

/** The provider's whole list in ONE batch: the case that held the event loop longest. */
function oneBatch(list: SourceEntry[]): SourceConnection {
  return {
    fetch: async () => ({
      batches: (async function* () {
        yield list;
      })(),
      summary: () => ({ malformed: 0, issues: [], looksLikeList: true }),
    }),
  } as unknown as SourceConnection;
}

function source(): SourceRecord {
  return {
    id: 'src1',
    name: 'Provedor',
    kind: 'm3u',
    enabled: true,
    url: 'http://p.example/list.m3u',
    server: null,
    username: null,
    password: null,
    headers: {},
    file: null,
    schedule: null,
    quality: { min: '480p', max: '1080p', ceiling: '2160p', accept_unknown: true },
    content_types: ['movie', 'series', 'novela'],
    include_groups: [],
    exclude_groups: [],
    rules: [{ id: 'r1', name: '', enabled: true, kind: 'group', value: 'Séries', content_types: [], language: null, max_per_sync: 10_000, dry_run: false }],
    priority: { high_max_age_years: 2, low_min_age_years: 5 },
    connection_limit: 1,
    epg_url: null,
    status: 'idle',
    error: null,
    last_sync_at: null,
    last_sync_id: null,
    catalogue_seq: 0,
    item_count: 0,
    created_at: '2026-01-01T00:00:00.000Z',
    updated_at: '2026-01-01T00:00:00.000Z',
  } as unknown as SourceRecord;
}

describe('a big sync lets the event loop run in every phase', () => {
  let dir: string | null = null;
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
    dir = null;
  });

  it('gives turns back while parsing one huge batch, diffing, writing and evaluating rules', async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'sync-pacing-'));
    const files = new CatalogueFiles(dir);
    let phase = 'start';
    // The catalogue write and what follows it (the rules) are told apart from the diff.
    const write = files.write.bind(files);
    files.write = async (...args: Parameters<CatalogueFiles['write']>) => {
      phase = 'writing';
      try {
        return await write(...args);
      } finally {
        phase = 'rules';
      }
    };
    const run = async (list: SourceEntry[], seq: number, phases: string[]) => {
      let fake = 0;
      phase = 'start';
      const pacer = new Pacer({
        budgetMs: 8,
        clock: () => (fake += 4),
        turn: async () => {
          phases.push(phase);
          await new Promise((r) => setImmediate(r));
        },
      });
      const previous = await files.read('src1');
      const outcome = await runSync({
        source: source(),
        kind: oneBatch(list),
        previous,
        library: new LibraryIndex(),
        seq,
        now: new Date('2026-06-01T00:00:00Z'),
        signal: new AbortController().signal,
        fetch: {} as never,
        files,
        tmdb: null,
        logger: silentLogger(),
        pacer,
        onProgress: (p: SyncPhase) => {
          phase = p;
        },
      });
      phase = 'done';
      return outcome;
    };

    const first: string[] = [];
    const a = await run(entries(N, 'a'), 1, first);
    expect(a.counts.items).toBe(N);
    expect(a.matches.length).toBe(N);
    const count = (phases: string[], p: string): number => phases.filter((x) => x === p).length;
    // The single batch is parsed before 'parsing' is first reported: its turns count as 'fetching'.
    expect(count(first, 'fetching')).toBeGreaterThan(20);
    expect(count(first, 'diffing')).toBeGreaterThan(4);
    expect(count(first, 'writing')).toBeGreaterThan(20);
    expect(count(first, 'rules')).toBeGreaterThan(4);

    // Second sync: every URL rotated, so the previous catalogue is indexed and every item changes.
    const second: string[] = [];
    const b = await run(entries(N, 'b'), 2, second);
    expect(b.counts.changed_url).toBe(N);
    expect(b.written).toBe(true);
    expect(count(second, 'fetching')).toBeGreaterThan(20);
    expect(count(second, 'diffing')).toBeGreaterThan(10);
    expect(count(second, 'writing')).toBeGreaterThan(20);
  });
});
