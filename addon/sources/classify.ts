/**
 * Title classification for IPTV VOD entries: what kind of content an entry is, and its clean
 * title, year, season/episode, quality and language. Pure; table-tested in tests/sources.
 *
 * Evidence, strongest first (see shared/notes/iptv.md):
 *   1. the source's own type (Xtream API `typeHint`) or the `tvg-type` attribute;
 *   2. the Xtream URL path: /movie/, /series/, /live/ (and /user/pass/123 for live);
 *   3. group-title words (Portuguese and English): "24HRS", "Canais" -> live; "Novelas";
 *      "Filmes", "Movies", "Lançamentos" -> movie; "Séries", "Animes", "Doramas" -> series;
 *   4. title patterns: S01E02, T02 E05, "1ª Temporada Episódio 3", "3ra Temporada Capítulo 4",
 *      "Temp. 2 Ep. 3" (strong), a season alone ("Segunda Temporada", "Season 2", "T02"), then
 *      "Cap 45", "Episódio 150", 1x02 (weak: a movie group or URL overrides them);
 *   5. a year or a video file extension -> movie; a stream URL without a year -> live.
 * Titles containing `NxN` are episodes only when a show name precedes it, nothing says "movie",
 * and the episode part has two digits (one is enough when the group or source says series):
 * "4x4 (2019)" in Filmes, "10x10 (2018)" and "Carga Pesada 2x4" stay movies; "Lost 1x02" is S1E2.
 * Release names with dots for spaces ("Dune.Part.Two.2024.1080p.WEBRip.x264-GROUP") end at the
 * year or episode marker: what follows is tags, kept when known, dropped when not.
 */

import type { EntryType } from '../domain/content.js';
import { collapseSpaces, fold, PREFIX_CODES, trimSeparators } from './normalize.js';
import { qualityFromToken, qualityRank, type Quality } from './quality.js';


export type Language = 'dubbed' | 'subtitled' | 'dual';
export type StreamType = 'movie' | 'series' | 'live';
export type TypeEvidence = 'hint' | 'tvg-type' | 'url' | 'group' | 'title' | 'extension' | 'default';

export interface ClassifyInput {
  title: string;
  url?: string | null;
  /** EXTINF attributes, lower-case keys (tvg-type, tmdb, radio, media, ...). */
  attrs?: Readonly<Record<string, string>>;
  groupTitle?: string | null;
  groups?: readonly string[];
  tvgName?: string | null;
  /** A type the source knows for certain (Xtream API: vod -> movie). Wins over everything. */
  typeHint?: EntryType | null;
}

export interface ProviderIds {
  tmdb?: string;
  streamId?: string;
  streamType?: StreamType;
  /** Host (and port) of the stream URL: stream ids are only unique per provider. */
  host?: string;
}

export interface Classification {
  contentType: EntryType;
  /** Title without year, tags and episode markers; for episodes, the show's name. */
  cleanTitle: string;
  /** The show, for series and novela entries; null otherwise. */
  show: string | null;
  /** Text after the episode marker, when there is some ("Pilot"). */
  episodeTitle: string | null;
  year: number | null;
  season: number | null;
  episode: number | null;
  /** Last episode of a multi-episode file (S01E01-E02). */
  episodeEnd: number | null;
  quality: Quality | null;
  /** The quality as written: "FHD", "1080p", "4K". */
  qualityTag: string | null;
  /** qualityRank(quality): 0 unknown, 3 = 480p, 5 = 1080p, 7 = 2160p. */
  qualityRank: number;
  language: Language | null;
  /** Every tag removed from the title, as written: "L", "4K", "Dublado", "Nacional", "BR". */
  tags: string[];
  group: string | null;
  providerIds: ProviderIds;
  /** Which evidence decided contentType. */
  typeEvidence: TypeEvidence;
}

export interface ClassifyOptions {
  /** Upper bound for years (current year + 1 is accepted). Default: this year, UTC. */
  currentYear?: number;
}

/**
 * A classifier with a per-instance cache of group-title signals (groups repeat thousands of
 * times in one list). Create one per sync.
 */
export function createClassifier(options: ClassifyOptions = {}): (input: ClassifyInput) => Classification {
  const currentYear = options.currentYear ?? new Date().getUTCFullYear();
  const groupCache = new Map<string, GroupSignals>();
  return (input) => classifyWith(input, currentYear, (g) => {
    let s = groupCache.get(g);
    if (!s) {
      if (groupCache.size > 10_000) groupCache.clear();
      s = groupSignals(g);
      groupCache.set(g, s);
    }
    return s;
  });
}

/** Classify one entry (no caching; prefer createClassifier for whole lists). */
export function classifyEntry(input: ClassifyInput, options: ClassifyOptions = {}): Classification {
  return classifyWith(input, options.currentYear ?? new Date().getUTCFullYear(), groupSignals);
}

// ---------------------------------------------------------------------------------------------

