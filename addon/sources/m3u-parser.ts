/**
 * Streaming parser for extended M3U playlists as IPTV providers write them.
 *
 * Pure: it consumes chunks (a Node Readable, any AsyncIterable or Iterable of string/bytes) and
 * yields one entry at a time, so memory stays proportional to one entry, not the file. It never
 * throws on content: malformed lines are counted and the first `maxIssues` are reported with
 * their line numbers.
 *
 * Quirks handled (see shared/notes/iptv.md): UTF-8 BOM, CRLF (and lone CR), blank lines and
 * comments, lower-case tags, `#EXTINF -1` without a colon, quoted/unquoted/upper-case attributes,
 * commas and quotes inside values, commas inside titles, no comma at all (title from tvg-name),
 * `#EXTVLCOPT` http-user-agent / http-referrer, `#KODIPROP` (stream_headers become headers),
 * `#EXTGRP` (stays in force for the following entries), URL lines without `#EXTINF`, and
 * `url|User-Agent=X&Referer=Y` pipe headers.
 *
 * No regular expressions on the hot path: the line scanner walks each line once with indexOf
 * and char codes, so there is nothing to backtrack.
 */

import { isUtf8 } from 'node:buffer';

export interface M3uEntry {
  /** Display title: the text after the EXTINF comma, else tvg-name, else the URL's file name. */
  title: string;
  /** Stream URL with any `|header=value` suffix removed. */
  url: string;
  /** EXTINF duration in seconds; -1 when absent or unknown. */
  duration: number;
  /** Every EXTINF attribute, keys lower-cased, first occurrence wins. */
  attrs: Record<string, string>;
  tvgId: string | null;
  tvgName: string | null;
  tvgLogo: string | null;
  /** The raw group-title attribute (null when absent). */
  groupTitle: string | null;
  /** group-title split on ';' (Kodi), else the `#EXTGRP` in force. */
  groups: string[];
  /** HTTP headers to send: from the URL pipe suffix, #EXTVLCOPT, #KODIPROP stream headers, header defaults. */
  headers: Record<string, string>;
  /** `#KODIPROP:key=value` lines, keys as written. */
  kodiProps: Record<string, string>;
  /** `#EXTVLCOPT:key=value` lines, keys lower-cased. */
  vlcOpts: Record<string, string>;
  /** 1-based line of the entry's #EXTINF (or of its URL when it has none). */
  line: number;
  /** 1-based line of the URL. */
  urlLine: number;
  /** False for a bare URL line that had no #EXTINF before it. */
  hasExtinf: boolean;
}

export interface M3uHeader {
  /** Whether an #EXTM3U line was seen at all. */
  present: boolean;
  /** Line of the first #EXTM3U (0 when absent). */
  line: number;
  /** Attributes of #EXTM3U lines (merged if a concatenated list repeats it), keys lower-cased. */
  attrs: Record<string, string>;
  /** EPG URLs from x-tvg-url / url-tvg (comma separated lists split). */
  tvgUrls: string[];
}

export type M3uIssueKind =
  | 'extinf-without-url'
  | 'not-a-url'
  | 'unterminated-quote'
  | 'bad-option'
  | 'line-too-long'
  | 'bad-attribute';

export interface M3uIssue {
  line: number;
  kind: M3uIssueKind;
  /** The offending line, cut to 200 characters. */
  text: string;
}

export interface M3uSummary {
  header: M3uHeader;
  /** Entries yielded. */
  entries: number;
  /** Physical lines read. */
  lines: number;
  /** Malformed lines counted (each line counts once even with several problems). */
  malformed: number;
  /** The first `maxIssues` problems, in order. */
  issues: M3uIssue[];
  /** True when more problems occurred than `issues` holds. */
  issuesTruncated: boolean;
}

export interface M3uParseOptions {
  /** How many issues to keep in the summary (all are counted). Default 100. */
  maxIssues?: number;
  /** Lines longer than this (bytes for byte input, UTF-16 units for strings) are skipped as malformed. Default 1 MiB. */
  maxLineLength?: number;
}

