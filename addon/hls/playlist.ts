import { Parser } from 'm3u8-parser';
import { AppError } from '../errors.js';

/**
 * HLS playlists as this engine needs them, independent of the parser library: every URI
 * absolute (resolved against the final URL after redirects), every AES IV a 16-byte Buffer,
 * every segment's period (discontinuity) explicit. Pure: no I/O.
 */

export interface ByteRange {
  offset: number;
  length: number;
}

export interface KeyRef {
  method: 'AES-128';
  uri: string;
  iv: Buffer;
}

export interface InitSection {
  uri: string;
  byteRange: ByteRange | null;
}

export interface Segment {
  /** Position in the playlist, 0-based. */
  index: number;
  /** Media sequence number (EXT-X-MEDIA-SEQUENCE + index). */
  sequence: number;
  uri: string;
  duration: number;
  byteRange: ByteRange | null;
  key: KeyRef | null;
  init: InitSection | null;
  /** Increments at every EXT-X-DISCONTINUITY; segments of one period share timestamps and codecs. */
  period: number;
  /** EXT-X-GAP: the playlist declares this segment missing; it is skipped, never fetched. */
  gap?: boolean;
  /**
   * The segment's discontinuity sequence number (RFC 8216 6.2.2): EXT-X-DISCONTINUITY-SEQUENCE
   * plus the EXT-X-DISCONTINUITY tags before it. With `sequence` it identifies a live segment
   * across reloads, even when an origin restarts its media sequence numbers.
   */
  discontinuity: number;
  /** EXT-X-PROGRAM-DATE-TIME in ms since the epoch (given or extrapolated), null when absent. */
  programDateTime: number | null;
}

export interface MediaPlaylist {
  kind: 'media';
  url: string;
  segments: Segment[];
  endList: boolean;
  totalDuration: number;
  /** EXT-X-I-FRAMES-ONLY: a trick-play track of key frames, not a watchable stream. */
  iFramesOnly: boolean;
  /** EXT-X-TARGETDURATION in seconds (the longest segment when the tag is missing). */
  targetDuration: number;
  /** EXT-X-MEDIA-SEQUENCE of the first segment (0 when absent). */
  mediaSequence: number;
  /** EXT-X-DISCONTINUITY-SEQUENCE (0 when absent). */
  discontinuitySequence: number;
  /** EXT-X-PLAYLIST-TYPE: VOD and EVENT playlists only grow; null for a sliding window. */
  playlistType: 'VOD' | 'EVENT' | null;
}

export interface Variant {
  uri: string;
  bandwidth: number;
  width: number | null;
  height: number | null;
  codecs: string | null;
  audioGroup: string | null;
  subtitleGroup: string | null;
}

export interface AudioRendition {
  groupId: string;
  name: string;
  language: string | null;
  isDefault: boolean;
  autoselect: boolean;
  /** Null when the audio is muxed into the variant itself. */
  uri: string | null;
}

export interface SubtitleRendition {
  groupId: string;
  name: string;
  language: string | null;
  isDefault: boolean;
  autoselect: boolean;
  forced: boolean;
  /** WebVTT media playlist. */
  uri: string;
}

export interface MasterPlaylist {
  kind: 'master';
  url: string;
  variants: Variant[];
  audio: AudioRendition[];
  subtitles: SubtitleRendition[];
  /** I-frame (trick-play) streams, never chosen as a variant. */
  iFrameStreams: number;
  /** EXT-X-DEFINE variables, for media playlists that IMPORT them. */
  variables: Record<string, string>;
}

export interface ParseOptions {
  /** Variables of the master playlist, for EXT-X-DEFINE:IMPORT in a media playlist. */
  imports?: Readonly<Record<string, string>>;
  /** Playlists listing more segments are refused (max_playlist_segments). */
  maxSegments?: number;
}

/** What the engine reads from the text itself, where the parser library gets it wrong or ignores it. */
interface LineFacts {
  /** Per segment (URI line, in order): the EXTINF duration as written, and EXT-X-GAP. */
  durations: Array<number | null>;
  gaps: boolean[];
  iFramesOnly: boolean;
  streamInfs: number;
  iFrameStreamInfs: number;
}

export type Playlist = MasterPlaylist | MediaPlaylist;

const DRM_KEYFORMATS: Record<string, string> = {
  'com.apple.streamingkeydelivery': 'FairPlay',
  'com.microsoft.playready': 'PlayReady',
  'urn:uuid:edef8ba9-79d6-4ace-a3c8-27dcd51d21ed': 'Widevine',
};