function classifyWith(
  input: ClassifyInput,
  currentYear: number,
  signalsOf: (group: string) => GroupSignals,
): Classification {
  const attrs = input.attrs ?? {};
  const group = input.groupTitle?.trim() || (input.groups && input.groups.length > 0 ? input.groups.join(';') : null);
  const g = group ? signalsOf(group) : NO_GROUP;
  const u = urlSignals(input.url ?? '');

  const tvgType = typeFromWord(attrs['tvg-type'] ?? attrs['type']);
  let strong: EntryType | null = null;
  let evidence: TypeEvidence = 'default';
  if (input.typeHint) {
    strong = input.typeHint;
    evidence = 'hint';
  } else if (tvgType) {
    strong = tvgType;
    evidence = 'tvg-type';
  } else if (u.streamType) {
    strong = u.streamType;
    evidence = 'url';
  } else if (attrs['radio']?.toLowerCase() === 'true') {
    strong = 'live';
    evidence = 'tvg-type';
  }

  const noEpisodes = strong === 'movie' || strong === 'live' || strong === 'other' || (!strong && g.type === 'live');
  const allowNxN = !noEpisodes && g.type !== 'movie';
  const bareEpisode = strong === 'series' || strong === 'novela' || (!strong && (g.type === 'series' || g.type === 'novela'));
  let t = parseTitle(input.title, { episodes: !noEpisodes, allowNxN, bareEpisode, currentYear });

  const channel = strong ? 0 : channelScore(input.title, attrs, u);
  const patternFree = t.year === null && t.marker === null;
  let type: EntryType;
  if (strong) {
    type = strong === 'series' && g.type === 'novela' ? 'novela' : strong;
  } else if (g.type === 'live') {
    type = 'live';
    evidence = 'group';
  } else if (channel >= LINEAR_WORDING && t.marker !== 'strong' && t.marker !== 'season') {
    // "24/7" in the name is a linear channel, even in a group called "VOD Movies".
    type = 'live';
    evidence = 'title';
  } else if (patternFree && channel >= CHANNEL_OVER_GROUP && (g.type === 'movie' || g.type === 'series')) {
    // A group named like a genre ("Movies" in iptv-org lists) holding a stream with a channel id.
    type = 'live';
    evidence = 'tvg-type';
  } else if (t.marker === 'strong' || t.marker === 'season') {
    type = g.type === 'novela' ? 'novela' : 'series';
    evidence = 'title';
  } else if (g.type) {
    type = g.type;
    evidence = 'group';
  } else if (t.marker === 'cap') {
    type = 'novela';
    evidence = 'title';
  } else if (t.marker === 'ep' || t.marker === 'nxn') {
    type = 'series';
    evidence = 'title';
  } else if (patternFree && channel >= CHANNEL_SIGNALS) {
    // Channel ids, numbers or catch-up with no year or episode: a channel, whatever its URL ends in.
    type = 'live';
    evidence = 'tvg-type';
  } else if (u.ext === 'vod' || attrs['media']?.toLowerCase() === 'true') {
    type = 'movie';
    evidence = 'extension';
  } else if (t.year !== null && u.ext !== 'audio') {
    type = 'movie';
    evidence = 'title';
  } else if (u.ext === 'stream' || u.ext === 'none') {
    type = 'live';
    evidence = 'extension';
  } else {
    type = 'other';
  }

  // A weak marker under a movie/live verdict was part of the title after all; and a channel's
  // name keeps its numbers ("Copa do Mundo 2026").
  if ((t.marker !== null && (type === 'movie' || type === 'other')) || (type === 'live' && (t.marker !== null || t.year !== null))) {
    t = parseTitle(input.title, { episodes: false, allowNxN: false, currentYear, years: type !== 'live' });
  }

  let quality = t.quality;
  let qualityTag = t.qualityTag;
  if (!quality && g.quality) {
    quality = g.quality;
    qualityTag = g.qualityTag;
  }
  const language = t.language ?? g.language;

  const episodic = type === 'series' || type === 'novela';
  let core = t.core;
  if (core.length === 0 && input.tvgName && input.tvgName !== input.title) {
    core = parseTitle(input.tvgName, { episodes: episodic, allowNxN: false, currentYear }).core;
  }
  if (core.length === 0) core = collapseSpaces(input.title);

  const providerIds: ProviderIds = {};
  const tmdb = attrs['tmdb'] ?? attrs['tmdb-id'] ?? attrs['tmdb_id'] ?? attrs['tvg-tmdb'];
  if (tmdb && /^\d{1,10}$/.test(tmdb.trim())) providerIds.tmdb = tmdb.trim();
  if (u.streamId) providerIds.streamId = u.streamId;
  if (u.streamType) providerIds.streamType = u.streamType;
  if (u.host) providerIds.host = u.host;

  return {
    contentType: type,
    cleanTitle: core,
    show: episodic ? core : null,
    episodeTitle: episodic ? t.episodeTitle : null,
    year: t.year,
    season: episodic ? t.season : null,
    episode: episodic ? t.episode : null,
    episodeEnd: episodic ? t.episodeEnd : null,
    quality,
    qualityTag,
    qualityRank: qualityRank(quality),
    language,
    tags: t.tags,
    group,
    providerIds,
    typeEvidence: evidence,
  };
}

/**
 * How much an entry looks like a linear channel, from evidence weaker than a type or an Xtream
 * path: 24/7 wording or iptv-org's "[Not 24/7]" / "[Geo-blocked]" notices in the name (4), a
 * tvg-id with a country suffix such as "BBCOne.uk" or "Globo.br@SD" (2), a channel number
 * (tvg-chno) or catch-up attributes (2), a stream URL (.ts, .m3u8) or one without extension (1).
 */
const LINEAR_WORDING = 4;
const CHANNEL_SIGNALS = 2;
const CHANNEL_OVER_GROUP = 3;
const RX_LINEAR = /(?<![a-z0-9])(?:24 ?\/ ?7|24 ?(?:hrs?|horas)|not 24\/7|geo-?blocked)(?![a-z0-9])/i;
const RX_COUNTRY_ID = /^[^\s.]+(?:\.[^\s.]+)*\.[a-z]{2}(?:@[\w-]+)?$/i;

export function channelScore(title: string, attrs: Readonly<Record<string, string>>, u: UrlSignals): number {
  let score = 0;
  if (RX_LINEAR.test(title)) score += LINEAR_WORDING;
  const id = attrs['tvg-id']?.trim();
  if (id && RX_COUNTRY_ID.test(id)) score += 2;
  if (attrs['tvg-chno']?.trim() || attrs['catchup'] || attrs['catchup-source'] || attrs['catchup-days'] || attrs['timeshift']) score += 2;
  if (u.ext === 'stream' || u.ext === 'none') score += 1;
  return score;
}

function typeFromWord(v: string | undefined): EntryType | null {
  if (!v) return null;
  switch (v.trim().toLowerCase()) {
    case 'movie': case 'movies': case 'film': case 'films': case 'vod': case 'filme': case 'filmes':
      return 'movie';
    case 'series': case 'serie': case 'tvshow': case 'tv-show': case 'show': case 'episode': case 'tv-series': case 'tvseries':
      return 'series';
    case 'novela': case 'novelas': case 'telenovela':
      return 'novela';
    case 'live': case 'channel': case 'tv': case 'stream': case 'radio': case 'livetv': case 'live-tv':
      return 'live';
    default:
      return null;
  }
}

// ---------------------------------------------------------------------------------------------
// URL evidence

export interface UrlSignals {
  host: string | null;
  streamType: StreamType | null;
  streamId: string | null;
  /** vod: mp4/mkv/...; stream: ts/m3u8; audio; none: no extension; other. */
  ext: 'vod' | 'stream' | 'audio' | 'none' | 'other';
}

const VOD_EXT = new Set(['mp4', 'mkv', 'avi', 'mov', 'wmv', 'm4v', 'mpg', 'mpeg', 'webm', 'flv', 'divx', '3gp', 'vob', 'ogv']);
const STREAM_EXT = new Set(['ts', 'm3u8', 'm3u', 'mpd', 'ism', 'isml', 'm2ts']);
const AUDIO_EXT = new Set(['mp3', 'aac', 'm4a', 'ogg', 'oga', 'flac', 'opus', 'wav', 'wma']);

