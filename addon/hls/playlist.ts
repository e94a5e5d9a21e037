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

export interface MasterPlaylist {
  kind: 'master';
  url: string;
  variants: Variant[];
  audio: AudioRendition[];
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

/** Parse a playlist fetched from `url` (the final URL after redirects). */
export function parsePlaylist(text: string, url: string): Playlist {
  if (!looksLikePlaylist(text)) {
    throw new AppError('not_a_playlist', 'the response is not an HLS playlist (no #EXTM3U header)', { httpStatus: 422 });
  }
  refuseDrm(text);
  const parser = new Parser();
  // m3u8-parser throws a TypeError on IVs shorter than 32 hex digits; pad them first.
  parser.push(normaliseIvs(text));
  parser.end();
  const manifest = parser.manifest;

  if (manifest.playlists && manifest.playlists.length > 0) {
    return toMaster(manifest, url);
  }
  return toMedia(manifest, url);
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

function toMaster(manifest: Manifest, url: string): MasterPlaylist {
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
  return { kind: 'master', url, variants, audio };
}

function toMedia(manifest: Manifest, url: string): MediaPlaylist {
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
    const duration = Number(s.duration) || 0;
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