export type M3uChunk = string | Uint8Array;
export type M3uSource = AsyncIterable<M3uChunk> | Iterable<M3uChunk>;

/** One streaming parse: iterate it (once) for entries; read `header` / `summary` along the way or after. */
export interface M3uParse extends AsyncIterable<M3uEntry> {
  readonly header: M3uHeader;
  readonly summary: M3uSummary;
  /** The same entries grouped per input chunk: fewer awaits for consumers that batch anyway. */
  batches(): AsyncIterable<M3uEntry[]>;
}

/** Bytes parsed per batch at most (~150 entries: well under a millisecond). */
const BATCH_BYTES = 16 * 1024;

/** Parse a stream of chunks. Nothing is read until the result is iterated. */
export function parseM3u(source: M3uSource, options: M3uParseOptions = {}): M3uParse {
  const parser = new M3uLineParser(options);
  let started = false;
  const claim = (): void => {
    if (started) throw new Error('an M3U parse can be iterated only once');
    started = true;
  };
  async function* batches(): AsyncGenerator<M3uEntry[]> {
    claim();
    for await (const chunk of source) {
      // A big chunk (a file read 1 MB at a time) is parsed a slice at a time: the consumer can
      // let the event loop run between batches, never in the middle of one slice's parse.
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
      for (let at = 0; at < bytes.length; at += BATCH_BYTES) {
        const out: M3uEntry[] = [];
        parser.feedBytes(bytes.subarray(at, at + BATCH_BYTES), out);
        if (out.length > 0) yield out;
      }
    }
    const out: M3uEntry[] = [];
    parser.end(out);
    if (out.length > 0) yield out;
  }
  async function* entries(): AsyncGenerator<M3uEntry> {
    for await (const batch of batches()) yield* batch;
  }
  return {
    get header() {
      return parser.header;
    },
    get summary() {
      return parser.summary();
    },
    batches,
    [Symbol.asyncIterator]: () => entries(),
  };
}

/** Parse a whole playlist held in memory. */
export function parseM3uString(
  text: string,
  options: M3uParseOptions = {},
): { header: M3uHeader; entries: M3uEntry[]; summary: M3uSummary } {
  const parser = new M3uLineParser(options);
  const entries: M3uEntry[] = [];
  parser.feedText(text, entries);
  parser.end(entries);
  return { header: parser.header, entries, summary: parser.summary() };
}

// ---------------------------------------------------------------------------------------------

interface PendingInfo {
  line: number;
  duration: number;
  attrs: Record<string, string>;
  title: string;
}

const CH_SPACE = 0x20;
const CH_TAB = 0x09;
const CH_QUOTE = 0x22;
const CH_APOS = 0x27;
const CH_COMMA = 0x2c;
const CH_EQ = 0x3d;
const CH_HASH = 0x23;
const CH_CR = 0x0d;
const CH_BOM = 0xfeff;

/**
 * Line-level state machine. Exported for callers that already have lines (tests, other
 * sources); most code wants `parseM3u` / `parseM3uString`.
 */
export class M3uLineParser {
  readonly header: M3uHeader = { present: false, line: 0, attrs: {}, tvgUrls: [] };
  private readonly maxIssues: number;
  private readonly maxLineLength: number;
  private readonly issues: M3uIssue[] = [];
  private issueCount = 0;
  private malformedLines = 0;
  private lastMalformedLine = 0;
  private lineNo = 0;
  private entryCount = 0;

  private pending: PendingInfo | null = null;
  private vlcOpts: Record<string, string> | null = null;
  private kodiProps: Record<string, string> | null = null;
  private optHeaders: Record<string, string> | null = null;
  private kodiHeaders: Record<string, string> | null = null;
  private extgrp: string[] | null = null;
  private defaultHeaders: Record<string, string> | null = null;