export function urlSignals(url: string): UrlSignals {
  const out: UrlSignals = { host: null, streamType: null, streamId: null, ext: 'none' };
  if (!url) return out;
  let pathStart = 0;
  const scheme = url.indexOf('://');
  if (scheme !== -1 && scheme < 12) {
    let slash = url.indexOf('/', scheme + 3);
    if (slash === -1) slash = url.length;
    const at = url.lastIndexOf('@', slash);
    const hostStart = at > scheme ? at + 1 : scheme + 3;
    if (slash > hostStart) out.host = lowerAscii(url.slice(hostStart, slash));
    pathStart = slash;
  }
  let pathEnd = url.length;
  const q = url.indexOf('?', pathStart);
  if (q !== -1) pathEnd = q;
  const h = url.indexOf('#', pathStart);
  let fragExt = '';
  if (h !== -1) {
    if (h < pathEnd) pathEnd = h;
    if (url.charCodeAt(h + 1) === 0x2e) fragExt = lowerAscii(url.slice(h + 2)); // /play/<token>#.mp4
  }
  while (pathEnd > pathStart && url.charCodeAt(pathEnd - 1) === 0x2f) pathEnd--;

  // Boundaries of the last segments, walking back from the end (empty segments skipped):
  // .../{kind}/{user}/{pass}/{file}. segStart[k] / segEnd[k], k = 0 is the last segment.
  let count = 0;
  let s0 = 0, e0 = 0, s3 = 0, e3 = 0;
  let end = pathEnd;
  let reachedStart = false;
  for (;;) {
    if (end <= pathStart) {
      reachedStart = true;
      break;
    }
    if (count === 5) break;
    const slash = url.lastIndexOf('/', end - 1);
    const start = slash < pathStart ? pathStart : slash + 1;
    if (end > start) {
      if (count === 0) {
        s0 = start;
        e0 = end;
      } else if (count === 3) {
        s3 = start;
        e3 = end;
      }
      count++;
    }
    if (slash < pathStart) {
      reachedStart = true;
      break;
    }
    end = slash;
  }
  const dot = count > 0 ? url.lastIndexOf('.', e0 - 1) : -1;
  const hasDot = dot > s0;
  let ext = hasDot ? lowerAscii(url.slice(dot + 1, e0)) : fragExt;
  if (!ext && count > 0 && e0 - s0 <= 4) {
    const last = url.slice(s0, e0);
    if (last === 'ts' || last === 'm3u8') ext = last; // /play/<token>/ts
  }
  out.ext = !ext ? 'none' : VOD_EXT.has(ext) ? 'vod' : STREAM_EXT.has(ext) ? 'stream' : AUDIO_EXT.has(ext) ? 'audio' : 'other';

  const idEnd = hasDot ? dot : e0;
  if (count === 0 || !isDigitRange(url, s0, idEnd)) return out;
  if (count >= 4) {
    // Xtream: /{movie|series|live}/{user}/{pass}/{id}.{ext}
    const kind = lowerAscii(url.slice(s3, e3));
    const type: StreamType | null =
      kind === 'movie' || kind === 'movies' || kind === 'vod' ? 'movie' : kind === 'series' ? 'series' : kind === 'live' ? 'live' : null;
    if (type) {
      out.streamType = type;
      out.streamId = url.slice(s0, idEnd);
      return out;
    }
  }
  // Xtream live shorthand: /{user}/{pass}/{id}[.ts|.m3u8] (exactly three segments)
  if (count === 3 && reachedStart && (out.ext === 'none' || out.ext === 'stream')) {
    out.streamType = 'live';
    out.streamId = url.slice(s0, idEnd);
  }
  return out;
}

/** toLowerCase only when needed (most URLs are already lower case). */
function lowerAscii(s: string): string {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x41 && c <= 0x5a) return s.toLowerCase();
    if (c >= 0x80) return s.toLowerCase();
  }
  return s;
}

function isDigitRange(s: string, start: number, end: number): boolean {
  if (end <= start || end - start > 12) return false;
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return false;
  }
  return true;
}


// ---------------------------------------------------------------------------------------------
// Group evidence

export interface GroupSignals {
  type: EntryType | null;
  quality: Quality | null;
  qualityTag: string | null;
  language: Language | null;
}

const NO_GROUP: GroupSignals = { type: null, quality: null, qualityTag: null, language: null };

const G_LIVE = /(?<![a-z0-9])(?:24 ?(?:h|hs|hrs?|horas)|24 ?\/ ?7|canais|canal|ao vivo|live(?! ?action)|radios?|ppv|noticias|news)(?![a-z0-9])/;
const G_NOVELA = /(?<![a-z0-9])(?:tele)?novelas?(?![a-z0-9])/;
const G_MOVIE_STRONG = /(?<![a-z0-9])(?:filmes?|movies?|films?)(?![a-z0-9])/;
const G_MOVIE_WEAK = /(?<![a-z0-9])(?:cinema|lancamentos?|colecao|colecoes|coletaneas?|sagas?)(?![a-z0-9])/;
const G_SERIES_STRONG = /(?<![a-z0-9])(?:series?|seriados?|tv ?shows?|temporadas?|minis?series?)(?![a-z0-9])/;
const G_SERIES_WEAK = /(?<![a-z0-9])(?:animes?|doramas?|k-?dramas?|desenhos?|shows?|realit(?:y|ies)|docuseries)(?![a-z0-9])/;

export function groupSignals(group: string): GroupSignals {
  const f = fold(group);
  let type: EntryType | null = null;
  if (G_LIVE.test(f)) type = 'live';
  else if (G_NOVELA.test(f)) type = 'novela';
  else {
    const movieStrong = G_MOVIE_STRONG.test(f);
    const seriesStrong = G_SERIES_STRONG.test(f);
    if (movieStrong && seriesStrong) type = null;
    else if (movieStrong) type = 'movie';
    else if (seriesStrong) type = 'series';
    else {
      const seriesWeak = G_SERIES_WEAK.test(f);
      const movieWeak = G_MOVIE_WEAK.test(f);
      if (seriesWeak && !movieWeak) type = 'series';
      else if (movieWeak && !seriesWeak) type = 'movie';
    }
  }
  let quality: Quality | null = null;
  let qualityTag: string | null = null;
  let language: Language | null = null;
  const rawTokens = group.split(/[^\p{L}\p{N}+]+/u);
  for (const raw of rawTokens) {
    if (!raw) continue;
    const tok = fold(raw);
    const q = qualityFromToken(tok);
    if (q && (!quality || qualityRank(q.quality) > qualityRank(quality))) {
      quality = q.quality;
      qualityTag = raw;
    }
    const def = TAGS.get(tok);
    if (def?.language) language = language && language !== def.language ? 'dual' : def.language;
  }
  return { type, quality, qualityTag, language };
}

// ---------------------------------------------------------------------------------------------
// Title parsing

type TagKind = 'quality' | 'language' | 'origin' | 'video' | 'audio' | 'region' | 'release';

interface TagDef {
  kind: TagKind;
  language?: Language;
  /** Recognised only inside brackets or as a prefix, never as a bare trailing word. */
  bracketOnly?: boolean;
}

