/**
 * Text folding shared by the classifier and the identity keys. Pure, no I/O.
 *
 * `fold` lower-cases and strips diacritics *without changing the string's length*, so an index
 * found in the folded copy points at the same character in the original (the classifier matches
 * patterns on the folded copy and cuts the original).
 */

/** Code unit -> folded code unit, for U+0000..U+024F. Built once from Unicode's own decompositions. */
const FOLD_TABLE: Uint16Array = buildFoldTable();

function buildFoldTable(): Uint16Array {
  const table = new Uint16Array(0x250);
  for (let c = 0; c < table.length; c++) {
    const ch = String.fromCharCode(c);
    let out = c;
    if (c >= 0x41 && c <= 0x5a) out = c + 32;
    else if (c >= 0xc0) {
      const base = ch.normalize('NFD').charCodeAt(0);
      if (base < 0x80) out = base >= 0x41 && base <= 0x5a ? base + 32 : base;
      else {
        const lower = ch.toLowerCase();
        out = lower.length === 1 ? lower.charCodeAt(0) : c;
      }
    }
    table[c] = out;
  }
  // Letters NFD leaves alone, and Portuguese ordinal indicators (1ª, 2º).
  const extra: Record<string, string> = {
    'ª': 'a', 'º': 'o', 'ß': 's', 'Ø': 'o', 'ø': 'o', 'Đ': 'd', 'đ': 'd', 'Ł': 'l', 'ł': 'l',
    'Æ': 'a', 'æ': 'a', 'Œ': 'o', 'œ': 'o', 'Þ': 't', 'þ': 't', 'Ð': 'd', 'ð': 'd', 'ı': 'i',
  };
  for (const [from, to] of Object.entries(extra)) table[from.charCodeAt(0)] = to.charCodeAt(0);
  return table;
}

/** Lower-case and strip diacritics, keeping the length (one code unit in, one out). */
export function fold(s: string): string {
  let i = 0;
  let upper = false;
  for (; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x80) break;
    if (c >= 0x41 && c <= 0x5a) upper = true;
  }
  if (i === s.length) return upper ? s.toLowerCase() : s;
  const lower = s.toLowerCase();
  // Latin text keeps its length when lower-cased; a few letters (İ) do not: go char by char.
  if (lower.length === s.length) return lower.replace(RX_FOLDABLE, foldOne);
  let out = '';
  for (let k = 0; k < s.length; k++) {
    const ch = s[k]!;
    const l = ch.toLowerCase();
    out += foldOne(l.length === 1 ? l : ch);
  }
  return out;
}

const RX_FOLDABLE = /[\u0080-\u024f\u1e00-\u1eff]/g;

function foldOne(ch: string): string {
  const c = ch.charCodeAt(0);
  if (c < 0x80) return ch;
  if (c < 0x250) return String.fromCharCode(FOLD_TABLE[c]!);
  if (c >= 0x1e00 && c <= 0x1eff) {
    // Latin Extended Additional (ẽ, ỳ, ...): base letter via NFD.
    const base = ch.normalize('NFD').charCodeAt(0);
    return base < 0x80 ? String.fromCharCode(base >= 0x41 && base <= 0x5a ? base + 32 : base) : ch;
  }
  return ch;
}

/** Collapse runs of whitespace to one space and trim. */
export function collapseSpaces(s: string): string {
  // Fast path: most titles are already clean.
  const n = s.length;
  if (n === 0) return s;
  let clean = s.charCodeAt(0) !== 0x20 && s.charCodeAt(n - 1) !== 0x20;
  for (let i = 0; clean && i < n; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x20) {
      if (s.charCodeAt(i + 1) === 0x20) clean = false;
    } else if (c <= 0x0d || c === 0xa0 || c === 0x3000 || (c >= 0x2000 && c <= 0x200a) || c === 0xfeff) clean = false;
  }
  return clean ? s : s.replace(/\s+/g, ' ').trim();
}

/**
 * Strip separator punctuation (dashes, pipes, colons, commas, dots, ...) from both ends of a
 * title, as left behind when tags or years are cut off ("Minha Mãe é uma Peça 3 -").
 * Keeps a trailing "!" or "?" and a trailing dot after a letter ("S.W.A.T.").
 */
export function trimSeparators(s: string): string {
  let start = 0;
  let end = s.length;
  while (start < end) {
    const c = s.charCodeAt(start);
    if (!isEdgeSeparator(c, true) && c !== 0x29 && c !== 0x5d && c !== 0x7d) break; // ) ] }
    start++;
  }
  while (end > start) {
    const c = s.charCodeAt(end - 1);
    if (c === 0x2e /* . */ && end - 2 >= start && isLetterCode(s.charCodeAt(end - 2)) && isAcronymDot(s, end - 1)) break;
    if (!isEdgeSeparator(c, false) && c !== 0x28 && c !== 0x5b && c !== 0x7b) break; // ( [ {
    end--;
  }
  return start === 0 && end === s.length ? s : s.slice(start, end);
}

function isAcronymDot(s: string, dotIndex: number): boolean {
  // "S.W.A.T." ends with letter-dot-letter-dot; a lone trailing dot after a word is punctuation.
  return dotIndex >= 3 && s.charCodeAt(dotIndex - 2) === 0x2e;
}

function isLetterCode(c: number): boolean {
  return (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c >= 0xc0;
}

function isEdgeSeparator(c: number, leading: boolean): boolean {
  switch (c) {
    case 0x20: case 0x09: case 0x2d: case 0x7c: case 0x3a: case 0x2c: case 0x3b: case 0x2e: case 0x2f:
    case 0x5f: case 0x2013: case 0x2014: case 0x2022: case 0xb7: case 0x7e: case 0x3d:
      return true;
    case 0x22: case 0x27:
      return leading;
    default:
      return false;
  }
}

/**
 * Channel/region codes providers put before titles ("BR: Globo", "|PT| Filme", "[EN] Movie").
 * Lower case; the classifier only strips them when written in capitals.
 */
export const PREFIX_CODES: ReadonlySet<string> = new Set([
  'br', 'bra', 'pt', 'ptbr', 'pt-br', 'en', 'us', 'usa', 'uk', 'es', 'fr', 'de', 'lat', 'latam', 'mx', 'ar', 'ca', 'au',
  'nl', 'pl', 'tr', 'ru', 'jp', 'kr', 'vod', 'h265', 'hevc', '24/7', '24h', '24hs', '24hrs',
]);