  // Chunk splitting state. Byte input is split on newline bytes and each line decoded on its
  // own, so an entry's strings never keep a whole 64 KB chunk alive (V8 slices share their
  // parent string): a consumer that keeps a few entries keeps only those lines.
  private byteCarry: Buffer[] = [];
  private byteCarryLength = 0;
  private textCarry = '';
  private skippingLongLine = false;
  private sepByte = -1;
  private separator: '\n' | '\r' | null = null;

  constructor(options: M3uParseOptions = {}) {
    this.maxIssues = options.maxIssues ?? 100;
    this.maxLineLength = options.maxLineLength ?? 1 << 20;
  }

  summary(): M3uSummary {
    return {
      header: this.header,
      entries: this.entryCount,
      lines: this.lineNo,
      malformed: this.malformedLines,
      issues: this.issues.slice(),
      issuesTruncated: this.issueCount > this.issues.length,
    };
  }

  /** Feed one chunk of a stream; complete entries are pushed to `out`. Strings are UTF-8 encoded first. */
  feed(chunk: M3uChunk, out: M3uEntry[]): void {
    if (typeof chunk === 'string') this.feedBytes(Buffer.from(chunk, 'utf8'), out);
    else this.feedBytes(chunk, out);
  }

  /** Feed raw bytes (UTF-8; lines that are not valid UTF-8 are read as Latin-1). */
  feedBytes(chunk: Uint8Array, out: M3uEntry[]): void {
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    if (buf.length === 0) return;
    if (this.sepByte === -1) {
      // Classic-Mac lists end lines with CR alone; everything else has LF.
      this.sepByte = buf.indexOf(0x0a) !== -1 || buf.indexOf(0x0d) === -1 ? 0x0a : 0x0d;
    }
    const sep = this.sepByte;
    let start = 0;
    if (this.byteCarryLength > 0 || this.skippingLongLine) {
      const nl = buf.indexOf(sep);
      if (nl === -1) {
        this.appendByteCarry(buf);
        return;
      }
      if (this.skippingLongLine) {
        this.skippingLongLine = false;
        this.lineNo++;
      } else {
        this.byteCarry.push(buf.subarray(0, nl));
        const line = Buffer.concat(this.byteCarry, this.byteCarryLength + nl);
        this.byteCarry = [];
        this.byteCarryLength = 0;
        this.lineNo++;
        if (line.length > this.maxLineLength) this.issue(this.lineNo, 'line-too-long', decodeLine(line, 0, 200));
        else this.processLine(decodeLine(line, 0, line.length), out);
      }
      start = nl + 1;
    }
    const max = this.maxLineLength;
    for (;;) {
      const nl = buf.indexOf(sep, start);
      if (nl === -1) break;
      this.lineNo++;
      if (nl - start > max) this.issue(this.lineNo, 'line-too-long', decodeLine(buf, start, start + 200));
      else if (nl > start) this.processLine(decodeLine(buf, start, nl), out);
      start = nl + 1;
    }
    // Copy the tail: the source may reuse its buffer.
    if (start < buf.length) this.appendByteCarry(Buffer.from(buf.subarray(start)));
  }

  /** Feed text (the whole-string helper). Line strings are slices of `text`. */
  feedText(text: string, out: M3uEntry[]): void {
    if (text.length === 0) return;
    if (this.separator === null) {
      this.separator = text.includes('\n') || !text.includes('\r') ? '\n' : '\r';
    }
    const sep = this.separator;
    let start = 0;
    if (this.textCarry.length > 0 || this.skippingLongLine) {
      const nl = text.indexOf(sep);
      if (nl === -1) {
        this.appendTextCarry(text);
        return;
      }
      if (this.skippingLongLine) {
        this.skippingLongLine = false;
        this.lineNo++;
      } else {
        const line = this.textCarry + text.slice(0, nl);
        this.textCarry = '';
        this.lineNo++;
        this.processLine(line, out);
      }
      start = nl + 1;
    }
    for (;;) {
      const nl = text.indexOf(sep, start);
      if (nl === -1) break;
      this.lineNo++;
      if (nl - start > this.maxLineLength) this.issue(this.lineNo, 'line-too-long', text.slice(start, start + 200));
      else this.processLine(text.slice(start, nl), out);
      start = nl + 1;
    }
    if (start < text.length) this.appendTextCarry(text.slice(start));
  }

