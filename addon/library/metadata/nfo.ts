/**
 * Kodi / Jellyfin / Emby NFO files, built as text. Pure: no I/O.
 *
 * Element names as Kodi's wiki (NFO_files/Movies, /TV_shows, /Episodes) and Jellyfin's NFO
 * savers use them: <movie>, <tvshow>, <episodedetails>; title, originaltitle, year, premiered
 * (Kodi's current element; year is kept for older readers), aired, plot, genre (one per genre),
 * season, episode, and <uniqueid type="tmdb" default="true">, which both map to the TMDB id.
 */
export const NFO_GENERATOR = 'M3U Downloader';

export interface MovieNfo {
  title: string;
  original_title?: string | null;
  year?: number | null;
  premiered?: string | null;
  plot?: string | null;
  genres?: readonly string[];
  tmdb_id?: number | null;
}

export interface TvShowNfo {
  title: string;
  original_title?: string | null;
  year?: number | null;
  premiered?: string | null;
  plot?: string | null;
  genres?: readonly string[];
  tmdb_id?: number | null;
}

export interface EpisodeNfo {
  title: string;
  /** The show's title (Kodi's <showtitle>). */
  show_title?: string | null;
  season: number;
  episode: number;
  aired?: string | null;
  plot?: string | null;
  /** The episode's own TMDB id, when known (not the show's). */
  tmdb_id?: number | null;
}

// XML 1.0 allows tab, newline, carriage return and everything from U+0020 except surrogates
// and U+FFFE/U+FFFF; anything else (control characters pasted from a playlist) is dropped.
// eslint-disable-next-line no-control-regex
const NOT_XML = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** Text content or an attribute value, escaped; characters XML cannot carry removed. */
export function xmlText(value: string): string {
  return value.replace(NOT_XML, '').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

const clean = (v: string | null | undefined): string | null => {
  if (typeof v !== 'string') return null;
  const t = v.replace(NOT_XML, '').trim();
  return t === '' ? null : t;
};
const date = (v: string | null | undefined): string | null => (typeof v === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(v) ? v : null);
const int = (v: number | null | undefined, min: number, max: number): number | null => (typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max ? v : null);

function element(name: string, value: string | number | null): string[] {
  if (value === null) return [];
  return [`  <${name}>${xmlText(String(value))}</${name}>`];
}

function document(root: string, lines: string[]): string {
  return [
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>',
    `<!-- ${NFO_GENERATOR}: edit freely, a file you changed is never overwritten -->`,
    `<${root}>`,
    ...lines,
    `</${root}>`,
    '',
  ].join('\n');
}

function common(n: { title: string; original_title?: string | null; year?: number | null; premiered?: string | null; plot?: string | null; genres?: readonly string[]; tmdb_id?: number | null }): string[] {
  const premiered = date(n.premiered);
  const year = int(n.year, 1800, 2999) ?? (premiered ? Number(premiered.slice(0, 4)) : null);
  const tmdb = int(n.tmdb_id, 1, Number.MAX_SAFE_INTEGER);
  const genres = [...new Set((n.genres ?? []).map((g) => clean(g)).filter((g): g is string => g !== null))];
  return [
    ...element('title', clean(n.title) ?? 'Untitled'),
    ...element('originaltitle', clean(n.original_title) ?? clean(n.title) ?? 'Untitled'),
    ...element('year', year),
    ...element('premiered', premiered),
    ...element('plot', clean(n.plot)),
    ...genres.flatMap((g) => element('genre', g)),
    ...(tmdb === null ? [] : [`  <uniqueid type="tmdb" default="true">${tmdb}</uniqueid>`]),
  ];
}

export function movieNfo(n: MovieNfo): string {
  return document('movie', common(n));
}

export function tvShowNfo(n: TvShowNfo): string {
  return document('tvshow', common(n));
}

export function episodeNfo(n: EpisodeNfo): string {
  const tmdb = int(n.tmdb_id, 1, Number.MAX_SAFE_INTEGER);
  return document('episodedetails', [
    ...element('title', clean(n.title) ?? `Episode ${n.episode}`),
    ...element('showtitle', clean(n.show_title)),
    ...element('season', int(n.season, 0, 9999)),
    ...element('episode', int(n.episode, 0, 99999)),
    ...element('aired', date(n.aired)),
    ...element('plot', clean(n.plot)),
    ...(tmdb === null ? [] : [`  <uniqueid type="tmdb" default="true">${tmdb}</uniqueid>`]),
  ]);
}
