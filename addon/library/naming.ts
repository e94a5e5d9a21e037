/**
 * Library paths from naming templates, the way Plex, Jellyfin and Kodi expect them. Pure: no I/O.
 *
 * Template language
 * - `{token}` is replaced by a value; `{token:00}` zero-pads a number to the width of the zeros
 *   (`{episode:00}` gives 07, 120 stays 120). Tokens: title, year, show, season, episode,
 *   episode_title, ext, quality, tmdb_id, plex_tmdb, jellyfin_tmdb (see NAMING_TOKENS).
 * - `[ ... ]` is an optional section: dropped when any token inside it is empty. No nesting.
 * - `{{ }} [[ ]]` are literal braces and brackets.
 * - `/` separates folders. Templates are relative (to the destination's base path).
 *
 * Empty values leave no debris: after rendering, a bracket pair of the template that holds only
 * empty tokens (`({year})` without a year) is removed, whitespace is collapsed, and separators
 * (`-`, `_`, `,`, `;`, spaces) left dangling at the start or end of a name or before the
 * extension are dropped. So `Movies/{title} ({year})/{title} ({year}).{ext}` without a year is
 * `Movies/Title/Title.mp4`. This only touches the template's own text, never a value: a title
 * that really is "Hello ()" keeps its parentheses.
 *
 * Media-server ID tags are tokens, not template syntax, so a template never has to spell a literal
 * brace or bracket: `{plex_tmdb}` renders `{tmdb-123}` (Plex) and `{jellyfin_tmdb}` renders
 * `[tmdbid-123]` (Jellyfin); both render nothing without a TMDB id, and the surrounding space
 * is tidied away. `{tmdb_id}` is the bare number. Example: `Movies/{title} ({year})
 * {plex_tmdb}/{title} ({year}) {plex_tmdb}.{ext}`.
 *
 * Safety: every folder and file name goes through sanitize.ts on its own after rendering, so a
 * value can never add a folder or climb out (`../../etc/passwd` becomes `etc-passwd`), and
 * Windows-illegal characters, trailing dots and device names are handled. Each folder name is at
 * most 255 bytes and the file name at most 250 (room for `.part` while it is written). When a
 * name is too long the longest text value (title, show, episode title, quality) is shortened, so
 * `(2024)`, `S01E02` and the extension survive. Folder names that come out empty are dropped;
 * an empty file name stem becomes "download".
 */
import type { ContentType } from '../domain/content.js';
import {
  cleanText,
  MAX_COMPONENT_BYTES,
  PART_SUFFIX,
  sanitizeComponent,
  sanitizeExtension,
  sanitizeFileName,
  sanitizeFragment,
  truncateBytes,
  utf8Bytes,
} from './sanitize.js';

export const NAMING_TOKENS = [
  'title',
  'year',
  'show',
  'season',
  'episode',
  'episode_title',
  'ext',
  'quality',
  'tmdb_id',
  'plex_tmdb',
  'jellyfin_tmdb',
  'channel',
  'date',
] as const;
export type NamingToken = (typeof NAMING_TOKENS)[number];

const NUMERIC_TOKENS: ReadonlySet<NamingToken> = new Set(['year', 'season', 'episode', 'tmdb_id']);
/** Values that may be shortened to fit 255 bytes, longest first. */
const SHORTENABLE_TOKENS: ReadonlySet<NamingToken> = new Set(['title', 'show', 'episode_title', 'quality']);

export type NamingTemplates = Record<ContentType, string>;

export const DEFAULT_TEMPLATES: Readonly<NamingTemplates> = Object.freeze({
  movie: 'Movies/{title} ({year})/{title} ({year}).{ext}',
  series: 'Series/{show}/Season {season:00}/{show} - S{season:00}E{episode:00}[ - {episode_title}].{ext}',
  novela: 'Novelas/{show}/Season {season:00}/{show} - S{season:00}E{episode:00}[ - {episode_title}].{ext}',
  other: 'Downloads/{title}.{ext}',
  recording: 'Recordings/{channel}/{title} ({date}).{ext}',
});

