/**
 * One sync of one source: stream the provider's entries, classify and filter each one as it
 * arrives, diff the result against the previous catalogue and the library, look up a few new
 * titles on TMDB, write the catalogue (only if it changed) and say what the rules would queue.
 * Creating jobs and recording the sync is the service's part (source-service.ts).
 */
import { createHash } from 'node:crypto';
import type { Logger } from '../platform/logger.js';
import type { Candidate, Catalogue, CatalogueItem } from './catalogue.js';
import type { CatalogueFiles, SeenGroup, StoredCatalogue } from './catalogue-file.js';
import { emptyCatalogue, sameListing } from './catalogue.js';
import type { EntryType } from '../domain/content.js';
import { createClassifier } from './classify.js';
import { channelFrom, type Channel } from '../live/channels.js';
import { diffCatalogueSteps, indexByKeySteps, type DiffCounts } from './diff.js';
import { identityKeys, keyTitle } from './identity.js';
import type { FetchContext, SourceConnection } from './kinds/types.js';
import type { LibraryIndex } from './library-index.js';
import type { M3uIssue } from './m3u-parser.js';
import type { ItemType, SourceRecord, SyncAnomaly, SyncCounts, SyncPhase, SyncRecord } from './model.js';
import type { Quality } from './quality.js';
import { judgeQuality, resolveQualityFilter } from './quality-filter.js';
import { evaluateRulesSteps, groupMatcher, type RuleMatch } from './rules.js';
import { drive, Pacer } from '../platform/pacer.js';
import type { TmdbClient } from './tmdb.js';

/** TMDB lookups per sync for new items (the rest are looked up when downloaded). */
export const TMDB_LOOKUPS_PER_SYNC = 40;
const TMDB_CONCURRENCY = 4;

export interface SyncInput {
  source: SourceRecord;
  /** The source's connection to its provider (kinds/index.ts connectSource). */
  kind: SourceConnection;
  previous: StoredCatalogue | null;
  library: LibraryIndex;
  /** Generation this sync writes. */
  seq: number;
  now: Date;
  signal: AbortSignal;
  fetch: Omit<FetchContext, 'previous' | 'followed' | 'signal'>;
  files: CatalogueFiles;
  tmdb: TmdbClient | null;
  logger: Logger;
  /** When the sync lets the event loop run (the API stays responsive during a big sync). Default: its own. */
  pacer?: Pacer;
  /** Called at each phase and after each batch of entries (the caller throttles what it publishes). */
  onProgress?: (phase: SyncPhase, entries: number) => void;
}

export interface SyncOutcome {
  catalogue: Catalogue;
  written: boolean;
  counts: Omit<SyncCounts, 'queued'>;
  anomaly: SyncAnomaly | null;
  issues: M3uIssue[];
  notes: string[];
  account: SyncRecord['account'];
  /** What the rules pick from this sync's fresh items. */
  matches: RuleMatch[];
  newTitles: string[];
  /** The live channels of the list (group filters applied), for the Channels view and recordings. */
  channels: Channel[];
  /** XMLTV guide URLs the list names (x-tvg-url / url-tvg). */
  epgUrls: string[];
  /** Every group-title of the list before filters, most entries first (kept for the group pickers). */
  groups: SeenGroup[];
}

/** Distinct group-titles remembered per sync: a list with more is not organised by group. */
export const MAX_GROUPS = 5_000;

/** Channels kept per source: a list of 100k channels is a mistake, not a line-up. */
export const MAX_CHANNELS = 20_000;

/** Hash of what decides which entries are listed: a change is a choice, not a truncated list. */
export function filtersHash(source: SourceRecord): string {
  const q = source.quality;
  return createHash('sha256')
    .update(JSON.stringify([source.content_types.slice().sort(), source.include_groups, source.exclude_groups, q.min, q.max, q.ceiling, q.accept_unknown]))
    .digest('base64url')
    .slice(0, 16);
}

