/**
 * One sync's list against the previous catalogue and the library. Pure.
 *
 * Identity comes from keys, never URLs (providers rotate them). Match order for each item of
 * the new list (shared/notes/iptv.md "Identity across syncs"):
 *   1. the same variantKey: a known item (its URL may have changed: counted, not new);
 *   2. the same work and language in another quality: an upgrade when strictly better and in
 *      the accepted range, else a mere variant; a vanished lower variant is superseded, not removed;
 *   3. the provider's TMDB id, then host + stream type + stream id, of an item that vanished:
 *      the same item renamed;
 *   4. a movie whose title matches a vanished one with the year one off or missing, when that
 *      is the only candidate ('probable'): renamed;
 *   5. otherwise new.
 * Items of the previous catalogue left unmatched are removed, unless more than `vanishRatio` of
 * it vanished at once (providers return truncated lists): then nothing is removed, they stay
 * listed, and the result carries an anomaly.
 */
import { languageKeyOf, rankOf, sameListing, workKeyOf, type Candidate, type Catalogue, type CatalogueItem } from './catalogue.js';
import { compareMovieKeys, parseMovieKey } from './identity.js';
import type { LibraryIndex, LibraryStatus } from './library-index.js';
import type { SyncAnomaly } from './model.js';
import { runToEnd, STEP_ITEMS, type Steps } from '../domain/steps.js';

export interface DiffOptions {
  /** Generation of this sync. */
  seq: number;
  /** Removals are held back when more than this share of the previous catalogue vanished. Default 0.2. */
  vanishRatio?: number;
  /** The ratio is only judged on catalogues at least this big (an empty list always is). Default 10. */
  vanishMinPrevious?: number;
  /** False when the source's filters changed since the previous catalogue: items left on purpose. */
  guard?: boolean;
}

export interface DiffCounts {
  new: number;
  upgraded: number;
  removed: number;
  changed_url: number;
  renamed: number;
  already_downloaded: number;
}

export interface DiffResult {
  items: CatalogueItem[];
  removed: CatalogueItem[];
  nextId: number;
  counts: DiffCounts;
  anomaly: SyncAnomaly | null;
  /** New or upgraded in this sync and not in the library: what rules look at. List order. */
  fresh: CatalogueItem[];
  /** Items and tombstones exactly as before: nothing to write. */
  unchanged: boolean;
}

const MAX_RANK = 8;

/** previous.items by key (a sync builds it once and uses it while streaming too). */
export function indexByKey(items: readonly CatalogueItem[]): Map<string, CatalogueItem> {
  return runToEnd(indexByKeySteps(items));
}

/** indexByKey as steps (domain/steps.ts). */
export function* indexByKeySteps(items: readonly CatalogueItem[]): Steps<Map<string, CatalogueItem>> {
  const m = new Map<string, CatalogueItem>();
  let step = 0;
  for (const p of items) {
    if (++step === STEP_ITEMS) {
      step = 0;
      yield;
    }
    m.set(p.key, p);
  }
  return m;
}

/**
 * `current` must hold distinct keys. An element may be the previous catalogue's own object (the
 * entry said exactly what it said before: a sync substitutes it while streaming, so an unchanged
 * 200k list does not hold two copies); other elements become the result's items, filled in
 * place. The array itself becomes `items`. `previous` is never modified.
 */
export function diffCatalogue(previous: Catalogue, current: Candidate[], library: LibraryIndex, options: DiffCatalogueOptions): DiffResult {
  return runToEnd(diffCatalogueSteps(previous, current, library, options));
}

export type DiffCatalogueOptions = DiffOptions & { prevByKey?: Map<string, CatalogueItem>; currentKeys?: ReadonlySet<string> };

