/**
 * The title a download gets when nobody typed one: the one rule the add form's suggestion (via
 * POST /api/probe's `title`) and the server's fallback for a job created without a title (REST,
 * MQTT, automations) both follow, so the two agree. Pure: callers bring the evidence they have.
 *
 * Evidence, best first: what the stream says about itself (a direct file's Content-Disposition
 * filename, an MP4's or MKV's title tag, a playlist's title), then a source item's name, then the title of
 * the page the browser extension found the stream on; only then the URL, cleaned (a path segment
 * that names something, never "index", "master", "v360p" or "chunklist_b800000"), and last the
 * host. Never empty.
 */

export interface TitleEvidence {
  url: string;
  /** The Content-Disposition header of the first response (a filename in it). */
  contentDisposition?: string | null | undefined;
  /** The media file's own title tag (MP4 ©nam, Matroska/WebM Segment Info Title). */
  mediaTitle?: string | null | undefined;
  /** A master playlist's / manifest's title (HLS session data com.apple.hls.title, DASH ProgramInformation Title). */
  playlistTitle?: string | null | undefined;
  /** The name of the source (M3U/Xtream) item the URL came from. */
  sourceName?: string | null | undefined;
  /** The title of the page the stream was found on (the browser extension sends it). */
  pageTitle?: string | null | undefined;
}

export const TITLE_SOURCES = ['disposition', 'media_tag', 'playlist', 'source', 'page', 'url', 'host'] as const;
export type TitleSource = (typeof TITLE_SOURCES)[number];

export interface SuggestedTitle {
  title: string;
  /** Where it came from, so a client can say "from the file's name" or "from the address". */
  from: TitleSource;
}

const MAX_TITLE = 200;

/** Path segments and names that say nothing about the content: the folder above is tried instead. */
const GENERIC = new Set([
  'index', 'master', 'playlist', 'prog_index', 'chunklist', 'manifest', 'stream', 'streams', 'video', 'videos',
  'hls', 'dash', 'mpd', 'main', 'media', 'output', 'mono', 'play', 'playback', 'live', 'vod', 'movie', 'movies',
  'series', 'tv', 'get', 'download', 'downloads', 'dl', 'file', 'files', 'content', 'contents', 'embed', 'player',
  'source', 'src', 'hd', 'sd', 'fhd', 'uhd', 'high', 'low', 'mid', 'medium', 'hi', 'lo', 'audio', 'default',
  'watch', 'view', 'cdn', 'static', 'assets', 'public', 'upload', 'uploads', 'api', 'raw', 'segment', 'segments',
  'iframe', 'iframes', 'hls_playlist', 'untitled', 'unknown', 'new', 'tmp', 'temp', 'clip', 'mp4', 'm3u8',
]);
/** Generic words with a suffix: chunklist_w123_b800000, master-v1, index_0_av, playlist_720. */
const GENERIC_PREFIXED = /^(chunklist|playlist|master|index|manifest|media|segment|seg|prog_index|iframes?|stream|video|audio)[_-]/i;
/** Quality, codec and release tags: a name's meaning stops at the first of them ("Movie 1999 1080p WEB-DL"). */
const JUNK = /^(v?\d{3,4}[pi]|v\d{3,4}|[48]k|uhd|fhd|hdr|hdr10\+?|dv|x26[45]|h\.?26[45]|hevc|avc|aac\d?(\.\d)?|ac3|e?ac3|ddp?\d?(\.\d)?|dts|web(-?dl|rip)?|blu-?ray|bdrip|brrip|hdtv|dvdrip|remux|proper|repack|multi|dual|10bit|8bit|\d+x\d+|\d+(k|kbps|m|mbps))$/i;
const MEDIA_EXT = /\.(m3u8?|mp4|m4v|m4a|mkv|ts|m2ts|mts|webm|mov|avi|mpd|flv|wmv|mpg|mpeg|3gp|ogv|mp3|aac|ogg|opus|flac|wav|html?|php|aspx?|jsp|json|xml|bin|part)$/i;
const TITLE_PARAMS = ['title', 'name', 'filename', 'file', 'fn'];

