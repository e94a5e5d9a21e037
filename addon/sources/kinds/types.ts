/**
 * The one interface every kind of source implements (one file per kind, registered in
 * index.ts): fetch the provider's entries as a stream of batches, say which headers downloads
 * need, and turn a stored URL into the one to request.
 */
import type { z } from 'zod';
import type { ProviderKind } from '../../domain/provider.js';
import type { HttpClient } from '../../platform/http.js';
import type { Logger } from '../../platform/logger.js';
import type { Catalogue, CatalogueItem } from '../catalogue.js';
import type { ClassifyInput } from '../classify.js';
import type { M3uIssue } from '../m3u-parser.js';
import type { SourceKind, SourceRecord, SyncRecord } from '../model.js';

/** One entry of a provider's list. M3uEntry satisfies it as it is (no copy per entry). */
export interface SourceEntry extends ClassifyInput {
  url: string;
  headers: Record<string, string>;
  tvgLogo: string | null;
  /** The title to show, when it differs from the one classified (Xtream episodes). */
  name?: string;
  /** Facts from a structured API that win over what the title says. */
  override?: { season?: number | null; episode?: number | null; year?: number | null; tmdb?: string | null };
  /** Xtream series id, so episodes can be cached per series. */
  seriesRef?: string | null;
  /** An item carried over from the previous catalogue as it was (an Xtream series not refetched). */
  carried?: CatalogueItem;
}

export interface FetchContext {
  http: HttpClient;
  signal: AbortSignal;
  logger: Logger;
  /** The catalogue of the previous sync (empty on the first). */
  previous: Catalogue;
  /** keyTitle()s of the shows that rules follow: fetched first where a kind must choose. */
  followed: ReadonlySet<string>;
  /** Where an uploaded list is kept. */
  uploadPath: string;
}

export interface FetchSummary {
  malformed: number;
  issues: M3uIssue[];
  /** False when what came back was not a playlist at all (an HTML page): the sync fails. */
  looksLikeList: boolean;
  account?: SyncRecord['account'];
  /** Kind state to keep in the catalogue (Xtream: series -> last_modified). */
  state?: Record<string, unknown>;
  notes?: string[];
  /** XMLTV guide URLs the list names in its header (x-tvg-url / url-tvg). */
  epgUrls?: string[];
}

export interface SourceFetch {
  batches: AsyncIterable<SourceEntry[]>;
  /** Complete once the batches are consumed. */
  summary(): FetchSummary;
}

/** One source's connection to its provider, made by its kind's create(). */
export interface SourceConnection {
  fetch(ctx: FetchContext): Promise<SourceFetch>;
  /** Headers every download of the source sends (the entries' own headers win). */
  downloadHeaders(): Record<string, string>;
  /** The URL to request for a stored item URL (Xtream fills in the account). */
  resolveUrl(url: string): string;
}

/**
 * A kind of source (domain/provider.ts's ProviderKind): one file per kind exports one, index.ts
 * lists them. Its settings are the kind's own fields of the source record (url; server, username,
 * password; none for an uploaded file); request validation, "not a setting of this kind",
 * redaction of secrets (has_<field>) and GET /api/sources/kinds derive from it.
 */
export interface SourceKindDef<K extends SourceKind = SourceKind, S extends Record<string, unknown> = Record<string, unknown>>
  extends ProviderKind<K, S, SourceConnection, { source: SourceRecord }> {
  readonly settings: z.ZodObject<z.ZodRawShape> & z.ZodType<S, Record<string, unknown>>;
  readonly help: string;
}

export function defineSourceKind<K extends SourceKind, S extends Record<string, unknown>>(def: SourceKindDef<K, S>): SourceKindDef<K, S> {
  return Object.freeze(def);
}
