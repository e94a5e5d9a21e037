/**
 * File and path names from untrusted outside text (playlist titles, URLs, API users) that are
 * safe on every place a download can land: ext4/btrfs volumes, Samba/SMB shares browsed from
 * Windows, SFTP and rsync targets, and Plex/Jellyfin/Kodi scanners. Pure: no I/O, no imports.
 *
 * What one sanitised path component guarantees:
 * - Unicode NFC (macOS clients may show NFD names from other tools as a different file).
 * - No control characters (C0, DEL, C1), no bidi controls (U+202A-U+202E, U+2066-U+2069,
 *   LRM/RLM/ALM) that make `exe.mp4` look like `mp4.exe`, no zero-width or other invisible
 *   format characters (ZWJ/ZWNJ and variation selectors stay: emoji and scripts need them), no
 *   unpaired surrogates, no noncharacters. Tabs, newlines and Unicode spaces become one space.
 * - None of `< > : " / \ | ? *`: `": "` becomes `" - "` ("Missão: Impossível" ->
 *   "Missão - Impossível"), any other `:` and `/ \ |` become `-`, `"` becomes `'`, and
 *   `< > ? *` are dropped. So a component can never contain a path separator.
 * - No leading dots, spaces or hyphens (no hidden files, never `.` or `..`, never read as a
 *   command-line option by smbclient/rsync/ssh), no trailing dots or spaces (Windows and
 *   Samba's name mangling drop them, which breaks renames).
 * - Not a Windows device name (CON, PRN, AUX, NUL, COM0-9, LPT0-9, COM¹²³/LPT¹²³, CONIN$,
 *   CONOUT$), also not with an extension (`nul.mp4`): `_` is appended to the stem (`CON_`).
 * - At most `maxBytes` (default 255) bytes of UTF-8, cut at a grapheme boundary (never inside
 *   a multi-byte character or an emoji sequence). A short trailing extension (`.mp4`) survives
 *   the cut. Never empty: the fallback is used when nothing is left.
 *
 * Not handled here: case-insensitive collisions (a share may treat `a.mp4` and `A.mp4` as one
 * file; pass an `exists` that knows this to `uniqueName`), characters special to a shell or to
 * smbclient's `-c` command string such as `;` `'` `$` (legal in names: never build command
 * strings from them), and limits on the length of a whole path (PATH_MAX, Windows MAX_PATH).
 */

/** Linux, macOS, NTFS and SMB all limit one path component to 255 (bytes or UTF-16 units). */
export const MAX_COMPONENT_BYTES = 255;
/** Suffix of a file still being written; final names leave room for it (see naming.ts). */
export { PART_SUFFIX } from '../domain/media.js';

export interface SanitizeOptions {
  /** Byte budget for the result in UTF-8, default 255. Lower it to leave room for a suffix. */
  maxBytes?: number;
}

const encoder = new TextEncoder();

/** Length of `s` in UTF-8 bytes. */
export function utf8Bytes(s: string): number {
  return encoder.encode(s).length;
}

const UNPAIRED_SURROGATE = /[\uD800-\uDFFF]/gu;
const SPACE_LIKE_CONTROLS = /[\t\n\v\f\r\u0085\u2028\u2029]/g;
// C0, DEL, C1, soft hyphen, ALM, Mongolian vowel separator, ZWSP, LRM, RLM, bidi embeddings and
// overrides, word joiner and invisible operators, bidi isolates, deprecated format characters,
// BOM, interlinear annotation characters, noncharacters U+FFFE/U+FFFF.
const INVISIBLE =
  /[\u0000-\u001F\u007F-\u009F\u00AD\u061C\u180E\u200B\u200E\u200F\u202A-\u202E\u2060-\u2064\u2066-\u206F\uFEFF\uFFF9-\uFFFB\uFFFE\uFFFF]/g;

/**
 * Text from outside made printable: NFC, no control, bidi or invisible characters, whitespace
 * collapsed and trimmed. Keeps everything a file system would reject (use it for titles that
 * are shown, and before sanitizeFileName for names).
 */
export function cleanText(input: string): string {
  return String(input ?? '')
    .replace(UNPAIRED_SURROGATE, '')
    .normalize('NFC')
    .replace(SPACE_LIKE_CONTROLS, ' ')
    .replace(INVISIBLE, '')
    .replace(/\s+/g, ' ')
    .trim();
}

/**
 * cleanText plus the Windows/SMB character mapping, without trimming, length or reserved-name
 * handling: for pieces that are joined into one component later (naming.ts).
 */