  /** Flush the last line and any EXTINF left without a URL. */
  end(out: M3uEntry[]): void {
    if (this.byteCarryLength > 0) {
      const line = Buffer.concat(this.byteCarry, this.byteCarryLength);
      this.byteCarry = [];
      this.byteCarryLength = 0;
      this.lineNo++;
      this.processLine(decodeLine(line, 0, line.length), out);
    } else if (this.textCarry.length > 0) {
      const line = this.textCarry;
      this.textCarry = '';
      this.lineNo++;
      this.processLine(line, out);
    } else if (this.skippingLongLine) {
      this.skippingLongLine = false;
      this.lineNo++;
    }
    if (this.pending) {
      this.issue(this.pending.line, 'extinf-without-url', '#EXTINF (end of file)');
      this.pending = null;
    }
  }

  /** Process one logical line (no terminator). Returns the entry it completes, if any. */
  pushLine(raw: string): M3uEntry | null {
    this.lineNo++;
    const out: M3uEntry[] = [];
    this.processLine(raw, out);
    return out[0] ?? null;
  }

  private appendByteCarry(part: Buffer): void {
    if (this.skippingLongLine) return;
    if (this.byteCarryLength + part.length > this.maxLineLength) {
      // The long line has not been counted yet: it is line lineNo + 1.
      const head = Buffer.concat([...this.byteCarry, part.subarray(0, 200)]);
      this.issue(this.lineNo + 1, 'line-too-long', decodeLine(head, 0, Math.min(head.length, 200)));
      this.byteCarry = [];
      this.byteCarryLength = 0;
      this.skippingLongLine = true;
      return;
    }
    this.byteCarry.push(part);
    this.byteCarryLength += part.length;
  }

  private appendTextCarry(text: string): void {
    if (this.skippingLongLine) return;
    if (this.textCarry.length + text.length > this.maxLineLength) {
      this.issue(this.lineNo + 1, 'line-too-long', (this.textCarry + text.slice(0, 200)).slice(0, 200));
      this.textCarry = '';
      this.skippingLongLine = true;
      return;
    }
    this.textCarry += text;
  }

  private issue(line: number, kind: M3uIssueKind, text: string): void {
    this.issueCount++;
    if (line !== this.lastMalformedLine) {
      this.malformedLines++;
      this.lastMalformedLine = line;
    }
    if (this.issues.length < this.maxIssues) {
      this.issues.push({ line, kind, text: text.length > 200 ? text.slice(0, 200) : text });
    }
  }

  private processLine(raw: string, out: M3uEntry[]): void {
    let line = raw;
    let end = line.length;
    if (end > 0 && line.charCodeAt(end - 1) === CH_CR) line = line.slice(0, --end);
    if (end > 0 && line.charCodeAt(0) === CH_BOM) line = line.slice(1);
    line = line.trim();
    if (line.length === 0) return;

    if (line.charCodeAt(0) !== CH_HASH) {
      this.urlLine(line, out);
      return;
    }
    // Directive or comment. Compare an upper-cased prefix only.
    const head = (line.length > 16 ? line.slice(0, 16) : line).toUpperCase();
    if (head.startsWith('#EXTINF')) this.extinf(line);
    else if (head.startsWith('#EXTVLCOPT')) this.vlcOpt(line);
    else if (head.startsWith('#KODIPROP')) this.kodiProp(line);
    else if (head.startsWith('#EXTGRP')) this.extGrp(line);
    else if (head.startsWith('#EXTM3U')) this.extm3u(line);
    // Everything else (#EXT-X-SESSION-DATA, #PLAYLIST, #EXTIMG, plain comments) is ignored.
  }

