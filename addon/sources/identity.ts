/**
 * Identity of a work across syncs (providers rotate stream ids and URLs), as described in
 * shared/notes/iptv.md "Identity across syncs". Pure.
 *
 *   workKey     movie   m:{title}:{year|?}
 *               episode s:{series}:S{season or 1}E{episode}   (a novela's "Cap N" is season 1)
 *               (also:  s:{series}:S{season} for a season pack, s:{series} for a bare show,
 *                       c:{title} for live channels, o:{title}:{year|?} for anything else)
 *   variantKey  {workKey}|{dubbed|subtitled|dual|-}|{qualityRank}
 *
 * Title normalisation: strip diacritics, lower-case, remove tags (language, quality, [L],
 * channel prefixes), `&` -> `e`, drop punctuation and PT/EN stop words (except the first word),
 * collapse spaces. Numbers are kept literally ("Rocky II" and "Rocky 2" differ).
 */

import type { EntryType } from '../domain/content.js';
import type { Language } from './classify.js';
import { fold, PREFIX_CODES } from './normalize.js';
import { qualityFromToken } from './quality.js';

export interface IdentityInput {
  contentType: EntryType;
  cleanTitle: string;
  show?: string | null;
  year: number | null;
  season: number | null;
  episode: number | null;
}

export interface VariantInput extends IdentityInput {
  language: Language | null;
  qualityRank: number;
}

const STOP_WORDS = new Set([
  // Portuguese articles, contractions and short prepositions
  'a', 'o', 'as', 'os', 'um', 'uma', 'uns', 'umas', 'de', 'da', 'do', 'das', 'dos', 'e', 'em', 'no', 'na',
  'nos', 'nas', 'num', 'numa', 'ao', 'aos', 'pra', 'pro', 'para', 'por', 'pelo', 'pela', 'pelos', 'pelas', 'com',
  // English
  'the', 'an', 'of', 'and', 'in', 'on', 'at', 'to', 'for', 'with', 'by',
]);

/** Tag words dropped wherever they stand (the classifier already removed most of them). */
const TAG_WORDS = new Set([
  'dublado', 'dublada', 'dublados', 'legendado', 'legendada', 'legendados', 'dual', 'dub', 'leg', 'nacional',
  'ptbr', 'hdr', 'hevc', 'h265', 'x265', 'h264', 'x264', '10bit',
]);

/** Bracketed tags and channel prefixes that must go before punctuation is dropped. */
const RX_BRACKET_TAG = /[[(](?:l|leg|dub|dublado|legendado|dual(?: [aá]udio)?|nacional|4k|uhd|fhd|hd|sd|\d{3,4}p|br|pt|pt-br)[\])]/gi;
const RX_PREFIX = /^\|? ?([A-Z0-9/-]{2,6}) ?(?:\||:)\s*/;

/** The normalised title used inside keys. */
export function keyTitle(title: string): string {
  let s = title;
  if (s.indexOf('[') !== -1 || s.indexOf('(') !== -1) s = s.replace(RX_BRACKET_TAG, ' ');
  if (s.indexOf('|') !== -1 || s.indexOf(':') !== -1) {
    const m = RX_PREFIX.exec(s);
    if (m && PREFIX_CODES.has(m[1]!.toLowerCase())) s = s.slice(m[0].length);
  }
  s = fold(s);
  // One pass over the folded title: words of [a-z0-9]; apostrophes and acronym dots join
  // ("grey's" -> greys, "s.w.a.t." -> swat); '&' is the word "e"; anything else splits.
  const words: string[] = [];
  const n = s.length;
  let word = '';
  let start = -1; // start of the current run of word characters
  for (let i = 0; i <= n; i++) {
    const c = i < n ? s.charCodeAt(i) : 0x20;
    if ((c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39)) {
      if (start === -1) start = i;
      continue;
    }
    if (start !== -1) {
      word += s.slice(start, i);
      start = -1;
    }
    if (word.length > 0 && (c === 0x27 || c === 0x2019 || c === 0x60 || c === 0xb4)) continue; // apostrophe: join
    if (c === 0x2e && isAcronymStep(s, i)) continue; // "s.w.a.t": join
    if (word.length > 0) {
      words.push(word);
      word = '';
    }
    if (c === 0x26) words.push('e');
  }
  const out: string[] = [];
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    if (TAG_WORDS.has(w)) continue;
    if (w === 'audio' && words[i - 1] === 'dual') continue;
    if (out.length > 0 && STOP_WORDS.has(w)) continue;
    out.push(w);
  }
  // Quality words at the end only (a title may contain "HD" as a word elsewhere).
  while (out.length > 1 && qualityFromToken(out[out.length - 1]!)) out.pop();
  return out.join(' ');
}

