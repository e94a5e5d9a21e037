import { describe, expect, it } from 'vitest';
import { emptyCatalogue, type Candidate, type Catalogue, type CatalogueItem } from '../../addon/sources/catalogue.js';
import { classifyEntry } from '../../addon/sources/classify.js';
import { diffCatalogue } from '../../addon/sources/diff.js';
import { identityKeys } from '../../addon/sources/identity.js';
import { LibraryIndex } from '../../addon/sources/library-index.js';
import type { ItemType } from '../../addon/sources/model.js';
import { judgeQuality } from '../../addon/sources/quality-filter.js';

const HOST = 'http://p.example:8080';

/** A candidate as a sync builds it, from a list title and a stream id. */
function cand(title: string, id: number, opts: { group?: string; kind?: 'movie' | 'series'; tmdb?: string } = {}): Candidate {
  const kind = opts.kind ?? (/S\d+E\d+|Cap /i.test(title) ? 'series' : 'movie');
  const url = `${HOST}/${kind}/u/p/${id}.mp4`;
  const c = classifyEntry({ title, url, groupTitle: opts.group ?? null }, { currentYear: 2026 });
  const keys = identityKeys({ ...c, contentType: c.contentType });
  const p = c.providerIds;
  const qs = judgeQuality(c.quality).status;
  return {
    key: keys.variantKey,
    name: title,
    title: c.cleanTitle,
    type: c.contentType as ItemType,
    year: c.year,
    season: c.season,
    episode: c.episode,
    episode_title: c.episodeTitle,
    quality: c.quality,
    qs: qs === 'rejected' ? 'accepted' : qs,
    language: c.language,
    group: c.group,
    url,
    headers: null,
    logo: null,
    tmdb: opts.tmdb ?? null,
    sid: `${p.host}|${p.streamType}|${p.streamId}`,
    series_ref: null,
    id: 0,
    added: 0,
    upgraded: 0,
    url_changed: 0,
    removed: 0,
    meta: null,
  };
}

/** The catalogue a first sync of `list` would write (generation 1). */
function first(list: Candidate[]): Catalogue {
  const r = diffCatalogue(emptyCatalogue(), list, new LibraryIndex(), { seq: 1 });
  return { ...emptyCatalogue(), items: r.items, removed: r.removed, nextId: r.nextId, seq: 1 };
}

const byName = (items: CatalogueItem[], name: string): CatalogueItem => {
  const found = items.find((i) => i.name === name);
  if (!found) throw new Error(`no item ${name}`);
  return found;
};