export async function runSync(input: SyncInput): Promise<SyncOutcome> {
  const { source, signal } = input;
  const report = input.onProgress ?? ((): void => undefined);
  const pacer = input.pacer ?? new Pacer();
  const previous = input.previous?.catalogue ?? emptyCatalogue();
  const followed = new Set(source.rules.filter((r) => r.enabled && r.kind === 'series').map((r) => keyTitle(r.value)));
  report('fetching', 0);
  const fetched = await input.kind.fetch({ ...input.fetch, signal, previous, followed });
  const groupCounts = new Map<string, number>();
  const countGroup = (group: string | null): void => {
    if (group === null) return;
    const n = groupCounts.get(group);
    if (n !== undefined) groupCounts.set(group, n + 1);
    else if (groupCounts.size < MAX_GROUPS) groupCounts.set(group, 1);
  };

  const classify = createClassifier({ currentYear: input.now.getUTCFullYear() });
  const qualityCfg = resolveQualityFilter({ min: source.quality.min, max: source.quality.max, ceiling: source.quality.ceiling, acceptUnknown: source.quality.accept_unknown });
  const types = new Set<ItemType>(source.content_types);
  const include = groupMatcher(source.include_groups);
  const exclude = groupMatcher(source.exclude_groups);
  const counts = { entries: 0, accepted: 0, optional: 0, rejected: 0, filtered: 0, duplicates: 0 };
  const seen = new Set<string>();
  const current: Candidate[] = [];
  const channels: Channel[] = [];
  const channelIds = new Set<string>();
  const prevByKey = await drive(indexByKeySteps(previous.items), pacer);
  /** An entry that says what the previous catalogue said is kept as the previous object. */
  const push = (c: Candidate): void => {
    const p = prevByKey.get(c.key);
    current.push(p && sameListing(c, p) ? p : c);
  };

  /** Type, group and quality filters; the quality status, or null when the entry is left out. */
  const verdictFor = (type: EntryType, group: string | null, quality: Quality | null): Candidate['qs'] | null => {
    if (type === 'live' || !types.has(type as ItemType) || (include && !include(group)) || (exclude && exclude(group))) {
      counts.filtered++;
      return null;
    }
    const verdict = judgeQuality(quality, qualityCfg);
    if (verdict.status === 'rejected') {
      counts.rejected++;
      return null;
    }
    return verdict.status;
  };
  const keep = (key: string, qs: Candidate['qs']): boolean => {
    if (seen.has(key)) {
      counts.duplicates++;
      return false;
    }
    seen.add(key);
    if (qs === 'optional') counts.optional++;
    else counts.accepted++;
    return true;
  };

  for await (const batch of fetched.batches) {
    if (signal.aborted) throw signal.reason;
    for (const e of batch) {
      // A batch can hold thousands of entries: classifying them all at once stalls the API.
      if (pacer.due()) await pacer.yield();
      counts.entries++;
      if (e.carried) {
        const c = e.carried;
        countGroup(c.group);
        const qs = verdictFor(c.type, c.group, c.quality);
        if (qs !== null && keep(c.key, qs)) push(c.qs === qs ? c : { ...c, qs });
        continue;
      }
      const cls = classify(e);
      countGroup(cls.group);
      if (cls.contentType === 'live' && channels.length < MAX_CHANNELS && (!include || include(cls.group)) && !(exclude && exclude(cls.group))) {
        const channel = channelFrom(source.id, e, cls.cleanTitle, cls.group);
        if (!channelIds.has(channel.id)) {
          channelIds.add(channel.id);
          channels.push(channel);
        }
      }
      const qs = verdictFor(cls.contentType, cls.group, cls.quality);
      if (qs === null) continue;
      const o = e.override;
      const type = cls.contentType as ItemType;
      const episodic = type === 'series' || type === 'novela';
      const season = episodic ? (o?.season ?? cls.season) : null;
      const episode = episodic ? (o?.episode ?? cls.episode) : null;
      const year = cls.year ?? o?.year ?? null;
      const key = identityKeys({
        contentType: type,
        cleanTitle: cls.cleanTitle,
        show: cls.show,
        year,
        season,
        episode,
        language: cls.language,
        qualityRank: cls.qualityRank,
      }).variantKey;
      if (!keep(key, qs)) continue;
      const p = cls.providerIds;
      // One literal with every field, in CatalogueItem's order: one hidden class for all items.
      push({
        id: 0,
        key,
        name: e.name ?? e.title,
        title: cls.cleanTitle,
        type,
        year,
        season,
        episode,
        episode_title: cls.episodeTitle,
        quality: cls.quality,
        qs,
        language: cls.language,
        group: cls.group,
        url: e.url,
        headers: hasKeys(e.headers) ? e.headers : null,
        logo: e.tvgLogo,
        tmdb: o?.tmdb ?? p.tmdb ?? null,
        sid: p.streamId && p.streamType ? `${p.host ?? ''}|${p.streamType}|${p.streamId}` : null,
        series_ref: e.seriesRef ?? null,
        added: 0,
        upgraded: 0,
        url_changed: 0,
        removed: 0,
        meta: null,
      });
    }
    report('parsing', counts.entries);
  }
  const summary = fetched.summary();
  if (!summary.looksLikeList) {
    const err = new Error('the provider did not send an M3U playlist (no #EXTM3U header and no entries): check the URL and headers');
    (err as Error & { code: string }).code = 'not_a_playlist';
    throw err;
  }

  const hash = filtersHash(source);
  report('diffing', counts.entries);
  const diff = await drive(
    diffCatalogueSteps(previous, current, input.library, {
      seq: input.seq,
      guard: input.previous === null || previous.filtersHash === hash,
      prevByKey,
      currentKeys: seen,
    }),
    pacer,
  );

  if (input.tmdb?.enabled && diff.fresh.length > 0) {
    report('enriching', counts.entries);
    await enrich(input.tmdb, diff.fresh, signal);
  }

  const catalogue: Catalogue = {
    items: diff.items,
    removed: diff.removed,
    nextId: diff.nextId,
    seq: input.seq,
    filtersHash: hash,
    state: summary.state ?? {},
  };
  // Same items as before (and nothing looked up): leave the file alone without serialising it.
  const unchanged = diff.unchanged && input.previous !== null && previous.filtersHash === hash && sameState(previous.state, catalogue.state);
  if (unchanged) catalogue.seq = previous.seq;
  else await input.files.write(source.id, catalogue, pacer);
  const groups = [...groupCounts].map(([group, entries]) => ({ group, entries })).sort((a, b) => b.entries - a.entries || a.group.localeCompare(b.group));
  await input.files.writeGroups(source.id, groups);

  const matches = await drive(
    evaluateRulesSteps(source.rules, diff.fresh, {
      now: input.now,
      priority: { highMaxAgeYears: source.priority.high_max_age_years, lowMinAgeYears: source.priority.low_min_age_years },
    }),
    pacer,
  );
  const newTitles: string[] = [];
  for (const item of diff.fresh) {
    if (newTitles.length >= 10) break;
    if (item.added === input.seq) newTitles.push(displayTitle(item));
  }
  const diffCounts: DiffCounts = diff.counts;
  return {
    catalogue,
    written: !unchanged,
    counts: { ...counts, ...diffCounts, malformed: summary.malformed, items: diff.items.length },
    anomaly: diff.anomaly,
    issues: summary.issues.slice(0, 20),
    notes: summary.notes ?? [],
    account: summary.account ?? null,
    matches,
    newTitles,
    channels,
    epgUrls: summary.epgUrls ?? [],
    groups,
  };
}