function defs(kind: TagKind, words: string[], extra: Partial<TagDef> = {}): Array<[string, TagDef]> {
  return words.map((w) => [w, { kind, ...extra }]);
}

/** Tag words, folded. Quality words (hd, 1080p, 4k, ...) come from quality.ts. */
const TAGS = new Map<string, TagDef>([
  ...defs('language', ['dublado', 'dublada', 'dublados', 'dubladas', 'dub', 'dubbed'], { language: 'dubbed' }),
  ...defs('language', ['legendado', 'legendada', 'legendados', 'legendadas', 'leg', 'subtitled'], { language: 'subtitled' }),
  ...defs('language', ['l', 'sub', 'subs', 'legenda', 'legendas'], { language: 'subtitled', bracketOnly: true }),
  ...defs('language', ['dual', 'dual-audio', 'dualaudio', 'multi-audio', 'multiaudio'], { language: 'dual' }),
  // Spanish lists: "Latino" / "Castellano" name the dubbing, "Subtitulado" / "VOSE" the subtitles.
  ...defs('language', ['subtitulado', 'subtitulada', 'subtitulados'], { language: 'subtitled' }),
  ...defs('language', ['vose', 'vos'], { language: 'subtitled', bracketOnly: true }),
  ...defs('language', ['latino', 'castellano', 'doblado', 'doblada'], { language: 'dubbed', bracketOnly: true }),
  ...defs('origin', ['nacional']),
  ...defs('video', ['hdr', 'hdr10', 'hdr10+', 'dolbyvision', 'hevc', 'h265', 'h.265', 'x265', 'h264', 'h.264', 'x264', '10bit', '60fps', 'remux', 'imax', 'atmos']),
  ...defs('release', ['web-dl', 'webdl', 'webrip', 'bluray', 'blu-ray', 'brrip', 'bdrip', 'hdrip', 'dvdrip', 'hdtv', 'hdcam', 'hdts']),
  ...defs('release', ['cam', 'ts', 'tc', 'cinema', 'lancamento', 'lancamentos', 'estreia', 'novo', 'new', 'completo', 'completa', 'complete', 'vod', 'dv', 'multi'], { bracketOnly: true }),
  // PT-BR says Portuguese, not whether it was dubbed (national films carry it too).
  ...defs('region', ['ptbr', 'pt-br']),
  ...defs('region', ['br', 'bra', 'pt', 'en', 'us', 'usa', 'uk', 'es', 'fr', 'de', 'lat', 'latam', 'mx', 'ar'], { bracketOnly: true }),
]);

/**
 * Words that only release names (dots for spaces, "Title.2023.1080p.WEB-DL.x264-GROUP") carry:
 * streaming services, audio formats, edition notes. Recognised only in such names, where every
 * word after the year or episode marker is a tag; in a spaced title "Max" or "Limited" is a word.
 */
const SCENE_TAGS = new Map<string, TagDef>([
  // Not "Max", "It", "Extended", "Limited": words of titles too, and a title may lack a year.
  ...defs('release', ['repack', 'proper', 'internal', 'unrated', 'remastered', 'uncut', 'readnfo', 'rerip']),
  ...defs('release', ['nf', 'amzn', 'dsnp', 'hmax', 'atvp', 'pmtp', 'pcok', 'hulu', 'glbp', 'gplay', 'crav']),
  ...defs('audio', ['aac', 'aac2.0', 'aac5.1', 'ac3', 'dd', 'dd2.0', 'dd5.1', 'ddp', 'ddp2.0', 'ddp5.1', 'ddp7.1', 'dd+', 'eac3', 'dts', 'dts-hd', 'dts-x', 'truehd', 'flac', 'opus', '2.0', '5.1', '7.1']),
  ...defs('video', ['avc', 'xvid', 'divx', 'sdr', 'dv', 'dovi', 'hdr10plus', 'hfr']),
  ...defs('language', ['latino', 'castellano', 'lat', 'esp'], { language: 'dubbed' }),
  ...defs('language', ['vose', 'legenda', 'legendas', 'subs', 'sub', 'multisub', 'multi-sub'], { language: 'subtitled' }),
  ...defs('region', ['br', 'multi']),
]);

export interface TitleParse {
  /** Title without tags, year and episode marker (the show for episodes). */
  core: string;
  episodeTitle: string | null;
  year: number | null;
  season: number | null;
  episode: number | null;
  episodeEnd: number | null;
  /** Which kind of episode marker was found. */
  marker: 'strong' | 'season' | 'nxn' | 'cap' | 'ep' | null;
  quality: Quality | null;
  qualityTag: string | null;
  language: Language | null;
  tags: string[];
}

export interface TitleParseOptions {
  /** Look for episode markers at all. */
  episodes: boolean;
  /** Accept `1x02` (only when nothing says "movie"). */
  allowNxN: boolean;
  /** Accept a bare `E16` (only when the group or source says series/novela). */
  bareEpisode?: boolean;
  /** Take a year out of the title (default true; false for live channels). */
  years?: boolean;
  currentYear: number;
}

interface Collected {
  tags: string[];
  quality: Quality | null;
  qualityTag: string | null;
  qualityExplicit: boolean;
  /** Bit set of languages seen: LANG_DUB | LANG_SUB | LANG_DUAL. */
  languages: number;
  year: number | null;
  /** Upper bound for plausible years; 0 when years are not taken from this title. */
  currentYear: number;
}

const SEP_CLASS = '[\\s._|:-]{0,3}';
const RX_SE = new RegExp(`(?<![a-z0-9])s(\\d{1,3})${SEP_CLASS}ep?\\.?\\s?(\\d{1,4})(?:-?e(\\d{1,4}))?(?![a-z0-9])`);
const RX_TE = new RegExp(`(?<![a-z0-9])t(\\d{1,2})${SEP_CLASS}ep?\\.?\\s?(\\d{1,4})(?![a-z0-9])`);
/**
 * Ordinal endings after a season number: Portuguese 1ª / 2º / 2a (folded to a/o), Spanish 1ra,
 * 2da, 3er, 4ta, 7ma, 8va, 9na, English 2nd, 4th; "1.ª" too.
 */
const ORDINAL_SUFFIX = '(?:\\.? ?(?:[ao°]|ra|da|ro|do|er|era|ero|ta|to|ma|mo|va|vo|na|no|st|nd|rd|th)\\.?)?';
/** Ordinals written out (Portuguese, Spanish, English), folded: "Segunda Temporada", "Third Season". */
const ORDINAL_WORDS =
  'primeir[ao]|primer[ao]?|segund[ao]|terceir[ao]|tercer[ao]?|quart[ao]|cuart[ao]|quint[ao]|sext[ao]|setim[ao]|septim[ao]|oitav[ao]|octav[ao]|non[ao]|noven[ao]|decim[ao]|first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth';