  private extm3u(line: string): void {
    const h = this.header;
    if (!h.present) {
      h.present = true;
      h.line = this.lineNo;
    }
    const attrs: Record<string, string> = {};
    parseAttributes(line, 7, attrs, this, false);
    for (const [k, v] of Object.entries(attrs)) {
      if (!Object.hasOwn(h.attrs, k)) h.attrs[k] = v;
    }
    for (const key of ['x-tvg-url', 'url-tvg', 'tvg-url']) {
      const v = attrs[key];
      if (!v) continue;
      for (const u of v.split(',')) {
        const t = u.trim();
        if (t && !h.tvgUrls.includes(t)) h.tvgUrls.push(t);
      }
    }
    const ua = attrs['user-agent'] ?? attrs['http-user-agent'];
    const ref = attrs['referer'] ?? attrs['referrer'] ?? attrs['http-referrer'] ?? attrs['http-referer'];
    if (ua || ref) {
      this.defaultHeaders ??= {};
      if (ua) this.defaultHeaders['User-Agent'] ??= ua;
      if (ref) this.defaultHeaders['Referer'] ??= ref;
    }
  }

  private extinf(line: string): void {
    if (this.pending) {
      this.issue(this.pending.line, 'extinf-without-url', '#EXTINF followed by another #EXTINF');
    }
    const n = line.length;
    let i = 7; // after "#EXTINF"
    while (i < n && isSpace(line.charCodeAt(i))) i++;
    if (i < n && line.charCodeAt(i) === 0x3a /* : */) i++;
    while (i < n && isSpace(line.charCodeAt(i))) i++;
    const d0 = i;
    while (i < n && isDurationChar(line.charCodeAt(i))) i++;
    let duration = -1;
    if (i > d0) {
      const d = Number(line.slice(d0, i));
      if (Number.isFinite(d)) duration = d;
    }
    const attrs: Record<string, string> = {};
    const titleStart = parseAttributes(line, i, attrs, this, true);
    let title = titleStart < n ? line.slice(titleStart).trim() : '';
    if (title.length === 0) title = attrs['tvg-name']?.trim() ?? '';
    this.pending = { line: this.lineNo, duration, attrs, title };
  }

  private vlcOpt(line: string): void {
    const kv = splitOption(line);
    if (!kv) {
      this.issue(this.lineNo, 'bad-option', line);
      return;
    }
    const key = kv[0].toLowerCase();
    const value = kv[1];
    (this.vlcOpts ??= {})[key] = value;
    const header = VLC_HEADER_OPTS.get(key);
    if (header && value) (this.optHeaders ??= {})[header] = value;
  }

  private kodiProp(line: string): void {
    const kv = splitOption(line);
    if (!kv) {
      this.issue(this.lineNo, 'bad-option', line);
      return;
    }
    const [key, value] = kv;
    (this.kodiProps ??= {})[key] = value;
    const lower = key.toLowerCase();
    if (
      lower === 'inputstream.adaptive.stream_headers' ||
      lower === 'inputstream.adaptive.common_headers' ||
      lower === 'inputstream.adaptive.manifest_headers'
    ) {
      parseHeaderPairs(value, (this.kodiHeaders ??= {}));
    }
  }

  private extGrp(line: string): void {
    const colon = line.indexOf(':');
    const value = colon === -1 ? '' : line.slice(colon + 1);
    const groups = splitGroups(value);
    this.extgrp = groups.length > 0 ? groups : null;
  }