export function sanitizeFragment(input: string): string {
  const text = String(input ?? '')
    .replace(UNPAIRED_SURROGATE, '')
    .normalize('NFC')
    .replace(SPACE_LIKE_CONTROLS, ' ')
    .replace(INVISIBLE, '');
  return text
    .replace(/\s*:\s+/g, ' - ')
    .replace(/[:/\\|]/g, '-')
    .replace(/"/g, "'")
    .replace(/[<>?*]/g, '')
    .replace(/\s+/g, ' ');
}

const RESERVED = /^(CON|PRN|AUX|NUL|COM[0-9¹²³]|LPT[0-9¹²³]|CONIN\$|CONOUT\$)(?=\s*(\.|$))/i;

function trimEnds(s: string): string {
  return s.replace(/^[\s.-]+/, '').replace(/[\s.]+$/, '');
}

let segmenter: Intl.Segmenter | null | undefined;
function graphemes(s: string): Iterable<string> {
  if (segmenter === undefined) {
    segmenter = typeof Intl.Segmenter === 'function' ? new Intl.Segmenter(undefined, { granularity: 'grapheme' }) : null;
  }
  if (segmenter === null) return Array.from(s);
  const seg = segmenter;
  return (function* () {
    for (const g of seg.segment(s)) yield g.segment;
  })();
}

/** The longest prefix of `s` that fits in `maxBytes` of UTF-8, cut between grapheme clusters. */
export function truncateBytes(s: string, maxBytes: number): string {
  if (utf8Bytes(s) <= maxBytes) return s;
  let out = '';
  let used = 0;
  for (const g of graphemes(s)) {
    const n = utf8Bytes(g);
    if (used + n > maxBytes) break;
    out += g;
    used += n;
  }
  return out;
}

const TRAILING_EXT = /\.[A-Za-z0-9]{1,10}$/;

function checkMaxBytes(maxBytes: number): number {
  if (!Number.isInteger(maxBytes) || maxBytes < 1) throw new RangeError(`maxBytes must be a positive integer, got ${maxBytes}`);
  return maxBytes;
}

/** Sanitise without a fallback: may return ''. */
function sanitizeCore(input: string, maxBytes: number): string {
  let s = trimEnds(sanitizeFragment(input));
  if (utf8Bytes(s) > maxBytes) {
    const ext = TRAILING_EXT.exec(s)?.[0];
    if (ext && utf8Bytes(ext) * 2 <= maxBytes) {
      const stem = trimEnds(truncateBytes(s.slice(0, -ext.length), maxBytes - ext.length));
      s = stem ? stem + ext : trimEnds(truncateBytes(s, maxBytes));
    } else {
      s = trimEnds(truncateBytes(s, maxBytes));
    }
  }
  const reserved = RESERVED.exec(s);
  if (reserved) {
    const stem = reserved[1] ?? '';
    s = `${stem}_${s.slice(stem.length)}`;
    if (utf8Bytes(s) > maxBytes) s = utf8Bytes(`${stem}_`) <= maxBytes ? `${stem}_` : '_';
  }
  return s;
}

/**
 * sanitizeFileName without a fallback: '' when nothing is left (callers that drop empty
 * components, such as safeRelativePath and naming.ts).
 */
export function sanitizeComponent(input: string, options: SanitizeOptions = {}): string {
  return sanitizeCore(input, checkMaxBytes(options.maxBytes ?? MAX_COMPONENT_BYTES));
}

/**
 * One safe path component from untrusted text (see the module header for the rules).
 * `fallback` (itself sanitised) is used when nothing is left; `_` if that is empty too.
 * Extensions are not treated specially except that a short one survives truncation: to append
 * an extension use withExtension.
 */
export function sanitizeFileName(input: string, fallback = 'download', options: SanitizeOptions = {}): string {
  const maxBytes = checkMaxBytes(options.maxBytes ?? MAX_COMPONENT_BYTES);
  return sanitizeCore(input, maxBytes) || sanitizeCore(fallback, maxBytes) || '_';
}

const MAX_EXTENSION_BYTES = 32;

/**
 * An extension made safe: leading dots dropped, only letters, digits, `_`, `-` and inner dots
 * kept ("tar.gz"). Returns '' when nothing usable is left or it is longer than 32 bytes.
 */
export function sanitizeExtension(ext: string): string {
  const e = cleanText(ext)
    .replace(/[^\p{L}\p{N}\p{M}._-]/gu, '')
    .replace(/\.{2,}/g, '.')
    .replace(/^\.+|\.+$/g, '');
  return e && utf8Bytes(e) <= MAX_EXTENSION_BYTES ? e : '';
}

function dropDuplicateExtension(base: string, ext: string): string {
  if (!ext) return base;
  const tail = `.${ext}`.toLowerCase();
  const trimmed = base.replace(/[\s.]+$/, '');
  return trimmed.toLowerCase().endsWith(tail) ? trimmed.slice(0, -tail.length) : base;
}

function extensionBudget(maxBytes: number, reserved: string): number {
  const budget = checkMaxBytes(maxBytes) - utf8Bytes(reserved);
  if (budget < 1) throw new RangeError(`maxBytes ${maxBytes} leaves no room for a name before "${reserved}"`);
  return budget;
}

/**
 * `base.ext` as one component of at most `maxBytes`: the base is sanitised and shortened, the
 * extension kept whole. A base that already ends in the same extension is not doubled
 * ("clip.mp4" + "mp4" -> "clip.mp4"). An empty or unusable extension gives just the base.
 */
export function withExtension(base: string, ext: string, maxBytes = MAX_COMPONENT_BYTES): string {
  const e = sanitizeExtension(ext);
  const suffix = e ? `.${e}` : '';
  const budget = extensionBudget(maxBytes, suffix);
  return sanitizeFileName(dropDuplicateExtension(base, e), 'download', { maxBytes: budget }) + suffix;
}

/** How many numbered candidates uniqueName tries before giving up. */
export const MAX_UNIQUE_ATTEMPTS = 10_000;

/**
 * The first free name among "Title.mp4", "Title (2).mp4", "Title (3).mp4"…, each within
 * `maxBytes` (the base is shortened, the counter and extension kept). `exists` decides what
 * "taken" means (case-insensitive shares: compare case-insensitively). Throws after
 * MAX_UNIQUE_ATTEMPTS taken names.
 */
export function uniqueName(
  base: string,
  ext: string,
  exists: (name: string) => boolean,
  maxBytes = MAX_COMPONENT_BYTES,
): string {
  const e = sanitizeExtension(ext);
  const suffix = e ? `.${e}` : '';
  const first = withExtension(base, e, maxBytes);
  if (!exists(first)) return first;
  const stemSource = dropDuplicateExtension(base, e);
  for (let n = 2; n <= MAX_UNIQUE_ATTEMPTS; n++) {
    const counter = ` (${n})`;
    const budget = extensionBudget(maxBytes, counter + suffix);
    const name = sanitizeFileName(stemSource, 'download', { maxBytes: budget }) + counter + suffix;
    if (!exists(name)) return name;
  }
  throw new Error(`no free name for "${first}" after ${MAX_UNIQUE_ATTEMPTS} attempts`);
}

/**
 * A relative path from components, each sanitised on its own (a `/` inside a component never
 * creates a directory). Components that sanitise to nothing (`''`, `.`, `..`, `???`) are
 * dropped, so the result never has `..`, a leading `/` or an empty component; if none is left
 * the result is "download".
 */
export function safeRelativePath(components: readonly string[], options: SanitizeOptions = {}): string {
  const maxBytes = checkMaxBytes(options.maxBytes ?? MAX_COMPONENT_BYTES);
  const parts: string[] = [];
  for (const c of components) {
    if (typeof c !== 'string') continue;
    const s = sanitizeCore(c, maxBytes);
    if (s) parts.push(s);
  }
  return parts.length ? parts.join('/') : 'download';
}

// Extensions dropped from a URL's last segment when guessing a title.
const URL_EXTENSIONS = new Set([
  'm3u8', 'm3u', 'mpd', 'f4m', 'ism', 'isml', 'mp4', 'm4v', 'mkv', 'webm', 'mov', 'avi', 'ts',
  'm2ts', 'mts', 'm4s', 'flv', 'wmv', 'mpg', 'mpeg', '3gp', 'ogv', 'mp3', 'm4a', 'aac', 'ogg',
  'oga', 'opus', 'flac', 'wav', 'html', 'htm', 'php', 'asp', 'aspx', 'jsp', 'cgi', 'json', 'xml',
  'txt', 'zip', 'part', 'bin',
]);

// Path segments that say nothing about the content: the parent directory is tried instead.
const NOISE_WORDS = new Set([
  'index', 'master', 'playlist', 'chunklist', 'manifest', 'prog_index', 'main', 'media', 'stream',
  'streams', 'video', 'videos', 'output', 'default', 'hls', 'dash', 'mpd', 'play', 'playback',
  'watch', 'embed', 'download', 'downloads', 'dl', 'file', 'files', 'get', 'view', 'source', 'src',
  'hd', 'sd', 'fhd', 'uhd', 'high', 'low', 'mid', 'medium', 'hi', 'lo', 'audio', 'vod', 'live',
  'content', 'contents', 'cdn', 'static', 'assets', 'public', 'upload', 'uploads', 'movie',
  'movies', 'series', 'tv', 'mp4', 'hls_playlist', 'iframe', 'iframes', 'segment', 'segments',
  'api', 'raw',
]);
const NOISE_PATTERNS = [
  /^(chunklist|playlist|master|index|manifest|media|segment|seg|prog_index|iframes?)[_-]/i, // chunklist_w123_b800000
  /^\d+$/, // numeric ids
  /^[0-9a-f]{12,}$/i, // hashes
  /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, // uuids
  /^\d{3,4}[pi]?$/i, // 720p, 1080
  /^\d+(k|kbps|m|mbps)$/i, // bitrates
  /^\d+x\d+$/i, // 1920x1080
  /^v\d+$/i, // api versions
  /^[a-z]{2}(-[a-z]{2})?$/i, // language codes: en, pt-br
];

/** decodeURIComponent that decodes what it can and keeps malformed escapes as they are. */
function lenientDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s.replace(/(%[0-9A-Fa-f]{2})+/g, (run) => {
      try {
        return decodeURIComponent(run);
      } catch {
        return run;
      }
    });
  }
}