/** A dot between two single letters: `s.w` in "s.w.a.t". */
function isAcronymStep(s: string, dot: number): boolean {
  const isLetter = (c: number) => c >= 0x61 && c <= 0x7a;
  const before = s.charCodeAt(dot - 1);
  const after = s.charCodeAt(dot + 1);
  if (!isLetter(before) || !isLetter(after)) return false;
  const before2 = dot >= 2 ? s.charCodeAt(dot - 2) : 0x20;
  const after2 = dot + 2 < s.length ? s.charCodeAt(dot + 2) : 0x20;
  return !isLetter(before2) && !(after2 >= 0x30 && after2 <= 0x39) && !isLetter(after2);
}

export function workKey(item: IdentityInput): string {
  switch (item.contentType) {
    case 'series':
    case 'novela': {
      const series = keyTitle(item.show || item.cleanTitle);
      if (item.episode !== null) return `s:${series}:S${item.season ?? 1}E${item.episode}`;
      if (item.season !== null) return `s:${series}:S${item.season}`;
      return `s:${series}`;
    }
    case 'movie':
      return `m:${keyTitle(item.cleanTitle)}:${item.year ?? '?'}`;
    case 'live':
      return `c:${keyTitle(item.cleanTitle)}`;
    default:
      return `o:${keyTitle(item.cleanTitle)}:${item.year ?? '?'}`;
  }
}

/** workKey + language variant: what "same version" means when comparing qualities. */
export function languageKey(item: Omit<VariantInput, 'qualityRank'>): string {
  return `${workKey(item)}|${item.language ?? '-'}`;
}

export function variantKey(item: VariantInput): string {
  return `${languageKey(item)}|${item.qualityRank}`;
}

/** All three keys with one title normalisation (what a sync wants per entry). */
export function identityKeys(item: VariantInput): { workKey: string; languageKey: string; variantKey: string } {
  const work = workKey(item);
  const lang = `${work}|${item.language ?? '-'}`;
  return { workKey: work, languageKey: lang, variantKey: `${lang}|${item.qualityRank}` };
}

/** Split a movie workKey into its title part and year (null for '?'); null for other keys. */
export function parseMovieKey(key: string): { title: string; year: number | null } | null {
  if (!key.startsWith('m:')) return null;
  const colon = key.lastIndexOf(':');
  const year = key.slice(colon + 1);
  return { title: key.slice(2, colon), year: year === '?' ? null : Number(year) };
}

/**
 * How two movie keys relate: 'same'; 'probable' when the titles match and the years are one
 * apart, or one year is missing (the caller accepts that only with a single candidate); else 'different'.
 */
export function compareMovieKeys(a: string, b: string): 'same' | 'probable' | 'different' {
  if (a === b) return 'same';
  const pa = parseMovieKey(a);
  const pb = parseMovieKey(b);
  if (!pa || !pb || pa.title !== pb.title) return 'different';
  if (pa.year === null || pb.year === null) return 'probable';
  return Math.abs(pa.year - pb.year) === 1 ? 'probable' : 'different';
}