/** "2ª Temporada", "3ra Temporada", "Segunda Temporada", "4th Season" / "Temporada 2", "Temp. 2", "Season 2". */
const SEASON_PHRASE =
  `(?:(?:(?<sn>\\d{1,2}) ?${ORDINAL_SUFFIX}|(?<sw>${ORDINAL_WORDS})) {0,2}(?:temp(?:orada)?\\.?|season)` +
  `|(?:temporada|temp\\.?|season|saison|staffel) {0,2}(?<sa>\\d{1,2}))`;
const RX_TEMP_EP = new RegExp(
  `(?<![a-z0-9])${SEASON_PHRASE}[\\s,.:|()\\[\\]-]{0,4}(?:episodio|episode|epis\\.?|ep\\.?|e|capitulo|cap\\.?) {0,2}#?(?<ep>\\d{1,4})(?![a-z0-9])`,
);
/** A season with no episode: S02, T02 (two digits: "T2 Trainspotting" is a film), or a phrase. */
const RX_SEASON_ONLY = new RegExp(`(?<![a-z0-9])(?:s(?<ss>\\d{1,2})|t(?<st>\\d{2})|${SEASON_PHRASE})(?![a-z0-9])`);
const RX_NXN = /(?<![a-z0-9.])(\d{1,2})x(\d{2,3})(?![a-z0-9])/;
/** In a series context (group or source says so) `1x5` is an episode too. */
const RX_NXN_LOOSE = /(?<![a-z0-9.])(\d{1,2})x(\d{1,3})(?![a-z0-9])/;
const RX_EP_ONLY = /(?<![a-z0-9])(episodio|episode|epis|ep|capitulo|cap)\.? {0,2}#?(\d{1,4})(?![a-z0-9])/;
const RX_E_ONLY = /(?<![a-z0-9])e(\d{1,4})(?![a-z0-9])/;
const RX_PREFIX = /^\|? {0,2}([A-Za-z0-9+/-]{1,6}) {0,2}(?:\||:|-|–) */;
const RX_YEAR = /^(?:19|20)\d\d$/;
const RX_CHANNEL_NOTICE = /\[(?:not 24\/7|geo-?blocked)\]/i;
const RX_CHANNEL_NOTICES = /\[(not 24\/7|geo-?blocked)\]/gi;
/** A number after these words is part of a channel's name ("TV 2000", "Canal 2001"), not a year. */
const CHANNEL_WORDS = new Set(['tv', 'canal', 'channel', 'rede', 'radio', 'fm', 'kanal', 'chaine', 'cadena']);

/** Parse a title on its own (no group or URL evidence). */
export function parseTitle(title: string, opts: TitleParseOptions): TitleParse {
  const c: Collected = {
    tags: [],
    quality: null,
    qualityTag: null,
    qualityExplicit: false,
    languages: 0,
    year: null,
    currentYear: opts.years === false ? 0 : opts.currentYear,
  };
  const scene = isReleaseName(title);
  let s = preclean(title, scene);
  if (s.indexOf('[') !== -1 && RX_CHANNEL_NOTICE.test(s)) {
    // iptv-org's "[Not 24/7]" and "[Geo-blocked]" describe the channel, not its name.
    s = collapseSpaces(s.replace(RX_CHANNEL_NOTICES, (_m, notice: string) => {
      c.tags.push(notice);
      return ' ';
    }));
  }
  s = stripBrackets(s, c);
  s = stripPrefixes(s, c);

  let marker: TitleParse['marker'] = null;
  let season: number | null = null;
  let episode: number | null = null;
  let episodeEnd: number | null = null;
  let core = s;
  let tail = '';
  if (opts.episodes) {
    const f = fold(s);
    const m = findEpisodeMarker(s, f, opts.allowNxN, opts.bareEpisode ?? false, scene);
    if (m) {
      marker = m.kind;
      season = m.season;
      episode = m.episode;
      episodeEnd = m.episodeEnd;
      core = m.leading ? s.slice(m.end) : s.slice(0, m.start);
      tail = m.leading ? '' : s.slice(m.end);
    }
  }
  // In a release name everything after the year (movies) or after the episode title is tags,
  // known or not ("AMZN", "DDP5.1", "-GROUP"): keep the known ones, drop the rest.
  if (scene && marker === null) core = cutReleaseTags(core, c);

  core = stripCoreTags(core, c);
  let episodeTitle: string | null = null;
  if (tail) {
    const rest = scene ? releaseEpisodeTitle(tail, c) : stripTailTags(tail, c);
    // After a season with no episode there are only tags ("Completa"): no episode title.
    episodeTitle = rest.length > 0 && marker !== 'season' ? rest : null;
  }
  const langs = c.languages;
  const language: Language | null =
    langs === 0 ? null : langs & LANG_DUAL || langs === (LANG_DUB | LANG_SUB) ? 'dual' : langs & LANG_DUB ? 'dubbed' : 'subtitled';
  return {
    core,
    episodeTitle,
    year: c.year,
    season,
    episode,
    episodeEnd,
    marker,
    quality: c.quality,
    qualityTag: c.qualityTag,
    language,
    tags: c.tags,
  };
}

interface MarkerMatch {
  kind: NonNullable<TitleParse['marker']>;
  start: number;
  end: number;
  season: number | null;
  episode: number | null;
  episodeEnd: number | null;
  /** The marker opens the title and the show's name follows it ("1ª Temporada - Sintonia"). */
  leading?: boolean;
}

const RX_LEADING_SEASON_SEP = /^ ?[-:|] ?\S/;
/** "Segunda Temporada de Sintonia", "Season 3 of The Crown": the show follows a connector word. */
const RX_LEADING_SEASON_OF = /^ (?:de|da|do|del|di|of) (?=\S)/;

/** The season number of a RX_TEMP_EP / RX_SEASON_ONLY match (digits or an ordinal word). */
function seasonNumber(g: Record<string, string | undefined>): number {
  const digits = g['ss'] ?? g['st'] ?? g['sn'] ?? g['sa'];
  if (digits !== undefined) return Number(digits);
  return ordinalWordValue(g['sw'] ?? '');
}

/** "segunda" -> 2, "tercera" -> 3, "fourth" -> 4 (folded words matched by ORDINAL_WORDS). */
function ordinalWordValue(w: string): number {
  const stems: Array<[string, number]> = [
    ['prim', 1], ['first', 1], ['seg', 2], ['second', 2], ['terc', 3], ['third', 3], ['quar', 4], ['cuar', 4], ['fourth', 4],
    ['quin', 5], ['fifth', 5], ['sext', 6], ['sixth', 6], ['set', 7], ['sept', 7], ['seventh', 7], ['oit', 8], ['oct', 8],
    ['eighth', 8], ['non', 9], ['nov', 9], ['ninth', 9], ['dec', 10], ['tenth', 10],
  ];
  for (const [stem, n] of stems) if (w.startsWith(stem)) return n;
  return 1;
}

