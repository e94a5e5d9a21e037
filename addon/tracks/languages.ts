// The three small code maps, not the package's index: its full ISO 639-3 table (780 kB of
// source, ~8,000 entries) costs start-up time and memory, and only languages ISO 639-2 knows
// (the keys of iso6393To2B) can be written to a container anyway.
import { iso6393To1 } from 'iso-639-3/iso6393-to-1.js';
import { iso6393To2B } from 'iso-639-3/iso6393-to-2b.js';
import { iso6393To2T } from 'iso-639-3/iso6393-to-2t.js';

/**
 * Language tags as streams write them (BCP 47 "pt-BR", ISO 639-1 "pt", ISO 639-2 "por"/"ger")
 * and as containers want them: ISO 639-2/T in MP4, ISO 639-2/B in Matroska's Language element
 * (ffmpeg 5.1 has no way to write Matroska's LanguageBCP47). Pure.
 */

interface Codes {
  one: string | null;
  bib: string;
  term: string;
}

const byCode = new Map<string, Codes>();
for (const [three, bib] of Object.entries(iso6393To2B)) {
  const codes: Codes = { one: iso6393To1[three] ?? null, bib, term: iso6393To2T[three] ?? bib };
  for (const code of [codes.one, codes.bib, codes.term, three]) if (code) byCode.set(code, codes);
}

/** The primary subtag, lower case: "pt-BR" -> "pt", "POR" -> "por". */
export function primarySubtag(tag: string): string {
  return tag.trim().split(/[-_]/)[0]!.toLowerCase();
}

function codesOf(tag: string | null | undefined): Codes | null {
  if (!tag) return null;
  return byCode.get(primarySubtag(tag)) ?? null;
}

/** ISO 639-2/T ("por", "deu"), or "und" when the tag names no known language. */
export function iso6392T(tag: string | null | undefined): string {
  return codesOf(tag)?.term ?? 'und';
}

/** ISO 639-2/B ("por", "ger"), or "und". */
export function iso6392B(tag: string | null | undefined): string {
  return codesOf(tag)?.bib ?? 'und';
}

/**
 * A short, file-name-safe form for sidecars (`Film.pt-BR.srt`, `Film.en.forced.srt`): the tag as
 * the stream gives it when it is a well-formed BCP 47 tag, "und" otherwise. Plex, Jellyfin and
 * Kodi read ISO 639-1/2 and BCP 47 suffixes.
 */
export function sidecarTag(tag: string | null | undefined): string {
  if (!tag) return 'und';
  const t = tag.trim();
  if (!/^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$/.test(t)) return 'und';
  const [first, ...rest] = t.split('-');
  return [first!.toLowerCase(), ...rest.map((s) => (s.length === 2 ? s.toUpperCase() : s))].join('-');
}

/** Same language for matching purposes: "pt" = "pt-BR" = "por"; "pt-BR" != "pt-PT" only when both are regional. */
export function sameLanguage(a: string, b: string): boolean {
  const ca = codesOf(a);
  const cb = codesOf(b);
  if (ca && cb) return ca.bib === cb.bib;
  return primarySubtag(a) === primarySubtag(b);
}
