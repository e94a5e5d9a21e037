/**
 * Playlist sources as the API, the panel and the store see them. Backend contract: the UI imports
 * its types, so its only runtime import is domain/ (a leaf of constants).
 */
import { CATALOGUE_TYPES, type CatalogueType } from '../domain/content.js';
import type { Language } from './classify.js';
import type { Quality } from './quality.js';
import type { QualityStatus } from './quality-filter.js';

export const SOURCE_KINDS = ['m3u', 'file', 'xtream'] as const;
/** m3u: a list at a URL; file: an uploaded list; xtream: an Xtream Codes account (player_api.php). */
export type SourceKind = (typeof SOURCE_KINDS)[number];

/** What a source lists (live channels are never listed: they cannot be downloaded). */
export const ITEM_TYPES = CATALOGUE_TYPES;
export type ItemType = CatalogueType;

export const RULE_KINDS = ['series', 'group', 'title'] as const;
/** series: follow a show (queue its new episodes); group: a group-title pattern; title: a title pattern. */
export type RuleKind = (typeof RULE_KINDS)[number];

export interface Rule {
  id: string;
  name: string;
  enabled: boolean;
  kind: RuleKind;
  /** The show's name (series), or a pattern where `*` matches anything (group, title); case and accents ignored. */
  value: string;
  /** Only these types (all when empty). */
  content_types: ItemType[];
  /** Only this language version; any when null. */
  language: Language | null;
  /** At most this many downloads per sync. */
  max_per_sync: number;
  /** Report what the rule would queue (sync record `would_queue`) without queueing. */
  dry_run: boolean;
}

export interface QualitySettings {
  min: Quality;
  max: Quality;
  ceiling: Quality;
  accept_unknown: boolean;
}

export interface PrioritySettings {
  /** Movies released this many years ago or less are high priority. */
  high_max_age_years: number;
  /** Anything released more than this many years ago is low priority. */
  low_min_age_years: number;
}

export type SourceStatus = 'idle' | 'syncing' | 'ok' | 'failed';

/**
 * Where a running sync is: waiting (another source is syncing: one at a time), fetching (request
 * sent, no entries yet), parsing (entries streaming in; each is classified and filtered as it is
 * read, so classification has no phase of its own), diffing (against the previous catalogue and
 * the library), enriching (TMDB look-ups, when enabled), queueing (rules creating downloads),
 * guide (the programme guide of the list's channels).
 */
export const SYNC_PHASES = ['waiting', 'fetching', 'parsing', 'diffing', 'enriching', 'queueing', 'guide'] as const;
export type SyncPhase = (typeof SYNC_PHASES)[number];

/** A running sync's progress (event `sync.progress`, and `progress` on the source's view). */
export interface SyncProgress {
  source: { id: string; name: string };
  sync_id: string;
  phase: SyncPhase;
  /** Entries of the list read so far. */
  entries: number;
  /** Queueing: downloads created so far, of to_queue. */
  queued: number;
  to_queue: number | null;
  started_at: string;
}

/** A source as stored (db.json). Secrets live here and only here. */
export interface SourceRecord {
  id: string;
  name: string;
  kind: SourceKind;
  enabled: boolean;
  /** m3u: the list URL. */
  url: string | null;
  /** m3u: headers for the list request; also sent with every download of the source. */
  headers: Record<string, string>;
  /** xtream: http(s)://host:port */
  server: string | null;
  username: string | null;
  /** xtream: write-only through the API. */
  password: string | null;
  /** file: the uploaded list. */
  file: { name: string; size: number; uploaded_at: string } | null;
  /** Five-field cron expression (node-cron), or null for manual syncs only. */
  schedule: string | null;
  quality: QualitySettings;
  content_types: ItemType[];
  /** Patterns (`*` wildcard, case and accents ignored) on group-title; empty includes all. */
  include_groups: string[];
  exclude_groups: string[];
  rules: Rule[];
  priority: PrioritySettings;
  /** Connections the provider allows: every download of this source shares them. */
  connection_limit: number;
  /** An XMLTV guide URL set by hand, used with those the list names (x-tvg-url / url-tvg). Absent on older records. */
  epg_url?: string | null;
  status: SourceStatus;
  error: { code: string; message: string } | null;
  last_sync_at: string | null;
  last_sync_id: string | null;
  /** Generation of the catalogue: the number of successful syncs. */
  catalogue_seq: number;
  /** Items in the catalogue after the last successful sync. */
  item_count: number;
  created_at: string;
  updated_at: string;
}

