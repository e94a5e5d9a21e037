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

import type { ContentType, Language } from './classify.js';
import { fold } from './normalize.js';
import { qualityFromToken } from './quality.js';

export interface IdentityInput {
  contentType: ContentType;
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
const RX_PREFIX = /^\|? ?[A-Z]{2,3} ?(?:\||:)\s*/;

/** The normalised title used inside keys. */
export function keyTitle(title: string): string {
  let s = title;
  if (s.indexOf('[') !== -1 || s.indexOf('(') !== -1) s = s.replace(RX_BRACKET_TAG, ' ');
  if (s.indexOf('|') !== -1 || s.indexOf(':') !== -1) s = s.replace(RX_PREFIX, '');
  s = fold(s);
  if (s.indexOf('&') !== -1) s = s.replace(/&/g, ' e ');
  // Apostrophes and acronym dots join ("Grey's" -> greys, "S.W.A.T." -> swat); other punctuation splits.
  if (s.indexOf("'") !== -1 || s.indexOf('\u2019') !== -1 || s.indexOf('`') !== -1 || s.indexOf('\u00b4') !== -1) {
    s = s.replace(/['\u2019`\u00b4]/g, '');
  }
  if (s.indexOf('.') !== -1) s = s.replace(/(?<=\b[a-z])\.(?=[a-z]\b)/g, '');
  const words = s.split(/[^a-z0-9]+/);
  const out: string[] = [];
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    if (w.length === 0 || TAG_WORDS.has(w)) continue;
    if (w === 'audio' && words[i - 1] === 'dual') continue;
    if (out.length > 0 && STOP_WORDS.has(w)) continue;
    out.push(w);
  }
  // Quality words at the end only (a title may contain "HD" as a word elsewhere).
  while (out.length > 1 && qualityFromToken(out[out.length - 1]!)) out.pop();
  return out.join(' ');
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