  private urlLine(line: string, out: M3uEntry[]): void {
    let url = line;
    let pipeHeaders: Record<string, string> | null = null;
    const pipe = line.indexOf('|');
    if (pipe > 0 && line.indexOf('=', pipe) !== -1) {
      url = line.slice(0, pipe).trimEnd();
      pipeHeaders = {};
      parseHeaderPairs(line.slice(pipe + 1), pipeHeaders);
    }
    if (!looksLikeUrl(url)) {
      this.issue(this.lineNo, 'not-a-url', line);
      return; // a pending EXTINF keeps waiting for its URL
    }
    const p = this.pending;
    this.pending = null;
    const attrs = p ? p.attrs : {};
    let headers: Record<string, string>;
    if (this.defaultHeaders || this.kodiHeaders || this.optHeaders || pipeHeaders) {
      // Precedence, lowest first: list defaults, KODIPROP, EXTVLCOPT, URL pipe.
      headers = { ...this.defaultHeaders, ...this.kodiHeaders, ...this.optHeaders, ...pipeHeaders };
    } else headers = {};
    const groupTitle = attrs['group-title'] ?? null;
    let groups: string[];
    if (groupTitle !== null && groupTitle.trim().length > 0) groups = splitGroups(groupTitle);
    else groups = this.extgrp ? this.extgrp.slice() : [];
    const title = p && p.title.length > 0 ? p.title : titleFromUrl(url);
    const entry: M3uEntry = {
      title,
      url,
      duration: p ? p.duration : -1,
      attrs,
      tvgId: attrs['tvg-id'] || null,
      tvgName: attrs['tvg-name'] || null,
      tvgLogo: attrs['tvg-logo'] || null,
      groupTitle,
      groups,
      headers,
      kodiProps: this.kodiProps ?? {},
      vlcOpts: this.vlcOpts ?? {},
      line: p ? p.line : this.lineNo,
      urlLine: this.lineNo,
      hasExtinf: p !== null,
    };
    this.vlcOpts = null;
    this.kodiProps = null;
    this.optHeaders = null;
    this.kodiHeaders = null;
    this.entryCount++;
    out.push(entry);
  }

  /** @internal used by parseAttributes */
  reportIssue(kind: M3uIssueKind, text: string): void {
    this.issue(this.lineNo, kind, text);
  }
}

/**
 * Decode one line of bytes as UTF-8; a line that is not valid UTF-8 (an old Windows-1252 list)
 * is read as Latin-1 instead of being filled with U+FFFD.
 */
function decodeLine(buf: Buffer, start: number, end: number): string {
  const e = Math.min(end, buf.length);
  const s = buf.toString('utf8', start, e);
  if (s.indexOf('\uFFFD') === -1 || isUtf8(buf.subarray(start, e))) return s;
  return buf.toString('latin1', start, e);
}

// ---------------------------------------------------------------------------------------------
// Attribute scanner

interface IssueSink {
  reportIssue(kind: M3uIssueKind, text: string): void;
}

/**
 * Parse `key="value" key2=value2 ...` starting at `i`. Writes lower-cased keys into `out`
 * (first occurrence wins). With `withTitle`, returns the index where the title starts (after the
 * separating comma, or at a bare word when there is no comma); otherwise the line's length.
 */
export function parseAttributes(
  s: string,
  i: number,
  out: Record<string, string>,
  sink: IssueSink | null,
  withTitle: boolean,
): number {
  const n = s.length;
  for (;;) {
    while (i < n && isSpace(s.charCodeAt(i))) i++;
    if (i >= n) return n;
    const c = s.charCodeAt(i);
    if (c === CH_COMMA) {
      if (withTitle) return i + 1;
      i++;
      continue;
    }
    const k0 = i;
    while (i < n && isKeyChar(s.charCodeAt(i))) i++;
    if (i === k0) {
      // A quote or '=' where a key should start.
      if (withTitle) return k0;
      sink?.reportIssue('bad-attribute', s);
      return n;
    }
    let j = i;
    while (j < n && isSpace(s.charCodeAt(j))) j++;
    if (j >= n || s.charCodeAt(j) !== CH_EQ) {
      // A bare word: with no comma in sight, this is where the title begins.
      if (withTitle) return k0;
      i = j;
      continue;
    }
    const key = s.slice(k0, i).toLowerCase();
    i = j + 1;
    while (i < n && isSpace(s.charCodeAt(i))) i++;
    let value: string;
    const q = i < n ? s.charCodeAt(i) : 0;
    if (q === CH_QUOTE || q === CH_APOS) {
      const v0 = i + 1;
      const close = findClosingQuote(s, v0, q);
      if (close === -1) {
        // Unterminated: the value runs to the title comma (or the end).
        const comma = s.indexOf(',', v0);
        const vEnd = comma === -1 ? n : comma;
        value = s.slice(v0, vEnd);
        i = vEnd;
        sink?.reportIssue('unterminated-quote', s);
      } else {
        value = s.slice(v0, close);
        i = close + 1;
        // `a="x b="y"`: an earlier quote was never closed; cut before the swallowed key.
        const swallowed = value.indexOf('="');
        if (swallowed !== -1) {
          const cut = swallowedKeyStart(value, swallowed);
          if (cut !== -1) {
            value = value.slice(0, cut).trimEnd();
            i = v0 + cut;
            sink?.reportIssue('unterminated-quote', s);
          }
        }
      }
    } else {
      const v0 = i;
      i = scanUnquotedValue(s, v0);
      value = s.slice(v0, i).trimEnd();
    }
    if (key !== '__proto__' && !Object.hasOwn(out, key)) out[key] = value.trim();
  }
}