/** A source as the API returns it: no password, credentials in URLs masked. */
export interface SourceView extends Omit<SourceRecord, 'password' | 'catalogue_seq' | 'url'> {
  url: string | null;
  has_password: boolean;
  /** When the schedule fires next, if it is set and the source enabled. */
  next_sync_at: string | null;
  /** The running sync's progress; null when none runs. */
  progress: SyncProgress | null;
}

/** A group-title for the include/exclude pickers (GET /api/sources/:id/groups). */
export interface GroupView {
  group: string;
  /** Items of the catalogue in the group (after the source's filters). */
  count: number;
  /** Entries the last sync saw in the list (before filters); null for a catalogue from before this was recorded. */
  entries: number | null;
}

export interface SyncCounts {
  /** Entries in the provider's list (every kind). */
  entries: number;
  /** Entries in the quality range and the source's filters (queued automatically if rules say so). */
  accepted: number;
  /** Listed but only selectable by hand: above the preferred quality (4K by default). */
  optional: number;
  /** Outside the quality limits. */
  rejected: number;
  /** Outside the source's content types or groups, or live channels. */
  filtered: number;
  /** The same item listed twice. */
  duplicates: number;
  /** Items not seen before (and not in the library). */
  new: number;
  /** Better quality of an item the catalogue or the library had. */
  upgraded: number;
  removed: number;
  /** Known items whose URL changed (providers rotate them). */
  changed_url: number;
  /** Known stream ids under a new title. */
  renamed: number;
  /** New or upgraded items the library already has. */
  already_downloaded: number;
  /** Downloads created by rules. */
  queued: number;
  /** Lines of the list that could not be read. */
  malformed: number;
  /** Items in the catalogue after the sync. */
  items: number;
}

export interface SyncAnomaly {
  kind: 'vanished';
  /** Items the previous catalogue had. */
  previous: number;
  /** Of those, how many this sync did not see. */
  missing: number;
  message: string;
}

export interface QueuedItem {
  item_id: number;
  title: string;
  rule: string;
  job_id: string | null;
}

export interface SyncRecord {
  id: string;
  source_id: string;
  trigger: 'manual' | 'schedule' | 'all';
  status: 'running' | 'completed' | 'failed';
  started_at: string;
  finished_at: string | null;
  duration_ms: number | null;
  /** Catalogue generation written by this sync (unchanged on failure). */
  seq: number;
  counts: SyncCounts;
  anomaly: SyncAnomaly | null;
  /** The first malformed lines (line number, problem, text). */
  issues: Array<{ line: number; kind: string; text: string }>;
  /** A few new titles, for notifications. */
  new_titles: string[];
  /** Remarks for a person ("120 series not read yet: the next syncs continue"). */
  notes: string[];
  queued: QueuedItem[];
  /** What dry-run rules (or a dry-run sync) would have queued. */
  would_queue: QueuedItem[];
  dry_run: boolean;
  error: { code: string; message: string } | null;
  /** Xtream: the account as the panel reports it. */
  account: { status: string | null; max_connections: number | null; expires_at: string | null } | null;
}

export const ITEM_STATUSES = ['new', 'upgrade', 'removed', 'downloaded', 'all'] as const;
export type ItemStatusFilter = (typeof ITEM_STATUSES)[number];
/** new/upgrade: since the last sync; downloaded: the library has it (completed or queued). */
export type ItemStatus = 'new' | 'upgrade' | 'downloaded' | 'removed' | 'listed';

export interface TmdbInfo {
  id: number;
  media_type: 'movie' | 'tv';
  title: string;
  original_title: string | null;
  overview: string | null;
  /** Full image URL. */
  poster: string | null;
  genres: string[];
  year: number | null;
}

/** One catalogue entry as the API returns it. */
export interface ItemView {
  id: number;
  status: ItemStatus;
  /** Clean title: the movie's, or the show's for an episode. */
  title: string;
  /** The title as the provider lists it. */
  name: string;
  content_type: ItemType;
  show: string | null;
  season: number | null;
  episode: number | null;
  episode_title: string | null;
  year: number | null;
  quality: Quality | null;
  quality_status: QualityStatus;
  language: Language | null;
  group: string | null;
  /** Credentials masked. */
  url: string;
  logo: string | null;
  priority: 'high' | 'medium' | 'low';
  /** The library's job for this item (or a better version of it), if any. */
  job_id: string | null;
  tmdb: TmdbInfo | null;
}