/** An id, a hash, a token or a bare number: means the URL has no title here, and what is above it may be credentials. */
function looksLikeId(s: string): boolean {
  const compact = s.replace(/[-_.\s]/g, '');
  if (compact.length < 3) return true;
  if (/^\d+$/.test(compact)) return true;
  if (/^[0-9a-f]{12,}$/i.test(compact)) return true;
  if (/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(s)) return true;
  // "aZ3kQ9xW2mP7vB1c": long, no separators, letters and digits mixed.
  if (/^[A-Za-z0-9]{12,}$/.test(s) && /\d/.test(s) && /[a-zA-Z]/.test(s) && !/^[A-Za-z]+\d{1,4}$/.test(s)) return true;
  return false;
}

/** Words that only say what kind of segment this is: skip to the folder above. */
function isGeneric(name: string): boolean {
  const s = name.toLowerCase();
  return GENERIC.has(s) || GENERIC_PREFIXED.test(s) || JUNK.test(s);
}

/** In a URL path, language folders (en, pt-br) and API versions (v1) say nothing either. */
function isNoise(stem: string): boolean {
  return isGeneric(stem) || /^[a-z]{2}(-[a-z]{2})?$/i.test(stem) || /^v\d{1,2}$/i.test(stem);
}

function clean(s: string): string {
  return s
    .normalize('NFC')
    .replace(/[\u0000-\u001f\u007f\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff]/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

function limit(s: string): string {
  return s.length <= MAX_TITLE ? s : `${s.slice(0, MAX_TITLE - 1).trimEnd()}…`;
}

/**
 * A file or folder name made readable: "The.Matrix.1999.1080p.BluRay.mkv" -> "The Matrix (1999)",
 * "my-show-s01e02" -> "My Show S01E02". Null when nothing meaningful is left.
 */
export function tidyName(raw: string): string | null {
  // Wowza names its streams "mp4:name".
  let s = clean(raw).replace(MEDIA_EXT, '').replace(/^(mp4|mp3|flv|smil|amlst):/i, '');
  // Dots, underscores and plus signs between words are separators; hyphens too when the name has no spaces.
  s = s.replace(/[._+]+/g, ' ');
  if (!s.includes(' ') && s.includes('-')) s = s.replace(/-+/g, ' ');
  s = s.replace(/\[[^\]]*\]|\{[^}]*\}/g, ' ').replace(/\s+/g, ' ').trim();
  const kept: string[] = [];
  for (const w of s.split(' ')) {
    if (JUNK.test(w)) break; // everything after the first quality/codec tag is release noise
    kept.push(w);
  }
  if (kept.length === 0) return null;
  let year: string | null = null;
  const yearMatch = /^\(?((?:19|20)\d\d)\)?$/.exec(kept[kept.length - 1]!);
  if (yearMatch && kept.length > 1) {
    year = yearMatch[1]!;
    kept.pop();
  }
  let title = kept.join(' ').replace(/[\s\-–—:|,]+$/, '').trim();
  if (!title || looksLikeId(title) || isGeneric(title)) return null;
  if (title === title.toLowerCase()) title = title.replace(/(^|\s)(\p{Ll})/gu, (_m, sp: string, c: string) => sp + c.toUpperCase());
  title = title.replace(/\bs(\d{1,2})e(\d{1,3})\b/gi, (_m, a: string, b: string) => `S${a}E${b}`);
  return limit(year ? `${title} (${year})` : title);
}