/**
 * A closing quote is one followed by the end, a comma, or (after optional spaces) `key=`;
 * failing that, the first one followed by a space.
 * Quotes inside values (`tvg-name="The "Best" Movie"`) fail that test and are kept.
 */
function findClosingQuote(s: string, from: number, quote: number): number {
  const q = String.fromCharCode(quote);
  const n = s.length;
  let beforeSpace = -1;
  let at = s.indexOf(q, from);
  while (at !== -1) {
    let k = at + 1;
    while (k < n && isSpace(s.charCodeAt(k))) k++;
    if (k >= n || s.charCodeAt(k) === CH_COMMA) return at;
    if (beforeSpace === -1 && k > at + 1) beforeSpace = at;
    const k0 = k;
    while (k < n && isKeyChar(s.charCodeAt(k))) k++;
    if (k > k0) {
      while (k < n && isSpace(s.charCodeAt(k))) k++;
      if (k < n && s.charCodeAt(k) === CH_EQ) return at;
    }
    at = s.indexOf(q, at + 1);
  }
  // No quote is followed by a comma, the end or `key=`: a bare title follows the attributes
  // (`tvg-logo="x.png" Filme Sem Vírgula`); close at the first quote followed by a space.
  return beforeSpace;
}

/** In a value that contains `key="`, the index of the whitespace-separated key's start, or -1. */
function swallowedKeyStart(value: string, eqAt: number): number {
  let k = eqAt;
  while (k > 0 && isKeyChar(value.charCodeAt(k - 1))) k--;
  if (k === eqAt || k === 0 || !isSpace(value.charCodeAt(k - 1))) return -1;
  return k;
}

/** Unquoted values run to a comma, or to whitespace followed by `key=`. */
function scanUnquotedValue(s: string, i: number): number {
  const n = s.length;
  while (i < n) {
    const c = s.charCodeAt(i);
    if (c === CH_COMMA) return i;
    if (isSpace(c)) {
      let k = i + 1;
      while (k < n && isSpace(s.charCodeAt(k))) k++;
      const k0 = k;
      while (k < n && isKeyChar(s.charCodeAt(k))) k++;
      if (k > k0 && k < n && s.charCodeAt(k) === CH_EQ) return i;
      i = k > i + 1 ? k : i + 1;
      continue;
    }
    i++;
  }
  return n;
}

function isSpace(c: number): boolean {
  return c === CH_SPACE || c === CH_TAB;
}

function isDurationChar(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || c === 0x2d || c === 0x2b || c === 0x2e;
}

/** Attribute names: letters, digits, '-', '_', ':', '.'. */
function isKeyChar(c: number): boolean {
  return (
    (c >= 0x61 && c <= 0x7a) ||
    (c >= 0x41 && c <= 0x5a) ||
    (c >= 0x30 && c <= 0x39) ||
    c === 0x2d ||
    c === 0x5f ||
    c === 0x3a ||
    c === 0x2e
  );
}