/**
 * Find the episode marker in `f` (the folded copy of `s`, same length). Cheap substring checks
 * decide which patterns can match at all, so most movie titles never run a regex.
 */
function findEpisodeMarker(s: string, f: string, allowNxN: boolean, bareEpisode: boolean, scene: boolean): MarkerMatch | null {
  // No digit: only a written-out season can match ("Segunda Temporada").
  if (!hasDigit(f) && !f.includes('temporada') && !f.includes('season')) return null;
  const sDigit = letterBeforeDigit(f, 0x73 /* s */);
  let m: RegExpExecArray | null = null;
  if ((sDigit && (m = RX_SE.exec(f))) || (letterBeforeDigit(f, 0x74 /* t */) && (m = RX_TE.exec(f)))) {
    const episode = Number(m[2]);
    const end3 = m[3] === undefined ? null : Number(m[3]);
    return { kind: 'strong', start: m.index, end: m.index + m[0].length, season: Number(m[1]), episode, episodeEnd: end3 !== null && end3 > episode ? end3 : null };
  }
  const seasonWord = f.includes('temp') || f.includes('season') || f.includes('saison') || f.includes('staffel');
  if (seasonWord && (m = RX_TEMP_EP.exec(f))) {
    return { kind: 'strong', start: m.index, end: m.index + m[0].length, season: seasonNumber(m.groups!), episode: Number(m.groups!['ep']), episodeEnd: null };
  }
  if ((sDigit || seasonWord || letterBeforeDigit(f, 0x74 /* t */)) && (m = RX_SEASON_ONLY.exec(f))) {
    const end = m.index + m[0].length;
    const season = seasonNumber(m.groups!);
    if (isOnlyTags(s.slice(end), scene)) return { kind: 'season', start: m.index, end, season, episode: null, episodeEnd: null };
    // "1ª Temporada - Sintonia", "Temporada 3: Bridgerton": the season first, then the show.
    if (trimSeparators(s.slice(0, m.index)).length === 0) {
      if (RX_LEADING_SEASON_SEP.test(s.slice(end))) return { kind: 'season', start: m.index, end, season, episode: null, episodeEnd: null, leading: true };
      const of = RX_LEADING_SEASON_OF.exec(f.slice(end));
      if (of) return { kind: 'season', start: m.index, end: end + of[0].length, season, episode: null, episodeEnd: null, leading: true };
    }
  }
  if (allowNxN && f.includes('x') && (m = (bareEpisode ? RX_NXN_LOOSE : RX_NXN).exec(f)) && trimSeparators(s.slice(0, m.index)).length > 0) {
    return { kind: 'nxn', start: m.index, end: m.index + m[0].length, season: Number(m[1]), episode: Number(m[2]), episodeEnd: null };
  }
  if ((f.includes('ep') || f.includes('cap')) && (m = RX_EP_ONLY.exec(f))) {
    return { kind: m[1]!.startsWith('cap') ? 'cap' : 'ep', start: m.index, end: m.index + m[0].length, season: null, episode: Number(m[2]), episodeEnd: null };
  }
  if (bareEpisode && letterBeforeDigit(f, 0x65 /* e */) && (m = RX_E_ONLY.exec(f)) && trimSeparators(s.slice(0, m.index)).length > 0) {
    return { kind: 'ep', start: m.index, end: m.index + m[0].length, season: null, episode: Number(m[1]), episodeEnd: null };
  }
  return null;
}

function hasDigit(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x30 && c <= 0x39) return true;
  }
  return false;
}

/** Whether letter `ch` (lower case) occurs right before a digit somewhere in `f`. */
function letterBeforeDigit(f: string, ch: number): boolean {
  const letter = String.fromCharCode(ch);
  let i = f.indexOf(letter);
  while (i !== -1) {
    const c = f.charCodeAt(i + 1);
    if (c >= 0x30 && c <= 0x39) return true;
    i = f.indexOf(letter, i + 1);
  }
  return false;
}

const RX_UNDERSCORE = /_/g;
const RX_DOT = /\./g;
const RX_DASHES = /[\u2013\u2014]/g;

/**
 * Release-style names use dots for spaces: "The.Boys.S04E08.1080p", "Oppenheimer.2023.2160p"
 * (but not "S.W.A.T." alone: a word of three letters or more must end in a dot).
 */
function isReleaseName(title: string): boolean {
  const s = title.indexOf('_') !== -1 ? title.replace(RX_UNDERSCORE, ' ') : title;
  return s.indexOf(' ') === -1 && s.indexOf('.') !== s.lastIndexOf('.') && /[^.]{3}\./.test(s);
}

/**
 * Dots of a release name to spaces, keeping the dots that belong to a token: audio channels
 * ("DDP5.1", "AAC2.0", "5.1"), codecs ("H.264") and initialisms of three letters or more
 * ("S.W.A.T.2017" -> "S.W.A.T. 2017").
 */
function releaseNameToWords(s: string): string {
  const parts = s.split(RX_DOT).filter((p) => p.length > 0);
  const out: string[] = [];
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i]!;
    const prev = out[out.length - 1];
    if (prev !== undefined && ((/^[01](?:-.+)?$/.test(p) && /^[a-z+]*[2567]$/i.test(prev)) || (/^26[45](?:-.+)?$/.test(p) && /^[hx]$/i.test(prev)))) {
      out[out.length - 1] = `${prev}.${p}`;
      continue;
    }
    let j = i;
    while (j < parts.length && /^[A-Z]$/.test(parts[j]!)) j++;
    if (j - i >= 3) {
      out.push(`${parts.slice(i, j).join('.')}.`);
      i = j - 1;
      continue;
    }
    out.push(p);
  }
  return out.join(' ');
}

function preclean(title: string, releaseName = false): string {
  let s = title;
  if (s.indexOf('_') !== -1) s = s.replace(RX_UNDERSCORE, ' ');
  if (releaseName) s = releaseNameToWords(s);
  if (s.indexOf('\u2013') !== -1 || s.indexOf('\u2014') !== -1) s = s.replace(RX_DASHES, '-');
  if (s.indexOf('\uFF5C') !== -1) s = s.replace(/\uFF5C/g, '|');
  return collapseSpaces(s);
}

const RX_BRACKET_PARTS = /[\s,/+|]+/;

/** Remove bracket groups made only of tags and years; keep others ("(Versão Estendida)"). */
function stripBrackets(s: string, c: Collected): string {
  let out = '';
  let copied = 0;
  let i = nextOpener(s, 0);
  while (i !== -1) {
    const close = matchingCloser(s, i + 1);
    if (close === -1) break;
    if (bracketIsTags(s.slice(i + 1, close), c)) {
      out += s.slice(copied, i) + ' ';
      copied = close + 1;
    }
    i = nextOpener(s, close + 1);
  }
  if (copied === 0) return s;
  return collapseSpaces(out + s.slice(copied));
}

