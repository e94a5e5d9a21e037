import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { EntryType as ContentType } from '../../addon/domain/content.js';
import { createClassifier } from '../../addon/sources/classify.js';
import { parseM3u } from '../../addon/sources/m3u-parser.js';
import { generateM3uString, writeM3uFile } from '../fixtures/gen-m3u.js';

const sha = (s: string) => createHash('sha256').update(s).digest('hex');

describe('synthetic provider list (tests/fixtures/gen-m3u.ts)', () => {
  it('is deterministic per seed', () => {
    const a = generateM3uString({ count: 500, seed: 3 });
    const b = generateM3uString({ count: 500, seed: 3 });
    const c = generateM3uString({ count: 500, seed: 4 });
    expect(sha(a.text)).toBe(sha(b.text));
    expect(sha(a.text)).not.toBe(sha(c.text));
    expect(a.stats.entries).toBe(500);
    expect(a.stats.bytes).toBe(Buffer.byteLength(a.text));
  });

  it('parses (BOM + CRLF, streamed in 4 KiB chunks) and classifies back to what was generated', async () => {
    const { text, stats } = generateM3uString({ count: 5000, seed: 11, crlf: true, bom: true });
    expect(text.startsWith('\uFEFF#EXTM3U')).toBe(true);
    expect(text.includes('\r\n')).toBe(true);
    const bytes = Buffer.from(text);
    const chunks: Buffer[] = [];
    for (let i = 0; i < bytes.length; i += 4096) chunks.push(bytes.subarray(i, i + 4096));
    const parse = parseM3u(Readable.from(chunks));
    const classify = createClassifier({ currentYear: 2026 });
    const counts: Record<ContentType, number> = { movie: 0, series: 0, novela: 0, live: 0, other: 0 };
    let withEpisode = 0;
    let episodic = 0;
    for await (const e of parse) {
      const c = classify(e);
      counts[c.contentType]++;
      if (c.contentType === 'series' || c.contentType === 'novela') {
        episodic++;
        if (c.episode !== null) withEpisode++;
      }
    }
    expect(parse.header.tvgUrls).toHaveLength(2);
    expect(parse.summary.entries).toBe(stats.entries);
    expect(parse.summary.malformed).toBe(stats.malformed);
    expect(stats.malformed).toBeGreaterThan(0);
    expect(counts).toEqual({ movie: stats.movies, series: stats.series, novela: stats.novelas, live: stats.live, other: 0 });
    expect(withEpisode).toBe(episodic); // every generated episode form is understood
  });

  it('streams to a file with the same bytes', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'gen-m3u-'));
    try {
      const path = join(dir, 'list.m3u');
      const stats = await writeM3uFile(path, { count: 2000, seed: 5 });
      const onDisk = await readFile(path, 'utf8');
      expect(onDisk).toBe(generateM3uString({ count: 2000, seed: 5 }).text);
      expect(stats.bytes).toBe(Buffer.byteLength(onDisk));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