// ---------------------------------------------------------------------------------------------
// Options, headers, URLs

const VLC_HEADER_OPTS = new Map<string, string>([
  ['http-user-agent', 'User-Agent'],
  ['http-referrer', 'Referer'],
  ['http-referer', 'Referer'],
  ['http-origin', 'Origin'],
  ['http-cookie', 'Cookie'],
]);

const CANONICAL_HEADERS = new Map<string, string>([
  ['user-agent', 'User-Agent'],
  ['referer', 'Referer'],
  ['referrer', 'Referer'],
  ['origin', 'Origin'],
  ['cookie', 'Cookie'],
  ['cookies', 'Cookie'],
  ['authorization', 'Authorization'],
  ['accept', 'Accept'],
  ['accept-language', 'Accept-Language'],
  ['x-forwarded-for', 'X-Forwarded-For'],
]);

/** `#TAG:key=value` -> [key, value]; null when there is no `key=`. */
function splitOption(line: string): [string, string] | null {
  const colon = line.indexOf(':');
  if (colon === -1) return null;
  const eq = line.indexOf('=', colon + 1);
  if (eq === -1) return null;
  const key = line.slice(colon + 1, eq).trim();
  if (key.length === 0) return null;
  return [key, line.slice(eq + 1).trim()];
}

/** `User-Agent=X&Referer=Y` (Kodi style, values URL-encoded, `!` marks custom headers). */
function parseHeaderPairs(s: string, out: Record<string, string>): void {
  for (const part of s.split('&')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    let name = part.slice(0, eq).trim();
    if (name.charCodeAt(0) === 0x21 /* ! */) name = name.slice(1);
    if (name.length === 0 || name === '__proto__') continue;
    const value = safeDecode(part.slice(eq + 1).trim());
    out[CANONICAL_HEADERS.get(name.toLowerCase()) ?? name] = value;
  }
}

function safeDecode(s: string): string {
  if (s.indexOf('%') === -1 && s.indexOf('+') === -1) return s;
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    return s;
  }
}

function splitGroups(value: string): string[] {
  if (value.indexOf(';') === -1) {
    const t = value.trim();
    return t.length > 0 ? [t] : [];
  }
  const out: string[] = [];
  for (const g of value.split(';')) {
    const t = g.trim();
    if (t.length > 0) out.push(t);
  }
  return out;
}

/**
 * `scheme://...` (any scheme, spaces tolerated: some lists don't encode them), or a path
 * without whitespace (`/vod/x.mp4`, `movies/x.mkv`).
 */
export function looksLikeUrl(s: string): boolean {
  const sep = s.indexOf('://');
  if (sep > 0 && sep <= 12) {
    for (let k = 0; k < sep; k++) {
      const c = s.charCodeAt(k);
      const ok = (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (k > 0 && ((c >= 0x30 && c <= 0x39) || c === 0x2b || c === 0x2d || c === 0x2e));
      if (!ok) return false;
    }
    return s.length > sep + 3;
  }
  if (s.indexOf(' ') !== -1 || s.indexOf('\t') !== -1) return false;
  return s.indexOf('/') !== -1 || s.indexOf('.') !== -1 || s.indexOf('\\') !== -1;
}

/** The URL's last path segment without extension, decoded: a title of last resort. */
export function titleFromUrl(url: string): string {
  let end = url.length;
  const q = url.indexOf('?');
  if (q !== -1) end = q;
  const h = url.indexOf('#');
  if (h !== -1 && h < end) end = h;
  let path = url.slice(0, end);
  while (path.endsWith('/')) path = path.slice(0, -1);
  const slash = path.lastIndexOf('/');
  let name = slash === -1 ? path : path.slice(slash + 1);
  const dot = name.lastIndexOf('.');
  if (dot > 0) name = name.slice(0, dot);
  name = safeDecode(name);
  return name.length > 0 ? name : url;
}