function nextOpener(s: string, from: number): number {
  for (let i = from; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x28 || c === 0x5b || c === 0x7b) return i;
  }
  return -1;
}

/** The first closer after `from` with no opener before it, within 80 characters; else -1. */
function matchingCloser(s: string, from: number): number {
  const n = Math.min(s.length, from + 81);
  for (let i = from; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x29 || c === 0x5d || c === 0x7d) return i;
    if (c === 0x28 || c === 0x5b || c === 0x7b) return -1;
  }
  return -1;
}

/** If a bracket's content is only tags and years, record them and return true. */
function bracketIsTags(inner: string, c: Collected): boolean {
  // Fast path: "(2019)".
  if (inner.length === 4 && RX_YEAR.test(inner)) {
    const y = Number(inner);
    if (!isPlausibleYear(y, c.currentYear)) return false;
    if (c.year === null) c.year = y;
    return true;
  }
  const parts = inner.split(RX_BRACKET_PARTS);
  // Recognise everything first; only then record (a mixed group stays in the title).
  for (let i = 0; i < parts.length; i++) {
    const tok = foldToken(parts[i]!);
    if (tok.length === 0 || (RX_YEAR.test(tok) && isPlausibleYear(Number(tok), c.currentYear))) continue;
    if (isTag(tok, true)) continue;
    if ((tok === 'audio' && i > 0 && foldToken(parts[i - 1]!) === 'dual') || (tok === 'full' && foldToken(parts[i + 1] ?? '') === 'hd')) continue;
    return false;
  }
  for (let i = 0; i < parts.length; i++) {
    const raw = parts[i]!;
    const tok = foldToken(raw);
    if (tok.length === 0) continue;
    if (RX_YEAR.test(tok) && isPlausibleYear(Number(tok), c.currentYear)) {
      if (c.year === null) c.year = Number(tok);
      continue;
    }
    if (recordTwoWordTag(tok, raw, parts[i + 1], c)) i++;
    else recordTag(tok, raw, c);
  }
  return true;
}

function stripPrefixes(s: string, c: Collected): string {
  for (let k = 0; k < 3; k++) {
    if (!mayHavePrefix(s)) break;
    const m = RX_PREFIX.exec(s);
    if (!m) break;
    const raw = m[1]!;
    const tok = raw.toLowerCase();
    // Codes must be written in capitals ("IT: A Coisa" is a title, "BR: Globo" a prefix).
    const isCaps = raw === raw.toUpperCase();
    if (!isCaps) break;
    const q = qualityFromToken(tok);
    if (PREFIX_CODES.has(tok)) c.tags.push(raw);
    else if (q) addQuality(c, q.quality, q.explicit, raw);
    else break;
    const rest = s.slice(m[0].length);
    if (rest.trim().length === 0) break;
    s = rest;
  }
  return s;
}

/** A prefix separator (| : -) within the first 10 characters. */
function mayHavePrefix(s: string): boolean {
  const n = Math.min(s.length, 10);
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x7c || c === 0x3a || c === 0x2d || c === 0x2013) return true;
  }
  return false;
}

/** Whether a folded token is a tag (bracket-only tags count only inside brackets). */
function isTag(tok: string, inBrackets: boolean): boolean {
  const def = TAGS.get(tok);
  if (def) return inBrackets || !def.bracketOnly;
  return qualityFromToken(tok) !== null;
}

/** A tag of a release name: an ordinary tag, a SCENE_TAGS word, or either followed by "-GROUP". */
function isSceneTag(tok: string): boolean {
  return isTag(tok, true) || SCENE_TAGS.has(tok);
}

/** "x264-GROUP" -> "x264" when the part before the last dash is a tag; else null. */
function tagBeforeGroup(tok: string): string | null {
  const dash = tok.lastIndexOf('-');
  if (dash <= 0 || dash === tok.length - 1) return null;
  const left = tok.slice(0, dash);
  return isSceneTag(left) ? left : null;
}

/** Record what is known among a release name's trailing tokens (a year, tags); drop the rest. */
function recordReleaseTags(tokens: readonly string[], c: Collected): void {
  for (let i = 0; i < tokens.length; i++) {
    const raw = tokens[i]!;
    const tok = foldToken(raw);
    if (tok.length === 0) continue;
    if (c.year === null && RX_YEAR.test(tok) && isPlausibleYear(Number(tok), c.currentYear)) {
      c.year = Number(tok);
      continue;
    }
    if (recordTwoWordTag(tok, raw, tokens[i + 1], c)) i++;
    else if (isSceneTag(tok)) recordTag(tok, raw, c);
    else {
      const left = tagBeforeGroup(tok);
      if (left !== null) recordTag(left, raw.slice(0, raw.lastIndexOf('-')), c);
    }
  }
}

/**
 * A release name without an episode marker: the title ends at the last plausible year
 * ("Blade.Runner.2049.2017.1080p") or, without a year, at the first tag; the rest is tags.
 */
function cutReleaseTags(core: string, c: Collected): string {
  const tokens = core.split(' ');
  let cut = -1;
  for (let i = tokens.length - 1; i > 0; i--) {
    const tok = foldToken(tokens[i]!);
    if (tok.length === 4 && RX_YEAR.test(tok) && isPlausibleYear(Number(tok), c.currentYear)) {
      cut = i;
      break;
    }
  }
  if (cut === -1) {
    for (let i = 1; i < tokens.length; i++) {
      const tok = foldToken(tokens[i]!);
      if (tok.length > 0 && (isTag(tok, false) || SCENE_TAGS.has(tok) || tagBeforeGroup(tok) !== null)) {
        cut = i;
        break;
      }
    }
  }
  if (cut === -1) return core;
  recordReleaseTags(tokens.slice(cut), c);
  return tokens.slice(0, cut).join(' ');
}

/** After a release name's episode marker: words up to the first tag are the episode's title. */
function releaseEpisodeTitle(tail: string, c: Collected): string {
  const tokens = tail.split(' ').filter((t) => t.length > 0);
  let cut = tokens.length;
  for (let i = 0; i < tokens.length; i++) {
    const tok = foldToken(tokens[i]!);
    if (tok.length === 0) continue;
    if (isSceneTag(tok) || tagBeforeGroup(tok) !== null || (RX_YEAR.test(tok) && isPlausibleYear(Number(tok), c.currentYear))) {
      cut = i;
      break;
    }
  }
  recordReleaseTags(tokens.slice(cut), c);
  return trimSeparators(tokens.slice(0, cut).join(' '));
}

