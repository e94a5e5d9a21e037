/**
 * What the extension lists for a tab, decided from what webRequest shows: pure functions, no
 * browser API, so they are table-tested in Node (tests/extension/detect.test.ts).
 *
 * Listed: HLS playlists and DASH manifests (by Content-Type or extension), and plain media files
 * a page plays or opens (a <video> source, a link opened in the tab) above a size floor.
 * Not listed: segments, keys and init sections (players fetch those with XHR/fetch, and they
 * have no playlist type), small files (previews, adverts), failed responses.
 * A master playlist and the variant, audio and subtitle playlists it names collapse into one
 * entry once the server's probe has said which playlists the master names.
 */

export type EntryKind = 'hls' | 'dash' | 'direct';

/** Files below this size are not worth listing: thumbnails' previews, adverts, sounds. */
export const DIRECT_MIN_BYTES = 1024 * 1024;

const HLS_TYPES = new Set(['application/vnd.apple.mpegurl', 'application/x-mpegurl', 'audio/mpegurl', 'audio/x-mpegurl']);
const DASH_TYPES = new Set(['application/dash+xml']);
const DIRECT_EXTENSIONS = new Set(['mp4', 'm4v', 'mkv', 'webm', 'mov', 'ts']);
/** webRequest resource types a page uses to play or open a whole file (not to feed a player segments). */
const WHOLE_FILE_TYPES = new Set(['media', 'main_frame', 'sub_frame', 'other', 'object']);

export interface ObservedResponse {
  url: string;
  method: string;
  /** webRequest's resource type: xmlhttprequest (also fetch), media, main_frame, ... */
  type: string;
  statusCode: number;
  responseHeaders: ReadonlyArray<{ name: string; value?: string | undefined }>;
}

export interface Classified {
  kind: EntryKind;
  contentType: string | null;
  /** The whole file's size when the response tells it (Content-Range total, else Content-Length). */
  size: number | null;
}

function headerValue(headers: ObservedResponse['responseHeaders'], name: string): string | null {
  const found = headers.find((h) => h.name.toLowerCase() === name);
  return found?.value ?? null;
}

export function extensionOf(url: string): string {
  try {
    const last = new URL(url).pathname.split('/').pop() ?? '';
    const dot = last.lastIndexOf('.');
    return dot > 0 ? last.slice(dot + 1).toLowerCase() : '';
  } catch {
    return '';
  }
}

function sizeOf(headers: ObservedResponse['responseHeaders']): number | null {
  const total = /\/(\d+)\s*$/.exec(headerValue(headers, 'content-range') ?? '')?.[1];
  if (total) return Number(total);
  const length = Number(headerValue(headers, 'content-length') ?? NaN);
  return Number.isFinite(length) && length >= 0 && !headerValue(headers, 'content-range') ? length : null;
}

/** What a response is, or null when it is not worth listing. */
export function classifyResponse(r: ObservedResponse): Classified | null {
  if (r.method !== 'GET' || r.statusCode < 200 || r.statusCode >= 300) return null;
  if (!/^https?:/.test(r.url)) return null;
  const contentType = headerValue(r.responseHeaders, 'content-type')?.split(';')[0]?.trim().toLowerCase() || null;
  const ext = extensionOf(r.url);
  const size = sizeOf(r.responseHeaders);
  if ((contentType && HLS_TYPES.has(contentType)) || ext === 'm3u8') return { kind: 'hls', contentType, size };
  if ((contentType && DASH_TYPES.has(contentType)) || ext === 'mpd') return { kind: 'dash', contentType, size };
  const mediaType = contentType !== null && (contentType.startsWith('video/') || contentType.startsWith('audio/'));
  if (!mediaType && !DIRECT_EXTENSIONS.has(ext)) return null;
  // Players fetch segments and init sections with XHR/fetch; a whole file is played or opened.
  if (!WHOLE_FILE_TYPES.has(r.type)) return null;
  if (contentType !== null && !mediaType && contentType !== 'application/octet-stream' && contentType !== 'binary/octet-stream') return null;
  if (size !== null && size < DIRECT_MIN_BYTES) return null;
  return { kind: 'direct', contentType, size };
}

/** Request headers a download must repeat to be let in; the browser manages the rest itself. */
const BROWSER_MANAGED = new Set([
  'accept', 'accept-encoding', 'accept-language', 'cache-control', 'connection', 'content-length', 'content-type',
  'dnt', 'host', 'if-match', 'if-modified-since', 'if-none-match', 'if-range', 'if-unmodified-since', 'pragma',
  'priority', 'range', 'te', 'transfer-encoding', 'upgrade', 'upgrade-insecure-requests', 'referer', 'x-client-data',
]);
/** Credentials: sent to the server only when the user ticks "Send cookies" in the options. */
const CREDENTIALS = new Set(['cookie', 'authorization']);

export interface CapturedHeaders {
  referer: string | null;
  /** Origin, User-Agent, a player's own headers (tokens, X-...), and cookies when allowed. */
  headers: Record<string, string>;
}