/** What a template can be rendered from. Anything missing or malformed renders empty. */
export interface NamingData {
  title?: string | null | undefined;
  /** Four digits (number or string); anything else is ignored. */
  year?: number | string | null | undefined;
  show?: string | null | undefined;
  /** 0 is specials (Season 00). Non-negative integers only. */
  season?: number | string | null | undefined;
  /** Episode, or the chapter of a novela. Non-negative integers only. */
  episode?: number | string | null | undefined;
  episode_title?: string | null | undefined;
  /** Without the dot: "mp4". */
  ext?: string | null | undefined;
  quality?: string | null | undefined;
  tmdb_id?: number | string | null | undefined;
  /** A live recording's channel. */
  channel?: string | null | undefined;
  /** When a recording started, as `YYYY-MM-DD HH-mm` (local time): see recordingDate(). */
  date?: string | null | undefined;
}

export interface JobNamingData extends NamingData {
  /** Picks the template; null or unknown gives `other`. */
  content_type?: ContentType | string | null | undefined;
}

export interface RenderOptions {
  /** Byte limit of every path component, default 255. */
  maxComponentBytes?: number;
  /** Bytes kept free in the file name for a suffix, default 5 (`.part`). */
  leafReserveBytes?: number;
}

/** A template that cannot be rendered; `problems` is what validateTemplate returned. */
export class TemplateError extends Error {
  readonly problems: readonly string[];

  constructor(template: string, problems: readonly string[]) {
    super(`invalid naming template "${template}": ${problems.join('; ')}`);
    this.name = 'TemplateError';
    this.problems = problems;
  }
}

// ---------------------------------------------------------------------------------------------
// Parsing

type Node =
  | { kind: 'text'; text: string }
  | { kind: 'token'; name: NamingToken; pad: number }
  | { kind: 'optional'; nodes: Node[]; source: string };

interface Parsed {
  nodes: Node[];
  problems: string[];
}

const isToken = (name: string): name is NamingToken => (NAMING_TOKENS as readonly string[]).includes(name);
const MAX_PAD = 9;