/** The filename a Content-Disposition header names (RFC 6266: `filename*` wins over `filename`). */
export function dispositionFilename(header: string | null | undefined): string | null {
  if (!header) return null;
  const extended = /filename\*\s*=\s*([^;]+)/i.exec(header)?.[1]?.trim();
  if (extended) {
    const m = /^([\w-]+)'[^']*'(.*)$/.exec(extended.replace(/^"|"$/g, ''));
    if (m) {
      try {
        return m[1]!.toLowerCase() === 'utf-8' ? decodeURIComponent(m[2]!) : unescape(m[2]!);
      } catch {
        /* a malformed escape: fall back to the plain filename */
      }
    }
  }
  const quoted = /filename\s*=\s*"((?:[^"\\]|\\.)*)"/i.exec(header)?.[1];
  if (quoted !== undefined) return quoted.replace(/\\(.)/g, '$1');
  return /filename\s*=\s*([^;\s]+)/i.exec(header)?.[1] ?? null;
}

/** A name given by a person or a tag (page title, source name, MP4 title): kept as written unless it says nothing. */
function givenName(raw: string | null | undefined): string | null {
  if (!raw) return null;
  const s = clean(raw);
  if (!s) return null;
  const bare = s.replace(MEDIA_EXT, '');
  if (isGeneric(bare) || looksLikeId(bare)) return null;
  // A tag holding a file name ("movie_final.mp4") reads better tidied.
  return MEDIA_EXT.test(s) ? tidyName(s) : limit(s);
}

/**
 * The URL's own title: a title-like query parameter, an S3-style response-content-disposition,
 * then the path from the file name up, skipping generic names and quality folders. An id or a
 * hash stops the walk (the folders above it may be credentials, as in Xtream's
 * /movie/<user>/<password>/<id>.mp4). Null when the URL names nothing.
 */
export function titleFromUrlPath(input: string): string | null {
  let url: URL;
  try {
    url = new URL(input.trim());
  } catch {
    return null;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
  for (const p of TITLE_PARAMS) {
    const v = url.searchParams.get(p);
    const t = v ? tidyName(v) : null;
    if (t) return t;
  }
  const fromDisposition = tidyName(dispositionFilename(url.searchParams.get('response-content-disposition')) ?? '');
  if (fromDisposition) return fromDisposition;
  const segments = url.pathname
    .split('/')
    .filter(Boolean)
    .map((s) => {
      try {
        return decodeURIComponent(s);
      } catch {
        return s;
      }
    })
    .reverse();
  for (const seg of segments) {
    const stem = seg.replace(MEDIA_EXT, '');
    if (isNoise(stem)) continue;
    if (looksLikeId(stem) || /^(seg|chunk|part|frag)[-_]?\d+/i.test(stem)) return null;
    const t = tidyName(seg);
    if (t) return t;
  }
  return null;
}

function hostTitle(input: string): string {
  try {
    return new URL(input.trim()).hostname.replace(/^www\./i, '') || 'download';
  } catch {
    return 'download';
  }
}

/**
 * Whether a job's title may still be replaced by stronger evidence: one the rule made from what
 * it had may; one a person gave (`user`), a source item's name (`source`), or one of unknown
 * origin (absent: a job stored before titles were settled) may not.
 */
export function titleMaySettle(from: string | undefined): from is TitleSource {
  return from !== undefined && from !== 'source' && (TITLE_SOURCES as readonly string[]).includes(from);
}

/** The title rule (see the top of this file). */
export function suggestTitle(evidence: TitleEvidence): SuggestedTitle {
  const candidates: Array<[TitleSource, () => string | null]> = [
    ['disposition', () => tidyName(dispositionFilename(evidence.contentDisposition) ?? '')],
    ['media_tag', () => givenName(evidence.mediaTitle)],
    ['playlist', () => givenName(evidence.playlistTitle)],
    ['source', () => givenName(evidence.sourceName)],
    ['page', () => givenName(evidence.pageTitle)],
    ['url', () => titleFromUrlPath(evidence.url)],
  ];
  for (const [from, pick] of candidates) {
    const title = pick();
    if (title) return { title, from };
  }
  return { title: hostTitle(evidence.url), from: 'host' };
}