/** "Dual Áudio" and "Full HD" are one tag in two words: recorded, and true, when `tok` starts one. */
function recordTwoWordTag(tok: string, raw: string, next: string | undefined, c: Collected): boolean {
  if (next === undefined) return false;
  if (tok === 'dual' && foldToken(next) === 'audio') addLanguage(c, 'dual', `${raw} ${next}`);
  else if (tok === 'full' && foldToken(next) === 'hd') addQuality(c, '1080p', false, `${raw} ${next}`);
  else return false;
  return true;
}

/** Record a token `isTag` (or `isSceneTag`) accepted. */
function recordTag(tok: string, raw: string, c: Collected): void {
  const def = TAGS.get(tok) ?? SCENE_TAGS.get(tok);
  if (def) {
    if (def.language) addLanguage(c, def.language, raw);
    else c.tags.push(raw);
    return;
  }
  const q = qualityFromToken(tok);
  if (q) addQuality(c, q.quality, q.explicit, raw);
}

function addQuality(c: Collected, q: Quality, explicit: boolean, raw: string): void {
  c.tags.push(raw);
  if (
    c.quality === null ||
    (explicit && !c.qualityExplicit) ||
    (explicit === c.qualityExplicit && qualityRank(q) > qualityRank(c.quality))
  ) {
    c.quality = q;
    c.qualityTag = raw;
    c.qualityExplicit = explicit;
  }
}

const LANG_DUB = 1;
const LANG_SUB = 2;
const LANG_DUAL = 4;

function addLanguage(c: Collected, lang: Language, raw: string): void {
  c.tags.push(raw);
  c.languages |= lang === 'dubbed' ? LANG_DUB : lang === 'subtitled' ? LANG_SUB : LANG_DUAL;
}

/** Lower-case, no diacritics, no surrounding punctuation: "(Dublado)," -> "dublado". */
function foldToken(raw: string): string {
  let a = 0;
  let b = raw.length;
  while (a < b && !isWordCode(raw.charCodeAt(a))) a++;
  while (b > a && !isWordCode(raw.charCodeAt(b - 1))) b--;
  return fold(a === 0 && b === raw.length ? raw : raw.slice(a, b));
}

function isWordCode(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c >= 0xc0 || c === 0x2b /* + */;
}

function isPlausibleYear(y: number, currentYear: number): boolean {
  return currentYear > 0 && y >= 1900 && y <= currentYear + 1;
}

function hasWordBefore(s: string, end: number): boolean {
  for (let i = 0; i < end; i++) if (isWordCode(s.charCodeAt(i))) return true;
  return false;
}

/** Whether the token before `start` is a channel word ("TV 2000"). */
function afterChannelWord(s: string, start: number): boolean {
  let end = start;
  while (end > 0 && s.charCodeAt(end - 1) === 0x20) end--;
  if (end === 0) return false;
  return CHANNEL_WORDS.has(foldToken(s.slice(tokenStart(s, end), end)));
}

/** The token ending at `end` (exclusive; no trailing space): [start, end). */
function tokenStart(s: string, end: number): number {
  return s.lastIndexOf(' ', end - 1) + 1;
}

/**
 * Strip trailing tags, one trailing year and separators from a title body (walking back token
 * by token, without splitting the whole string); then leading tags that cannot be words
 * ("1080p", "4K", "Dublado").
 */
function stripCoreTags(core: string, c: Collected): string {
  let end = core.length;
  for (;;) {
    while (end > 0 && core.charCodeAt(end - 1) === 0x20) end--;
    if (end === 0) break;
    const start = tokenStart(core, end);
    const raw = core.slice(start, end);
    const tok = foldToken(raw);
    if (tok.length === 0) {
      end = start;
      continue;
    }
    if ((tok === 'audio' || tok === 'hd') && start > 1) {
      const pEnd = start - 1;
      const pStart = tokenStart(core, pEnd);
      const prev = foldToken(core.slice(pStart, pEnd));
      if (tok === 'audio' && prev === 'dual') {
        addLanguage(c, 'dual', core.slice(pStart, end));
        end = pStart;
        continue;
      }
      if (tok === 'hd' && prev === 'full') {
        addQuality(c, '1080p', false, core.slice(pStart, end));
        end = pStart;
        continue;
      }
    }
    if (isTag(tok, false)) {
      recordTag(tok, raw, c);
      end = start;
      continue;
    }
    if (c.year === null && tok.length === 4 && RX_YEAR.test(tok) && isPlausibleYear(Number(tok), c.currentYear) && hasWordBefore(core, start) && !afterChannelWord(core, start)) {
      c.year = Number(tok);
      end = start;
      continue;
    }
    break;
  }
  let begin = 0;
  for (;;) {
    while (begin < end && core.charCodeAt(begin) === 0x20) begin++;
    const sp = core.indexOf(' ', begin);
    if (sp === -1 || sp >= end) break; // keep the last word
    const raw = core.slice(begin, sp);
    const tok = foldToken(raw);
    const def = TAGS.get(tok);
    let strongWord = def !== undefined && def.kind === 'language' && !def.bracketOnly;
    if (!strongWord) {
      const q = qualityFromToken(tok);
      strongWord = q !== null && (q.explicit || tok === '4k' || tok === 'uhd' || tok === 'fhd');
    }
    if (!strongWord) break;
    recordTag(tok, raw, c);
    begin = sp + 1;
  }
  return trimSeparators(begin === 0 && end === core.length ? core : core.slice(begin, end));
}

/** After an episode marker: tags anywhere, a year, and what remains is the episode title. */
function stripTailTags(tail: string, c: Collected): string {
  const kept: string[] = [];
  let words = 0;
  const tokens = tail.split(' ');
  for (let i = 0; i < tokens.length; i++) {
    const raw = tokens[i]!;
    if (raw.length === 0) continue;
    const tok = foldToken(raw);
    if (tok.length === 0) {
      kept.push(raw);
      continue;
    }
    const next = tokens[i + 1];
    if (tok === 'dual' && next !== undefined && foldToken(next) === 'audio') {
      addLanguage(c, 'dual', `${raw} ${next}`);
      i++;
      continue;
    }
    if (isTag(tok, false)) {
      recordTag(tok, raw, c);
      continue;
    }
    if (c.year === null && words === 0 && RX_YEAR.test(tok) && isPlausibleYear(Number(tok), c.currentYear)) {
      c.year = Number(tok);
      continue;
    }
    words++;
    kept.push(raw);
  }
  return words === 0 ? '' : trimSeparators(kept.join(' '));
}

/** True when `s` holds nothing but tags, years, "Completa" and separators. */
function isOnlyTags(s: string, scene = false): boolean {
  for (const raw of s.split(' ')) {
    const tok = foldToken(raw);
    if (tok.length === 0 || RX_YEAR.test(tok) || tok === 'audio') continue;
    if (qualityFromToken(tok)) continue;
    if (TAGS.has(tok) || (scene && (SCENE_TAGS.has(tok) || isSceneTag(tok)))) continue;
    return false;
  }
  return true;
}