export function looksLikePlaylist(text: string): boolean {
  return /^\uFEFF?\s*#EXTM3U/.test(text);
}

function badPlaylist(message: string): AppError {
  return new AppError('bad_playlist', message, { httpStatus: 422 });
}

/**
 * Playlists as real servers write them: surrounding whitespace on tag lines (`  #EXT-X-KEY:...`),
 * a space after the colon (`#EXTINF: 11.320,`), CR line ends, a BOM. Every line is trimmed and
 * the space after a tag's colon dropped, so the DRM check and the parser see tags as tags.
 */
export function normalisePlaylistText(text: string): string {
  return text
    .replace(/^\uFEFF/, '')
    .split(/\r\n|\r|\n/)
    .map((line) => line.trim().replace(/^(#EXT[A-Z0-9-]*:)[ \t]+/, '$1'))
    .join('\n');
}

const DEFINE_ATTR = /([A-Z-]+)="([^"]*)"/g;

/**
 * EXT-X-DEFINE (RFC 8216bis 4.4.2.3): NAME/VALUE, IMPORT (from the master playlist) and
 * QUERYPARAM (from this playlist's URL). `{$name}` is replaced in every other line; a reference
 * to a variable that is not defined is an error the spec requires, not a literal to fetch.
 * Returns the text without its DEFINE lines, so the result parses the same on its own.
 */
export function substituteVariables(text: string, url: string, imports: Readonly<Record<string, string>> = {}): { text: string; variables: Record<string, string> } {
  const variables: Record<string, string> = {};
  const lines = text.split('\n');
  const kept: string[] = [];
  for (const line of lines) {
    if (!line.startsWith('#EXT-X-DEFINE:')) {
      kept.push(line);
      continue;
    }
    const attrs: Record<string, string> = {};
    for (const m of line.slice('#EXT-X-DEFINE:'.length).matchAll(DEFINE_ATTR)) attrs[m[1]!] = m[2]!;
    if (attrs.NAME !== undefined) {
      if (attrs.VALUE === undefined) throw badPlaylist(`EXT-X-DEFINE NAME="${attrs.NAME}" has no VALUE`);
      variables[attrs.NAME] = attrs.VALUE;
    } else if (attrs.IMPORT !== undefined) {
      const value = imports[attrs.IMPORT];
      if (value === undefined) throw badPlaylist(`EXT-X-DEFINE IMPORT="${attrs.IMPORT}": the master playlist defines no such variable`);
      variables[attrs.IMPORT] = value;
    } else if (attrs.QUERYPARAM !== undefined) {
      let value: string | null = null;
      try {
        value = new URL(url).searchParams.get(attrs.QUERYPARAM);
      } catch {
        value = null;
      }
      if (value === null) throw badPlaylist(`EXT-X-DEFINE QUERYPARAM="${attrs.QUERYPARAM}": the playlist URL has no such query parameter`);
      variables[attrs.QUERYPARAM] = value;
    } else {
      throw badPlaylist('EXT-X-DEFINE needs NAME, IMPORT or QUERYPARAM');
    }
  }
  if (!text.includes('{$')) return { text: kept.join('\n'), variables };
  const out = kept.map((line) =>
    line.replace(/\{\$([A-Za-z0-9_-]+)\}/g, (_m, name: string) => {
      const value = variables[name];
      if (value === undefined) throw badPlaylist(`the playlist uses {$${name}} but defines no such variable (EXT-X-DEFINE)`);
      return value;
    }),
  );
  return { text: out.join('\n'), variables };
}

/** Facts the parser library misreads (`#EXTINF:0` becomes 0.01) or drops (EXT-X-GAP, I-frames). */
function scanLines(text: string): LineFacts {
  const facts: LineFacts = { durations: [], gaps: [], iFramesOnly: false, streamInfs: 0, iFrameStreamInfs: 0 };
  let duration: number | null = null;
  let gap = false;
  let afterStreamInf = false;
  for (const line of text.split('\n')) {
    if (line === '') continue;
    if (line.startsWith('#')) {
      if (line.startsWith('#EXTINF:')) {
        const value = Number.parseFloat(line.slice(8));
        duration = Number.isFinite(value) && value >= 0 ? value : null;
      } else if (line === '#EXT-X-GAP') gap = true;
      else if (line === '#EXT-X-I-FRAMES-ONLY') facts.iFramesOnly = true;
      else if (line.startsWith('#EXT-X-STREAM-INF:')) {
        facts.streamInfs++;
        afterStreamInf = true;
      } else if (line.startsWith('#EXT-X-I-FRAME-STREAM-INF:')) facts.iFrameStreamInfs++;
      continue;
    }
    if (afterStreamInf) {
      afterStreamInf = false;
      continue;
    }
    facts.durations.push(duration);
    facts.gaps.push(gap);
    duration = null;
    gap = false;
  }
  return facts;
}

/** Parse a playlist fetched from `url` (the final URL after redirects). */
export function parsePlaylist(raw: string, url: string, options: ParseOptions = {}): Playlist {
  if (!looksLikePlaylist(raw)) {
    throw new AppError('not_a_playlist', 'the response is not an HLS playlist (no #EXTM3U header)', { httpStatus: 422 });
  }
  const normalised = normalisePlaylistText(raw);
  refuseDrm(normalised);
  checkIvs(normalised);
  const { text, variables } = substituteVariables(normalised, url, options.imports);
  const facts = scanLines(text);
  const max = options.maxSegments;
  if (max !== undefined && facts.durations.length > max) {
    throw new AppError('playlist_too_large', `the playlist lists ${facts.durations.length} segments, more than the ${max} allowed (option max_playlist_segments)`, { httpStatus: 422 });
  }
  const parser = new Parser();
  // m3u8-parser throws a TypeError on IVs shorter than 32 hex digits; pad them first.
  parser.push(normaliseIvs(text));
  parser.end();
  const manifest = parser.manifest;

  if ((manifest.playlists && manifest.playlists.length > 0) || facts.streamInfs > 0 || facts.iFrameStreamInfs > 0) {
    const master = toMaster(manifest, url, facts, variables);
    if (master.variants.length === 0 && master.iFrameStreams > 0) {
      throw new AppError('iframe_only', 'the master playlist lists only I-frame (trick-play) streams, no playable variant', { httpStatus: 422 });
    }
    return master;
  }
  return toMedia(manifest, url, facts);
}

/** An IV must be a hexadecimal number (0x...): anything else is a clear error, not a TypeError. */
function checkIvs(text: string): void {
  for (const match of text.matchAll(/^#EXT-X-(?:SESSION-)?KEY:(.*)$/gm)) {
    const iv = /(?:^|,)IV=([^,]*)/.exec(match[1] ?? '')?.[1];
    if (iv !== undefined && !/^0[xX][0-9a-fA-F]{1,32}$/.test(iv.trim())) {
      throw badPlaylist(`EXT-X-KEY has an IV that is not a hexadecimal number of at most 128 bits (IV=${iv.slice(0, 40)})`);
    }
  }
}

function refuseDrm(text: string): void {
  for (const match of text.matchAll(/^#EXT-X-(?:SESSION-)?KEY:(.*)$/gm)) {
    const attrs = match[1] ?? '';
    const method = /METHOD=([A-Z0-9-]+)/.exec(attrs)?.[1] ?? '';
    const keyformat = /KEYFORMAT="([^"]*)"/.exec(attrs)?.[1] ?? '';
    const drm = DRM_KEYFORMATS[keyformat.toLowerCase()];
    if (drm) {
      throw new AppError('drm_protected', `this stream is protected by ${drm} DRM, which cannot be downloaded`, {
        httpStatus: 422,
      });
    }
    if (method.startsWith('SAMPLE-AES')) {
      throw new AppError(
        'unsupported_encryption',
        `this stream uses ${method} encryption (usually DRM); only AES-128 is supported`,
        { httpStatus: 422 },
      );
    }
    if (method !== '' && method !== 'AES-128' && method !== 'NONE') {
      throw new AppError('unsupported_encryption', `unknown encryption method ${method}`, { httpStatus: 422 });
    }
  }
}

function normaliseIvs(text: string): string {
  return text.replace(/IV=0[xX]([0-9a-fA-F]{1,32})(?=[,\s]|$)/g, (_m, hex: string) => `IV=0x${hex.padStart(32, '0')}`);
}

function resolve(uri: string, base: string): string {
  return new URL(uri, base).toString();
}

type Manifest = Parser['manifest'];

function toMaster(manifest: Manifest, url: string, facts: LineFacts, variables: Record<string, string>): MasterPlaylist {
  const variants: Variant[] = (manifest.playlists ?? []).map((p) => {
    const attrs = (p.attributes ?? {}) as Record<string, unknown>;
    const resolution = attrs.RESOLUTION as { width?: number; height?: number } | undefined;
    return {
      uri: resolve(p.uri, url),
      bandwidth: Number(attrs.BANDWIDTH ?? attrs['AVERAGE-BANDWIDTH'] ?? 0) || 0,
      width: resolution?.width ?? null,
      height: resolution?.height ?? null,
      codecs: typeof attrs.CODECS === 'string' ? attrs.CODECS : null,
      audioGroup: typeof attrs.AUDIO === 'string' ? attrs.AUDIO : null,
      subtitleGroup: typeof attrs.SUBTITLES === 'string' ? attrs.SUBTITLES : null,
    };
  });
  const audio: AudioRendition[] = [];
  const groups = (manifest.mediaGroups?.AUDIO ?? {}) as Record<string, Record<string, Record<string, unknown>>>;
  for (const [groupId, renditions] of Object.entries(groups)) {
    for (const [name, r] of Object.entries(renditions)) {
      audio.push({
        groupId,
        name,
        language: typeof r.language === 'string' ? r.language : null,
        isDefault: r.default === true,
        autoselect: r.autoselect === true,
        uri: typeof r.uri === 'string' && r.uri !== '' ? resolve(r.uri, url) : null,
      });
    }
  }
  const subtitles: SubtitleRendition[] = [];
  const subGroups = (manifest.mediaGroups?.SUBTITLES ?? {}) as Record<string, Record<string, Record<string, unknown>>>;
  for (const [groupId, renditions] of Object.entries(subGroups)) {
    for (const [name, r] of Object.entries(renditions)) {
      if (typeof r.uri !== 'string' || r.uri === '') continue;
      subtitles.push({
        groupId,
        name,
        language: typeof r.language === 'string' ? r.language : null,
        isDefault: r.default === true,
        autoselect: r.autoselect === true,
        forced: r.forced === true,
        uri: resolve(r.uri, url),
      });
    }
  }
  return { kind: 'master', url, variants, audio, subtitles, iFrameStreams: facts.iFrameStreamInfs, variables };
}

function toMedia(manifest: Manifest, url: string, facts: LineFacts): MediaPlaylist {
  const mediaSequence = manifest.mediaSequence ?? 0;
  const extra = manifest as unknown as { discontinuitySequence?: number; playlistType?: string; targetDuration?: number };
  const discontinuitySequence = Number(extra.discontinuitySequence ?? 0) || 0;
  let period = 0;
  // RFC 8216 6.2.2 counts every EXT-X-DISCONTINUITY before a segment's URI, its own included;
  // `period` ignores one on the first segment (nothing before it to be discontinuous with).
  let tags = 0;
  let totalDuration = 0;
  const segments: Segment[] = (manifest.segments ?? []).map((s, index) => {
    if (s.discontinuity && index > 0) period += 1;
    if (s.discontinuity) tags += 1;
    const sequence = mediaSequence + index;
    // The duration as written (`#EXTINF:0,` is 0, not the parser's 0.01; a malformed one falls back to the parser's guess).
    const duration = facts.durations[index] ?? (Number(s.duration) || 0);
    totalDuration += duration;
    const raw = s as unknown as {
      key?: { method: string; uri: string; iv?: Uint32Array };
      map?: { uri: string; byterange?: { offset?: number; length: number } };
      byterange?: { offset?: number; length: number };
      programDateTime?: number;
    };
    return {
      index,
      sequence,
      uri: resolve(s.uri, url),
      duration,
      byteRange: raw.byterange ? { offset: raw.byterange.offset ?? 0, length: raw.byterange.length } : null,
      key: raw.key ? toKey(raw.key, sequence, url) : null,
      init: raw.map
        ? {
            uri: resolve(raw.map.uri, url),
            byteRange: raw.map.byterange
              ? { offset: raw.map.byterange.offset ?? 0, length: raw.map.byterange.length }
              : null,
          }
        : null,
      period,
      ...(facts.gaps[index] ? { gap: true } : {}),
      discontinuity: discontinuitySequence + tags,
      programDateTime: typeof raw.programDateTime === 'number' && Number.isFinite(raw.programDateTime) ? raw.programDateTime : null,
    };
  });
  const longest = segments.reduce((m, seg) => Math.max(m, seg.duration), 0);
  const playlistType = extra.playlistType === 'VOD' || extra.playlistType === 'EVENT' ? extra.playlistType : null;
  return {
    kind: 'media',
    url,
    segments,
    endList: manifest.endList === true,
    totalDuration,
    iFramesOnly: facts.iFramesOnly,
    targetDuration: Number(extra.targetDuration) > 0 ? Number(extra.targetDuration) : Math.ceil(longest) || 1,
    mediaSequence,
    discontinuitySequence,
    playlistType,
  };
}

function toKey(key: { method: string; uri: string; iv?: Uint32Array }, sequence: number, base: string): KeyRef {
  if (key.method !== 'AES-128') {
    throw new AppError('unsupported_encryption', `encryption method ${key.method} is not supported`, { httpStatus: 422 });
  }
  return { method: 'AES-128', uri: resolve(key.uri, base), iv: key.iv ? ivFromWords(key.iv) : ivFromSequence(sequence) };
}

/** m3u8-parser gives the IV as four big-endian 32-bit words; the cipher wants 16 bytes. */
export function ivFromWords(words: Uint32Array): Buffer {
  const iv = Buffer.alloc(16);
  for (let i = 0; i < 4; i++) iv.writeUInt32BE(words[i] ?? 0, i * 4);
  return iv;
}

/** Without an IV attribute the IV is the media sequence number as a 128-bit big-endian integer. */
export function ivFromSequence(sequence: number): Buffer {
  const iv = Buffer.alloc(16);
  iv.writeBigUInt64BE(BigInt(sequence), 8);
  return iv;
}

/**
 * Choose a variant: "best" is the highest resolution (then bandwidth), "worst" the lowest,
 * "720p" the best variant whose height does not exceed 720 (the lowest one if all do).
 */
export function pickVariant(variants: readonly Variant[], quality: string): Variant {
  if (variants.length === 0) throw new AppError('empty_playlist', 'the master playlist lists no variants', { httpStatus: 422 });
  const rank = (v: Variant): number => (v.height ?? 0) * 1e9 + v.bandwidth;
  const sorted = [...variants].sort((a, b) => rank(b) - rank(a));
  const q = quality.trim().toLowerCase();
  if (q === 'worst') return sorted[sorted.length - 1]!;
  const exact = /^(\d{2,5})p@(\d+)$/.exec(q);
  if (exact) return exactVariant(sorted, Number(exact[1]), Number(exact[2]));
  const cap = /^(\d{3,4})p?$/.exec(q);
  if (cap) {
    const limit = Number(cap[1]);
    const fitting = sorted.filter((v) => v.height !== null && v.height <= limit);
    if (fitting.length > 0) return fitting[0]!;
    return sorted[sorted.length - 1]!;
  }
  return sorted[0]!;
}

/**
 * One variant picked in the add form ("720p@2500000"): that height, at the declared bandwidth
 * (the nearest one when the origin re-encoded since the probe); never another height, which the
 * person did not choose: the download fails and says what the stream offers now.
 */
function exactVariant(sorted: readonly Variant[], height: number, bandwidth: number): Variant {
  const sameHeight = sorted.filter((v) => v.height === height);
  if (sameHeight.length === 0) {
    const offered = [...new Set(sorted.map((v) => (v.height ? `${v.height}p` : `${Math.round(v.bandwidth / 1000)} kb/s`)))].join(', ');
    throw new AppError('variant_gone', `the stream no longer offers the chosen ${height}p variant (it offers ${offered}); add it again to choose another`, { httpStatus: 422 });
  }
  return sameHeight.reduce((a, b) => (Math.abs(b.bandwidth - bandwidth) < Math.abs(a.bandwidth - bandwidth) ? b : a));
}

/**
 * The audio rendition to mux with a variant whose audio lives in a separate playlist: the
 * default one of its group, else the first autoselect one, else the first. Null when the
 * variant carries its own audio.
 */
export function pickAudio(master: MasterPlaylist, variant: Variant): AudioRendition | null {
  if (!variant.audioGroup) return null;
  const group = master.audio.filter((a) => a.groupId === variant.audioGroup);
  const chosen = group.find((a) => a.isDefault) ?? group.find((a) => a.autoselect) ?? group[0];
  return chosen && chosen.uri ? chosen : null;
}

/**
 * The audio renditions a variant can play with (its AUDIO group). A rendition without a URI
 * is the audio muxed into the variant itself.
 */
export function audioGroupOf(master: MasterPlaylist, variant: Variant): AudioRendition[] {
  if (!variant.audioGroup) return [];
  return master.audio.filter((a) => a.groupId === variant.audioGroup);
}

/** The subtitle renditions of a variant's SUBTITLES group. */
export function subtitleGroupOf(master: MasterPlaylist, variant: Variant): SubtitleRendition[] {
  if (!variant.subtitleGroup) return [];
  return master.subtitles.filter((s) => s.groupId === variant.subtitleGroup);
}