describe('diffCatalogue', () => {
  // A function: the diff fills candidates in place, so every use gets fresh ones.
  const v1 = (): Candidate[] => [
    cand('Duna: Parte Dois (2024) 720p', 1001),
    cand('Missão: Impossível (1996)', 1002),
    cand('Round 6 S02E03', 2001),
    cand('Avenida Brasil Cap 102', 3001, { group: 'NOVELAS' }),
    cand('Cidade de Deus (2002)', 1003),
    cand('Bacurau (2019)', 1004, { tmdb: '575452' }),
  ];

  it('a first sync: everything is new, ids from 1', () => {
    const r = diffCatalogue(emptyCatalogue(), v1(), new LibraryIndex(), { seq: 1 });
    expect(r.counts).toEqual({ new: 6, upgraded: 0, removed: 0, changed_url: 0, renamed: 0, already_downloaded: 0 });
    expect(r.items.map((i) => i.id)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(r.items.every((i) => i.added === 1)).toBe(true);
    expect(r.fresh).toHaveLength(6);
    expect(r.anomaly).toBeNull();
  });

  it('new, removed, changed URL, upgrade, rename by stream id, by TMDB id, and a year off by one', () => {
    const prev = first(v1());
    const v2 = [
      cand('Duna: Parte Dois (2024) 1080p', 1011), // upgrade of the 720p (which vanished: superseded, not removed)
      cand('Missão: Impossível (1996)', 1102), // same item, the provider rotated its URL
      cand('Round 6 S02E03', 2001),
      cand('Round 6 S02E04', 2002), // new
      // Avenida Brasil Cap 102: removed
      cand('Cidade de Deus - O Filme (2002)', 1003), // renamed: same stream id
      cand('Bacurau: Edição Especial (2019)', 1404, { tmdb: '575452' }), // renamed: same TMDB id
    ];
    const r = diffCatalogue(prev, v2, new LibraryIndex(), { seq: 2 });
    expect(r.counts).toEqual({ new: 1, upgraded: 1, removed: 1, changed_url: 1, renamed: 2, already_downloaded: 0 });
    expect(r.removed.map((i) => [i.name, i.removed])).toEqual([['Avenida Brasil Cap 102', 2]]);
    const duna = byName(r.items, 'Duna: Parte Dois (2024) 1080p');
    expect([duna.id, duna.added, duna.upgraded]).toEqual([byName(prev.items, 'Duna: Parte Dois (2024) 720p').id, 1, 2]);
    const missao = byName(r.items, 'Missão: Impossível (1996)');
    expect([missao.added, missao.url_changed, missao.url]).toEqual([1, 2, `${HOST}/movie/u/p/1102.mp4`]);
    expect(byName(r.items, 'Cidade de Deus - O Filme (2002)').id).toBe(byName(prev.items, 'Cidade de Deus (2002)').id);
    expect(byName(r.items, 'Bacurau: Edição Especial (2019)').added).toBe(1);
    expect(byName(r.items, 'Round 6 S02E04').added).toBe(2);
    expect(r.fresh.map((i) => i.name)).toEqual(['Duna: Parte Dois (2024) 1080p', 'Round 6 S02E04']);
  });

  it('a movie whose year moved by one (or lost it) is the same item when it is the only candidate', () => {
    const prev = first([cand('Parasita (2019)', 1), cand('Coringa (2019)', 2)]);
    const r = diffCatalogue(prev, [cand('Parasita (2020)', 11), cand('Coringa', 12)], new LibraryIndex(), { seq: 2 });
    expect(r.counts).toMatchObject({ new: 0, renamed: 2, removed: 0 });
  });

  it('a lower quality of a known item is neither new nor an upgrade', () => {
    const prev = first([cand('Matrix (1999) 1080p', 1)]);
    const r = diffCatalogue(prev, [cand('Matrix (1999) 1080p', 1), cand('Matrix (1999) 720p', 2)], new LibraryIndex(), { seq: 2 });
    expect(r.counts).toMatchObject({ new: 0, upgraded: 0 });
    expect(r.items).toHaveLength(2);
  });

  it('4K is optional: never an upgrade', () => {
    const prev = first([cand('Matrix (1999) 1080p', 1)]);
    const four = { ...cand('Matrix (1999) [4K]', 2), qs: 'optional' as const };
    const r = diffCatalogue(prev, [cand('Matrix (1999) 1080p', 1), four], new LibraryIndex(), { seq: 2 });
    expect(r.counts.upgraded).toBe(0);
  });

  it('checks the library: already downloaded, and an upgrade over what the library holds', () => {
    const lib = new LibraryIndex();
    lib.add(cand('Coringa (2019) 720p', 9).key, 'job-1');
    lib.add(cand('Matrix (1999)', 8).key, 'job-2'); // quality unknown: never "upgraded"
    const r = diffCatalogue(emptyCatalogue(), [cand('Coringa (2019) 1080p', 1), cand('Coringa (2019) 480p', 2), cand('Matrix (1999) 1080p', 3), cand('Tubarão (1975)', 4)], lib, { seq: 1 });
    expect(r.counts).toMatchObject({ new: 1, upgraded: 1, already_downloaded: 2 });
    expect(r.fresh.map((i) => i.name)).toEqual(['Coringa (2019) 1080p', 'Tubarão (1975)']);
    expect(lib.jobFor(cand('Coringa (2019) 1080p', 1).key)).toBe('job-1');
  });

  it('vanish guard: more than 20% gone at once removes nothing and reports it', () => {
    const many = (n = 20): Candidate[] => Array.from({ length: n }, (_, i) => cand(`Filme Número ${i + 1} (2001)`, 5000 + i));
    const prev = first(many());
    const r = diffCatalogue(prev, many(15), new LibraryIndex(), { seq: 2 }); // 25% gone
    expect(r.anomaly).toMatchObject({ kind: 'vanished', previous: 20, missing: 5 });
    expect(r.anomaly!.message).toMatch(/25%.*truncated/);
    expect(r.removed).toEqual([]);
    expect(r.counts.removed).toBe(0);
    expect(r.items).toHaveLength(20); // the missing ones stay listed
    // 15% is normal churn
    const ok = diffCatalogue(prev, many(17), new LibraryIndex(), { seq: 2 });
    expect([ok.anomaly, ok.counts.removed]).toEqual([null, 3]);
    // an empty list is always an anomaly; a change of filters never is
    expect(diffCatalogue(first(many(3)), [], new LibraryIndex(), { seq: 2 }).anomaly).not.toBeNull();
    expect(diffCatalogue(prev, many(15), new LibraryIndex(), { seq: 2, guard: false }).counts.removed).toBe(5);
  });

  it('an unchanged list gives byte-identical items (so the catalogue file is not rewritten)', () => {
    const prev = first(v1());
    const r = diffCatalogue(prev, v1(), new LibraryIndex(), { seq: 2 });
    expect(r.unchanged).toBe(true);
    expect(r.items).toEqual(prev.items);
    expect(r.removed).toEqual([]);
    expect(r.fresh).toEqual([]);
  });
});
