import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { decodeItem, encodeItem, encodeItemLine, type CatalogueItem } from '../../addon/sources/catalogue.js';
import { CatalogueFiles } from '../../addon/sources/catalogue-file.js';

const item = (id: number, extra: Partial<CatalogueItem> = {}): CatalogueItem => ({
  id, key: `m:filme ${id}:2020|-|5`, name: `Filme ${id} (2020) 1080p`, title: `Filme ${id}`, type: 'movie', year: 2020, season: null,
  episode: null, episode_title: null, quality: '1080p', qs: 'accepted', language: null, group: 'Filmes | Ação', url: `http://p/movie/u/p/${id}.mp4`,
  headers: null, logo: null, tmdb: null, sid: null, series_ref: null, added: 1, upgraded: 0, url_changed: 0, removed: 0, meta: null, ...extra,
});

describe('catalogue files', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'catalogue-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('the fast line encoder writes what JSON.stringify would, escapes included', () => {
    const tricky = item(7, {
      name: 'Aspas "duplas", barra \\ e tab\t, controle \u0001, emoji 😀, surrogate solto \ud800',
      headers: { 'User-Agent': 'VLC/3 "x"' },
      meta: { id: 1, media_type: 'movie', title: 'T', original_title: null, overview: 'linha\nnova', poster: null, genres: ['Drama'], year: 2020 },
    });
    expect(encodeItemLine(tricky)).toBe(JSON.stringify(encodeItem(tricky)));
    expect(decodeItem(JSON.parse(encodeItemLine(tricky)) as unknown[])).toEqual(tricky);
  });

  it('round-trips items and tombstones in 1 MB chunks, atomically, and notices a truncated file', async () => {
    const files = new CatalogueFiles(dir);
    const items = Array.from({ length: 5000 }, (_, i) => item(i + 1, { name: `Filme ${i + 1} ${'x'.repeat(200)}` }));
    const removed = [item(9999, { removed: 2 })];
    const { bytes } = await files.write('s1', { items, removed, nextId: 10_000, seq: 2, filtersHash: 'f', state: { series: { '1': '99' } } });
    expect(bytes).toBeGreaterThan(1 << 20);
    expect(await readdir(dir)).toEqual(['s1.ndjson']);
    const back = await files.read('s1');
    expect(back!.catalogue).toEqual({ items, removed, nextId: 10_000, seq: 2, filtersHash: 'f', state: { series: { '1': '99' } } });
    expect(await files.read('nope')).toBeNull();
    const text = await readFile(files.pathOf('s1'), 'utf8');
    await writeFile(files.pathOf('s1'), text.slice(0, text.length - 3000));
    await expect(files.read('s1')).rejects.toThrow();
    await files.remove('s1');
    expect(await readdir(dir)).toEqual([]);
  });
});