function parse(template: string): Parsed {
  const problems: string[] = [];
  const root: Node[] = [];
  let optional: { nodes: Node[]; start: number } | null = null;
  let text = '';
  const target = (): Node[] => optional?.nodes ?? root;
  const flush = (): void => {
    if (text) target().push({ kind: 'text', text });
    text = '';
  };

  let i = 0;
  while (i < template.length) {
    const ch = template[i] ?? '';
    const pair = template.slice(i, i + 2);
    if (pair === '{{' || pair === '}}' || pair === '[[' || pair === ']]') {
      text += ch;
      i += 2;
      continue;
    }
    if (ch === '{') {
      const end = template.indexOf('}', i + 1);
      const body = end < 0 ? null : template.slice(i + 1, end);
      if (body === null || /[{[\]/\\]/.test(body)) {
        problems.push(`unclosed "{" at position ${i + 1}`);
        text += ch;
        i += 1;
        continue;
      }
      i = end + 1;
      const colon = body.indexOf(':');
      const rawName = (colon < 0 ? body : body.slice(0, colon)).trim();
      const format = colon < 0 ? undefined : body.slice(colon + 1).trim();
      if (!isToken(rawName)) {
        problems.push(`unknown token {${body}} (known: ${NAMING_TOKENS.join(', ')})`);
        continue;
      }
      let pad = 0;
      if (format !== undefined) {
        if (!/^0+$/.test(format) || format.length > MAX_PAD) {
          problems.push(`format ":${format}" of {${rawName}} must be 1 to ${MAX_PAD} zeros, like {${rawName}:00}`);
        } else if (!NUMERIC_TOKENS.has(rawName)) {
          problems.push(`{${rawName}} is not a number and cannot be zero-padded`);
        } else {
          pad = format.length;
        }
      }
      flush();
      target().push({ kind: 'token', name: rawName, pad });
      continue;
    }
    if (ch === '}') {
      problems.push(`unbalanced "}" at position ${i + 1} (write "}}" for a literal brace)`);
      i += 1;
      continue;
    }
    if (ch === '[') {
      if (optional) {
        problems.push(`nested "[" at position ${i + 1}: optional sections cannot be nested`);
        i += 1;
        continue;
      }
      flush();
      optional = { nodes: [], start: i };
      i += 1;
      continue;
    }
    if (ch === ']') {
      if (!optional) {
        problems.push(`unbalanced "]" at position ${i + 1} (write "]]" for a literal bracket)`);
        i += 1;
        continue;
      }
      flush();
      const source = template.slice(optional.start, i + 1);
      if (!optional.nodes.some((n) => n.kind === 'token')) {
        problems.push(`optional section "${source}" has no token, so it is never dropped (write "[[" and "]]" for literal brackets)`);
      }
      root.push({ kind: 'optional', nodes: optional.nodes, source });
      optional = null;
      i += 1;
      continue;
    }
    text += ch;
    i += 1;
  }
  flush();
  if (optional) {
    problems.push(`unclosed "[" at position ${optional.start + 1}`);
    root.push({ kind: 'optional', nodes: optional.nodes, source: template.slice(optional.start) });
  }
  return { nodes: root, problems };
}

/** Problems that concern the path as a whole (after parsing). */
function pathProblems(nodes: readonly Node[]): string[] {
  const problems: string[] = [];
  // The template with every optional section present and each token as a placeholder.
  let skeleton = '';
  const extComponents: number[] = [];
  const walk = (list: readonly Node[]): void => {
    for (const n of list) {
      if (n.kind === 'text') skeleton += n.text;
      else if (n.kind === 'optional') walk(n.nodes);
      else {
        if (n.name === 'ext') extComponents.push(skeleton.split('/').length - 1);
        skeleton += '\uE000';
      }
    }
  };
  walk(nodes);

  const absolute = /^\s*([/\\~]|[A-Za-z]:)/.test(skeleton);
  if (absolute) problems.push('absolute path: templates are relative to the destination folder');
  if (skeleton.includes('\\')) problems.push('use "/" between folders, not "\\"');
  const components = skeleton.split('/');
  components.forEach((c, idx) => {
    const t = c.trim();
    if (t === '') {
      if (idx === 0 && absolute) return;
      if (components.length === 1) return; // the empty template is reported on its own
      problems.push(idx === components.length - 1 ? 'template ends with "/": the file name is missing' : 'empty folder name ("//")');
    } else if (/^\.+$/.test(t)) {
      problems.push(`"${t}" is not allowed as a folder or file name`);
    }
  });
  if (extComponents.length === 0) problems.push('missing {ext}: the file name needs the extension of the container');
  else if (extComponents.some((idx) => idx !== components.length - 1)) problems.push('{ext} belongs in the file name (after the last "/")');
  return problems;
}

const parsedCache = new Map<string, Parsed>();
const CACHE_LIMIT = 64;

function analyse(template: string): Parsed {
  const cached = parsedCache.get(template);
  if (cached) return cached;
  let result: Parsed;
  if (typeof template !== 'string' || template.trim() === '') {
    result = { nodes: [], problems: ['template is empty'] };
  } else {
    const parsed = parse(template);
    result = { nodes: parsed.nodes, problems: [...parsed.problems, ...pathProblems(parsed.nodes)] };
  }
  if (parsedCache.size >= CACHE_LIMIT) parsedCache.clear();
  parsedCache.set(template, result);
  return result;
}

/**
 * Everything wrong with a template, as sentences for a person; empty when it can be used:
 * unknown tokens, bad formats, unbalanced or nested brackets, an optional section without a
 * token, absolute paths, `..`, empty folder names, and a missing or misplaced {ext}.
 */
export function validateTemplate(template: string): string[] {
  return [...analyse(template).problems];
}

// ---------------------------------------------------------------------------------------------
// Values

function integer(v: unknown): number | null {
  if (typeof v === 'number') return Number.isSafeInteger(v) && v >= 0 ? v : null;
  if (typeof v === 'string' && /^\s*\d{1,15}\s*$/.test(v)) {
    const n = Number(v.trim());
    return Number.isSafeInteger(n) ? n : null;
  }
  return null;
}

function text(v: unknown): string {
  if (typeof v !== 'string') return '';
  return sanitizeFragment(cleanText(v)).replace(/^[\s.-]+/, '').replace(/[\s.]+$/, '');
}

type Values = Record<NamingToken, { text: string; numeric: number | null }>;

function values(data: NamingData): Values {
  const year = integer(data.year);
  const season = integer(data.season);
  const episode = integer(data.episode);
  const tmdb = integer(data.tmdb_id);
  const tmdbId = tmdb !== null && tmdb > 0 ? String(tmdb) : '';
  const num = (n: number | null): { text: string; numeric: number | null } => ({ text: n === null ? '' : String(n), numeric: n });
  const str = (s: string): { text: string; numeric: null } => ({ text: s, numeric: null });
  return {
    title: str(text(data.title)),
    year: num(year !== null && year >= 1000 && year <= 9999 ? year : null),
    show: str(text(data.show)),
    season: num(season),
    episode: num(episode),
    episode_title: str(text(data.episode_title)),
    ext: str(sanitizeExtension(typeof data.ext === 'string' ? data.ext : '')),
    quality: str(text(data.quality)),
    tmdb_id: num(tmdbId ? tmdb : null),
    plex_tmdb: str(tmdbId ? `{tmdb-${tmdbId}}` : ''),
    jellyfin_tmdb: str(tmdbId ? `[tmdbid-${tmdbId}]` : ''),
    channel: str(text(data.channel)),
    date: str(text(data.date)),
  };
}

// ---------------------------------------------------------------------------------------------
// Rendering

type Piece = { kind: 'lit'; text: string } | { kind: 'val'; text: string; token: NamingToken } | { kind: 'sep' };

function tokenText(node: { name: NamingToken; pad: number }, vals: Values): string {
  const v = vals[node.name];
  if (v.numeric !== null && node.pad > 0) return String(v.numeric).padStart(node.pad, '0');
  return v.text;
}

function emit(nodes: readonly Node[], vals: Values, out: Piece[]): void {
  for (const n of nodes) {
    if (n.kind === 'text') {
      n.text.split(/[/\\]/).forEach((part, idx) => {
        if (idx > 0) out.push({ kind: 'sep' });
        if (part) out.push({ kind: 'lit', text: part });
      });
    } else if (n.kind === 'token') {
      out.push({ kind: 'val', text: tokenText(n, vals), token: n.name });
    } else {
      const inner: Piece[] = [];
      emit(n.nodes, vals, inner);
      if (inner.every((p) => p.kind !== 'val' || p.text !== '')) out.push(...inner);
    }
  }
}

const OPEN = '\uE000';
const CLOSE = '\uE001';
const MARKER = /\uE000(\d+)\uE001/g;
const SEPARATORS = '[\\s\\-–—_,;]';
const LEADING_SEPARATORS = new RegExp(`^${SEPARATORS}+`);
const TRAILING_SEPARATORS = new RegExp(`${SEPARATORS}+$`);
const SEPARATORS_BEFORE_EXT = new RegExp(`${SEPARATORS}+(\\.${OPEN}\\d+${CLOSE})$`);
const ONLY_EXTENSION = new RegExp(`^\\.${OPEN}\\d+${CLOSE}$`);

/**
 * Clean the template's own text around empty values. Values are markers here, so nothing a value
 * contains is touched.
 */
function tidy(marked: string): string {
  let m = marked;
  let previous: string;
  do {
    previous = m;
    m = m.replace(/\(\s*\)|\[\s*\]|\{\s*\}/g, '');
  } while (m !== previous);
  m = m.replace(/\s+/g, ' ');
  m = m.replace(/(?:\s-)+\s/g, ' - ');
  m = m.replace(LEADING_SEPARATORS, '').replace(SEPARATORS_BEFORE_EXT, '$1').replace(TRAILING_SEPARATORS, '');
  return m.trim();
}

const UNLIMITED = { maxBytes: 2 ** 30 };

function renderComponent(pieces: readonly Piece[], budget: number, isFile: boolean): string {
  const vals: { text: string; token: NamingToken }[] = [];
  let marked = '';
  for (const p of pieces) {
    if (p.kind === 'lit') marked += p.text.replace(/[\uE000\uE001]/g, '');
    else if (p.kind === 'val' && p.text !== '') {
      marked += `${OPEN}${vals.length}${CLOSE}`;
      vals.push({ text: p.text, token: p.token });
    }
  }
  marked = tidy(marked);
  if (isFile && (marked === '' || ONLY_EXTENSION.test(marked))) marked = `download${marked}`;

  // Alternate literal text and value indexes, so values can be shortened one by one.
  const parts: (string | number)[] = [];
  let last = 0;
  for (const match of marked.matchAll(MARKER)) {
    parts.push(marked.slice(last, match.index));
    parts.push(Number(match[1]));
    last = match.index + match[0].length;
  }
  parts.push(marked.slice(last));
  const join = (): string => parts.map((p) => (typeof p === 'number' ? (vals[p]?.text ?? '') : p)).join('');

  for (let guard = 0; guard < 32; guard++) {
    const size = utf8Bytes(sanitizeComponent(join(), UNLIMITED));
    if (size <= budget) break;
    let longest: { text: string } | undefined;
    for (const v of vals) {
      if (SHORTENABLE_TOKENS.has(v.token) && (!longest || utf8Bytes(v.text) > utf8Bytes(longest.text))) longest = v;
    }
    if (!longest || longest.text === '') break;
    const keep = Math.max(0, utf8Bytes(longest.text) - (size - budget));
    longest.text = truncateBytes(longest.text, keep).replace(/[\s.\-–—_,;]+$/, '');
  }
  const joined = join();
  return isFile ? sanitizeFileName(joined, 'download', { maxBytes: budget }) : sanitizeComponent(joined, { maxBytes: budget });
}

/**
 * A relative library path (`/`-separated) from a template and data. Throws TemplateError when
 * validateTemplate finds problems. See the module header for the rules.
 */
export function renderPath(template: string, data: NamingData, options: RenderOptions = {}): string {
  const { nodes, problems } = analyse(template);
  if (problems.length) throw new TemplateError(String(template), problems);
  const maxComponentBytes = options.maxComponentBytes ?? MAX_COMPONENT_BYTES;
  const fileBudget = maxComponentBytes - (options.leafReserveBytes ?? utf8Bytes(PART_SUFFIX));
  if (!Number.isInteger(maxComponentBytes) || !Number.isInteger(fileBudget) || fileBudget < 16) {
    throw new RangeError(`component budget too small: ${maxComponentBytes} bytes with ${options.leafReserveBytes} reserved`);
  }

  const pieces: Piece[] = [];
  emit(nodes, values(data), pieces);
  const components: Piece[][] = [[]];
  for (const p of pieces) {
    if (p.kind === 'sep') components.push([]);
    else components[components.length - 1]?.push(p);
  }
  const out: string[] = [];
  components.forEach((component, idx) => {
    const isFile = idx === components.length - 1;
    const name = renderComponent(component, isFile ? fileBudget : maxComponentBytes, isFile);
    if (name) out.push(name);
  });
  return out.join('/');
}

const isContentType = (v: unknown): v is ContentType =>
  typeof v === 'string' && Object.prototype.hasOwnProperty.call(DEFAULT_TEMPLATES, v);

const UNTITLED = 'Untitled';

/** The text when something of it survives sanitising, else ''. */
const usable = (v: unknown): string => (typeof v === 'string' && sanitizeComponent(v) !== '' ? v : '');

/**
 * The library path for a job: the template of its content type (null or unknown -> other), from
 * `templates` where set and non-blank, else DEFAULT_TEMPLATES. Fills the gaps a media server
 * cannot live with: a movie or other without a title uses the show, then "Untitled"; a series or
 * novela without a show uses the title; without a season it is season 1; without an episode
 * number it cannot be named SxxEyy, so it is filed with the `other` template instead.
 */
export function pathForJob(data: JobNamingData, templates?: Partial<NamingTemplates> | null, options: RenderOptions = {}): string {
  let type: ContentType = isContentType(data.content_type) ? data.content_type : 'other';
  const title = usable(data.title);
  const show = usable(data.show);
  const filled: NamingData = { ...data };
  if ((type === 'series' || type === 'novela') && integer(data.episode) === null) type = 'other';
  if (type === 'series' || type === 'novela') {
    filled.show = show || title || UNTITLED;
    if (integer(data.season) === null) filled.season = 1;
  } else {
    filled.title = title || show || UNTITLED;
  }
  if (type === 'recording') filled.channel = usable(data.channel) || show || 'Live';
  const custom = templates?.[type];
  const template = typeof custom === 'string' && custom.trim() !== '' ? custom : DEFAULT_TEMPLATES[type];
  return renderPath(template, filled, options);
}

/** A recording's start as its name shows it: `2026-12-06 20-00`, local time (colons are not portable). */
export function recordingDate(at: Date): string {
  const two = (n: number): string => String(n).padStart(2, '0');
  return `${at.getFullYear()}-${two(at.getMonth() + 1)}-${two(at.getDate())} ${two(at.getHours())}-${two(at.getMinutes())}`;
}