/** diffCatalogue as steps (domain/steps.ts): a sync drives it and lets requests in between. */
export function* diffCatalogueSteps(previous: Catalogue, current: Candidate[], library: LibraryIndex, options: DiffCatalogueOptions): Steps<DiffResult> {
  const seq = options.seq;
  const counts: DiffCounts = { new: 0, upgraded: 0, removed: 0, changed_url: 0, renamed: 0, already_downloaded: 0 };
  let nextId = previous.nextId;

  let currentKeys = options.currentKeys;
  if (!currentKeys) {
    const keys = new Set<string>();
    for (const c of current) keys.add(c.key);
    currentKeys = keys;
  }
  const prevByKey = options.prevByKey ?? indexByKey(previous.items);
  const vanishedBySid = new Map<string, CatalogueItem>();
  const vanishedByTmdb = new Map<string, CatalogueItem>();
  const vanishedMovies = new Map<string, CatalogueItem[]>();
  let step = 0;
  for (const p of previous.items) {
    if (++step === STEP_ITEMS) {
      step = 0;
      yield;
    }
    if (currentKeys.has(p.key)) continue;
    if (p.sid) vanishedBySid.set(p.sid, p);
    if (p.tmdb) vanishedByTmdb.set(tmdbKey(p), p);
    if (p.type === 'movie') {
      const title = parseMovieKey(workKeyOf(p.key))?.title;
      if (title !== undefined) {
        const l = vanishedMovies.get(title);
        if (l) l.push(p);
        else vanishedMovies.set(title, [p]);
      }
    }
  }

  const matched = new Set<CatalogueItem>();
  const fresh: CatalogueItem[] = [];
  // Same items in the same order so far (an unchanged list is not even serialised).
  let same = current.length === previous.items.length && previous.removed.length === 0;
  const carry = (c: CatalogueItem, p: CatalogueItem, keepMeta: boolean): void => {
    c.id = p.id;
    c.added = p.added;
    c.upgraded = p.upgraded;
    c.url_changed = p.url === c.url ? p.url_changed : seq;
    c.removed = 0;
    c.meta = keepMeta ? p.meta : null;
  };

  for (let i = 0; i < current.length; i++) {
    if (++step === STEP_ITEMS) {
      step = 0;
      yield;
    }
    const c = current[i]!;
    const prevSame = prevByKey.get(c.key);
    if (prevSame) {
      matched.add(prevSame);
      if (c !== prevSame && sameListing(c, prevSame)) current[i] = prevSame;
      if (current[i] === prevSame) {
        if (previous.items[i] !== prevSame) same = false;
      } else {
        if (prevSame.url !== c.url) counts.changed_url++;
        carry(c, prevSame, true);
        same = false;
      }
      continue;
    }
    same = false;

    // The same work and language in other qualities: variantKey is `{languageKey}|{rank}`.
    const lang = prevByKey.size > 0 ? languageKeyOf(c.key) : '';
    let best = -1;
    let replaced: CatalogueItem | null = null;
    let origin: CatalogueItem | null = null;
    for (let r = 0; r <= MAX_RANK && prevByKey.size > 0; r++) {
      const v = prevByKey.get(`${lang}|${r}`);
      if (!v) continue;
      origin ??= v;
      best = r;
      if (!currentKeys.has(v.key) && !matched.has(v)) {
        matched.add(v); // superseded by this variant, not removed
        replaced ??= v;
      }
    }
    if (origin) {
      const from = replaced ?? origin;
      c.id = replaced ? replaced.id : nextId++;
      c.added = from.added;
      c.upgraded = from.upgraded;
      c.url_changed = 0;
      c.removed = 0;
      c.meta = from.meta;
      if (c.qs === 'accepted' && rankOf(c.key) > best) {
        c.upgraded = seq;
        judge(c, 'upgrade');
      }
      continue;
    }

    let renamedFrom: CatalogueItem | null = null;
    if (c.tmdb) renamedFrom = unmatched(vanishedByTmdb.get(tmdbKey(c)));
    if (!renamedFrom && c.sid) renamedFrom = unmatched(vanishedBySid.get(c.sid));
    if (!renamedFrom && c.type === 'movie') {
      const work = workKeyOf(c.key);
      const title = parseMovieKey(work)?.title;
      const candidates = (title !== undefined ? vanishedMovies.get(title) : undefined)?.filter(
        (p) => !matched.has(p) && languageOf(p.key) === languageOf(c.key) && compareMovieKeys(work, workKeyOf(p.key)) === 'probable',
      );
      if (candidates && new Set(candidates.map((p) => workKeyOf(p.key))).size === 1) renamedFrom = candidates[0]!;
    }
    if (renamedFrom) {
      matched.add(renamedFrom);
      counts.renamed++;
      carry(c, renamedFrom, false);
      continue;
    }

    c.id = nextId++;
    c.added = seq;
    c.upgraded = 0;
    c.url_changed = 0;
    c.removed = 0;
    c.meta = null;
    judge(c, 'new');
  }
  const items = current as CatalogueItem[];

  let removed: CatalogueItem[] = [];
  if (matched.size < previous.items.length) {
    for (const p of previous.items) {
      if (++step === STEP_ITEMS) {
        step = 0;
        yield;
      }
      if (!matched.has(p)) removed.push(p);
    }
  }

  let anomaly: SyncAnomaly | null = null;
  const prevCount = previous.items.length;
  const ratio = options.vanishRatio ?? 0.2;
  const minPrevious = options.vanishMinPrevious ?? 10;
  if (
    options.guard !== false &&
    removed.length > 0 &&
    (current.length === 0 || (prevCount >= minPrevious && removed.length / prevCount > ratio))
  ) {
    anomaly = {
      kind: 'vanished',
      previous: prevCount,
      missing: removed.length,
      message: `${removed.length} of ${prevCount} items (${Math.round((removed.length / prevCount) * 100)}%) are missing from the list at once; the provider probably returned a truncated list, so nothing was marked removed`,
    };
    for (const p of removed) items.push(p);
    removed = [];
  } else {
    removed = removed.map((p) => ({ ...p, removed: seq }));
  }
  counts.removed = removed.length;
  return { items, removed, nextId, counts, anomaly, fresh, unchanged: same && removed.length === 0 && nextId === previous.nextId };

  function unmatched(p: CatalogueItem | undefined): CatalogueItem | null {
    return p && !matched.has(p) ? p : null;
  }

  function judge(item: CatalogueItem, change: 'new' | 'upgrade'): void {
    const lib: LibraryStatus = library.statusOf(item.key, item.qs === 'accepted');
    if (lib === 'downloaded') {
      counts.already_downloaded++;
      return;
    }
    if (change === 'upgrade' || lib === 'upgrade') counts.upgraded++;
    else counts.new++;
    fresh.push(item);
  }
}

/** The language part of a variantKey (`dubbed`, `subtitled`, `dual` or `-`). */
function languageOf(key: string): string {
  const last = key.lastIndexOf('|');
  return key.slice(key.lastIndexOf('|', last - 1) + 1, last);
}

function tmdbKey(i: Pick<CatalogueItem, 'tmdb' | 'type' | 'season' | 'episode' | 'language'>): string {
  return `${i.tmdb}|${i.type}|${i.season ?? ''}|${i.episode ?? ''}|${i.language ?? ''}`;
}