function humanise(segment: string, decode: boolean): string {
  let s = segment;
  if (decode) s = lenientDecode(s.replace(/\+/g, ' '));
  s = s.replace(/[\\/]+$/, '');
  const dot = s.lastIndexOf('.');
  if (dot > 0 && URL_EXTENSIONS.has(s.slice(dot + 1).toLowerCase())) s = s.slice(0, dot);
  const bare = cleanText(s);
  if (!bare || NOISE_WORDS.has(bare.toLowerCase()) || NOISE_PATTERNS.some((re) => re.test(bare))) return '';
  return cleanText(bare.replace(/[-_.]+/g, ' '));
}

function titleFromPath(path: string, decode = true): string {
  const segments = path.split(/[\\/]/).filter(Boolean);
  for (let i = segments.length - 1; i >= 0; i--) {
    const t = humanise(segments[i] ?? '', decode);
    if (t) return t;
  }
  return '';
}

const TITLE_PARAMS = ['title', 'filename', 'name', 'file', 'fn'];

/**
 * A human title guessed from a URL, for downloads without one: the last meaningful path segment,
 * decoded, with a media/web extension dropped and `-`, `_`, `.`, `+` turned into spaces. Noise
 * such as `index`, `master`, `playlist`, `chunklist_w123`, quality (`720p`), numeric ids and
 * hashes gives way to the parent directory. Then `title`/`filename`/`name`/`file` query
 * parameters and an S3-style `response-content-disposition` filename, then the host name
 * (without `www.`), then "download". Never empty; cleaned with cleanText but not made a file
 * name (pass it through sanitizeFileName for that).
 */
export function titleFromUrl(url: string): string {
  const raw = String(url ?? '').trim();
  let parsed: URL | null = null;
  try {
    parsed = new URL(raw);
  } catch {
    parsed = null;
  }
  if (!parsed) return titleFromPath(raw.replace(/[?#].*$/s, '')) || 'download';
  if (!/^(https?|ftps?|file|sftp|smb):$/i.test(parsed.protocol)) return 'download';
  const fromPath = titleFromPath(parsed.pathname);
  if (fromPath) return fromPath;
  for (const key of TITLE_PARAMS) {
    const value = parsed.searchParams.get(key);
    const t = value ? titleFromPath(value, false) : '';
    if (t) return t;
  }
  const disposition = parsed.searchParams.get('response-content-disposition');
  const filename = disposition ? /filename\*?=(?:UTF-8'')?"?([^";]+)"?/i.exec(disposition)?.[1] : undefined;
  const fromDisposition = filename ? titleFromPath(filename, false) : '';
  if (fromDisposition) return fromDisposition;
  const host = parsed.hostname.replace(/^www\./i, '');
  return cleanText(host) || 'download';
}