export function captureHeaders(requestHeaders: ReadonlyArray<{ name: string; value?: string | undefined }>, options: { includeCookies: boolean }): CapturedHeaders {
  let referer: string | null = null;
  const headers: Record<string, string> = {};
  for (const { name, value } of requestHeaders) {
    if (value === undefined) continue;
    const lower = name.toLowerCase();
    if (lower === 'referer') {
      referer = /^https?:\/\//.test(value) ? value : null;
      continue;
    }
    if (BROWSER_MANAGED.has(lower) || lower.startsWith('sec-') || lower.startsWith('proxy-')) continue;
    if (CREDENTIALS.has(lower) && !options.includeCookies) continue;
    if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name) || /[\r\n\0]/.test(value)) continue;
    headers[canonical(lower)] = value;
  }
  return { referer, headers };
}

function canonical(lower: string): string {
  return lower.replace(/(^|-)([a-z])/g, (_m, dash: string, c: string) => dash + c.toUpperCase());
}

/** The probe's answer as the extension keeps it (the server's POST /api/probe body). */
export interface ProbeSummary {
  kind: EntryKind;
  variants: Array<{ height: number | null; width: number | null; bandwidth: number; codecs: string | null; url: string | null; estimated_bytes: number | null }>;
  audio: Array<{ language: string | null; name: string; url: string | null }>;
  subtitles: Array<{ language: string | null; name: string; url: string | null }>;
  duration_s: number | null;
  estimated_bytes: number | null;
  live: boolean;
  drm: boolean;
  container: string | null;
  note: string | null;
  /** The server's title for it (the file's name or tag, the playlist's title, the page title, the URL); absent from older servers. */
  title?: string;
  title_from?: string;
}

export type ProbeState =
  | { state: 'pending' }
  | { state: 'done'; result: ProbeSummary }
  | { state: 'error'; code: string; message: string };

export interface JobState {
  id: string;
  status: string;
  progress: number;
  location: string | null;
  error: string | null;
}

export interface Entry {
  /** The URL without its fragment: one entry per URL per tab. */
  url: string;
  kind: EntryKind;
  firstSeen: number;
  lastSeen: number;
  referer: string | null;
  headers: Record<string, string>;
  size: number | null;
  pageUrl: string | null;
  pageTitle: string | null;
  probe: ProbeState | null;
  job: JobState | null;
}

export function entryKey(url: string): string {
  const hash = url.indexOf('#');
  return hash === -1 ? url : url.slice(0, hash);
}

/**
 * Adds a response to a tab's entries, or refreshes the one with the same URL (a live playlist
 * is fetched again and again): the newest headers win, what the probe and a job found stays.
 */
export function upsertEntry(entries: readonly Entry[], seen: Omit<Entry, 'firstSeen' | 'lastSeen' | 'probe' | 'job'>, now: number): { entries: Entry[]; added: boolean } {
  const url = entryKey(seen.url);
  const existing = entries.find((e) => e.url === url);
  if (existing) {
    const updated: Entry = { ...existing, lastSeen: now, referer: seen.referer ?? existing.referer, headers: { ...existing.headers, ...seen.headers }, size: seen.size ?? existing.size };
    return { entries: entries.map((e) => (e === existing ? updated : e)), added: false };
  }
  return { entries: [...entries, { ...seen, url, firstSeen: now, lastSeen: now, probe: null, job: null }], added: true };
}

/** URLs some entry's probe named as its variants, audio or subtitles: those entries are parts of it. */
function namedByOthers(entries: readonly Entry[]): Set<string> {
  const named = new Set<string>();
  for (const e of entries) {
    if (e.probe?.state !== 'done') continue;
    const r = e.probe.result;
    for (const t of [...r.variants, ...r.audio, ...r.subtitles]) if (t.url && entryKey(t.url) !== e.url) named.add(entryKey(t.url));
  }
  return named;
}

/** What the popup shows and the badge counts: the tab's entries, parts collapsed, newest first. */
export function visibleEntries(entries: readonly Entry[]): Entry[] {
  const named = namedByOthers(entries);
  return entries.filter((e) => !named.has(e.url)).sort((a, b) => b.firstSeen - a.firstSeen);
}

/** Quality choices for the popup: one per distinct height, highest first, values as POST /api/downloads takes them. */
export function qualityChoices(probe: ProbeSummary | null): Array<{ value: string; label: string }> {
  if (!probe || probe.variants.length === 0) return [];
  const seen = new Set<number>();
  const out: Array<{ value: string; label: string }> = [];
  for (const v of [...probe.variants].sort((a, b) => (b.height ?? 0) - (a.height ?? 0))) {
    if (v.height === null || seen.has(v.height)) continue;
    seen.add(v.height);
    const size = v.estimated_bytes !== null ? ` · ~${formatBytes(v.estimated_bytes)}` : '';
    out.push({ value: `${v.height}p`, label: `${v.height}p${size}` });
  }
  return out;
}

export function formatBytes(n: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let value = n;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${value >= 100 || unit === 0 ? Math.round(value) : value.toFixed(1)} ${units[unit]}`;
}

export function formatDuration(seconds: number): string {
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${rest}` : `${m}:${rest}`;
}