/** Looks up a bounded number of distinct titles; episodes of one show share a lookup. */
async function enrich(tmdb: TmdbClient, fresh: readonly CatalogueItem[], signal: AbortSignal): Promise<void> {
  const byQuery = new Map<string, CatalogueItem[]>();
  for (const item of fresh) {
    if (item.meta || item.type === 'other') continue;
    const q = `${item.type === 'movie' ? 'movie' : 'tv'}|${item.title}|${item.type === 'movie' ? (item.year ?? '') : ''}`;
    const l = byQuery.get(q);
    if (l) l.push(item);
    else if (byQuery.size < TMDB_LOOKUPS_PER_SYNC) byQuery.set(q, [item]);
  }
  const queue = [...byQuery.values()];
  const worker = async (): Promise<void> => {
    for (let group = queue.shift(); group; group = queue.shift()) {
      if (signal.aborted) return;
      const first = group[0]!;
      const meta = await tmdb.lookup({ kind: first.type === 'movie' ? 'movie' : 'tv', title: first.title, year: first.type === 'movie' ? first.year : null }, signal);
      if (meta) for (const item of group) item.meta = meta;
    }
  };
  await Promise.all(Array.from({ length: TMDB_CONCURRENCY }, worker));
}

/** "Title (2024)", "Show S01E02": how an item is named in messages and job titles. */
export function displayTitle(item: Pick<CatalogueItem, 'type' | 'title' | 'year' | 'season' | 'episode' | 'episode_title'>): string {
  if ((item.type === 'series' || item.type === 'novela') && item.episode !== null) {
    const se = `S${String(item.season ?? 1).padStart(2, '0')}E${String(item.episode).padStart(2, '0')}`;
    return `${item.title} ${se}${item.episode_title ? ` - ${item.episode_title}` : ''}`;
  }
  return item.year !== null ? `${item.title} (${item.year})` : item.title;
}

function sameState(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function hasKeys(o: Record<string, string>): boolean {
  for (const _ in o) return true;
  return false;
}
