/// <reference path="./mpd-parser.d.ts" />
import { parse, stringToMpdXml, type XmlElement, type MpdMediaGroup, type MpdPlaylist, type MpdSegment } from 'mpd-parser';
import { AppError } from '../errors.js';
import type { ByteRange, InitSection, MediaPlaylist, Segment } from '../hls/playlist.js';

/**
 * A DASH manifest as this engine needs it, on top of mpd-parser (videojs): every representation
 * with its segments as absolute URLs and byte ranges (the same Segment shape as HLS, so one
 * download engine serves both), tracks typed video / audio / subtitle, and the facts that decide
 * whether it can be downloaded at all (DRM, live, periods). Pure: no I/O.
 */

export type DashTrackKind = 'video' | 'audio' | 'subtitle';

export interface DashSidxRef {
  uri: string;
  /** The indexRange: where the sidx box is. */
  range: ByteRange;
  init: InitSection | null;
}

export interface DashRepresentation {
  id: string;
  kind: DashTrackKind;
  bandwidth: number;
  width: number | null;
  height: number | null;
  codecs: string | null;
  language: string | null;
  /** AdaptationSet@label, else what mpd-parser names the group (`lang (role)`, `main`). */
  label: string | null;
  isDefault: boolean;
  forced: boolean;
  /** Seconds. */
  duration: number;
  /** Segments in order; empty for SegmentBase, whose segments come from its sidx. */
  segments: Segment[];
  /** Start of each segment's Period, in seconds from the first one (text cue times count from it). */
  periodStarts: number[];
  sidx: DashSidxRef | null;
  /** How many periods this representation runs through (1 + discontinuities). */
  periods: number;
}

/** One AdaptationSet's worth of audio (several bitrates of one language). */
export interface DashAudioGroup {
  language: string | null;
  label: string | null;
  isDefault: boolean;
  autoselect: boolean;
  representations: DashRepresentation[];
}

export interface DashManifest {
  url: string;
  /** MPD@type="dynamic": a live stream. */
  live: boolean;
  /** The DRM systems named by ContentProtection elements (empty when clear). */
  drm: string[];
  periods: number;
  /** Seconds (mediaPresentationDuration, or the sum of the periods). */
  duration: number;
  video: DashRepresentation[];
  audio: DashAudioGroup[];
  subtitles: DashRepresentation[];
  /** Text AdaptationSets in a form not supported (TTML, subtitles in MP4): their languages, for a log line. */
  unsupportedText: string[];
}

const DRM_SYSTEMS: Record<string, string> = {
  'edef8ba9-79d6-4ace-a3c8-27dcd51d21ed': 'Widevine',
  '9a04f079-9840-4286-ab92-e65be0885f95': 'PlayReady',
  '94ce86fb-07ff-4f43-adb8-93d2fa968ca2': 'FairPlay',
  'e2719d58-a985-b3c9-781a-b030af78d30e': 'ClearKey',
  '1077efec-c0b2-4d02-ace3-3c1e52e2fb4b': 'ClearKey',
  'f239e769-efa3-4850-9c16-a903c6932efb': 'Adobe Primetime',
};

export function looksLikeMpd(text: string): boolean {
  return /^\uFEFF?\s*(<\?xml[^>]*>\s*)?(<!--[\s\S]*?-->\s*)*<(\w+:)?MPD[\s>]/.test(text);
}

const toNumber = (v: number | bigint): number => Number(v);
const range = (r: { offset: number | bigint; length: number | bigint } | undefined): ByteRange | null =>
  r ? { offset: toNumber(r.offset), length: toNumber(r.length) } : null;

function elements(root: XmlElement, name: string): XmlElement[] {
  return Array.from(root.getElementsByTagName(name)).concat(Array.from(root.getElementsByTagNameNS('*', name))).filter((e, i, all) => all.indexOf(e) === i);
}

function drmSystems(root: XmlElement): string[] {
  const found = new Set<string>();
  for (const cp of elements(root, 'ContentProtection')) {
    const scheme = (cp.getAttribute('schemeIdUri') ?? '').toLowerCase();
    const uuid = /urn:uuid:([0-9a-f-]{36})/.exec(scheme)?.[1];
    // mp4protection:2011 only says "encrypted" (cenc/cbcs); the systems are named beside it.
    found.add(uuid ? (DRM_SYSTEMS[uuid] ?? `DRM ${uuid}`) : scheme.includes('mp4protection') ? 'Common Encryption' : scheme || 'DRM');
  }
  return [...found];
}

/** Text sets mpd-parser drops or cannot give as WebVTT: TTML documents and subtitles in MP4 (stpp, wvtt). */
function unsupportedTextSets(root: XmlElement): string[] {
  const out: string[] = [];
  for (const set of elements(root, 'AdaptationSet')) {
    const reps = Array.from(set.getElementsByTagName('Representation'));
    const attr = (name: string): string => [set.getAttribute(name), ...reps.map((r) => r.getAttribute(name))].filter(Boolean).join(' ');
    const mime = attr('mimeType');
    const codecs = attr('codecs');
    const text = set.getAttribute('contentType') === 'text' || /ttml|^application\/mp4/.test(mime) || /stpp|wvtt/.test(codecs);
    if (text && !/text\/vtt/.test(mime)) out.push(set.getAttribute('lang') ?? 'und');
    else if (/text\/vtt/.test(mime) && /wvtt/.test(codecs)) out.push(set.getAttribute('lang') ?? 'und');
  }
  return out;
}

/** Representation ids inside AdaptationSets whose Role is forced-subtitle (or a Representation's own). */
function forcedIds(root: XmlElement): Set<string> {
  const ids = new Set<string>();
  const isForced = (el: XmlElement): boolean =>
    Array.from(el.childNodes).some((n) => n.localName === 'Role' && /^forced(-subtitle)?$/.test(n.getAttribute?.('value') ?? ''));
  for (const set of elements(root, 'AdaptationSet')) {
    const setForced = isForced(set);
    for (const rep of Array.from(set.getElementsByTagName('Representation'))) {
      if (setForced || isForced(rep)) ids.add(rep.getAttribute('id') ?? '');
    }
  }
  return ids;
}

function toSegments(segments: readonly MpdSegment[]): Segment[] {
  let period = 0;
  return segments.map((s, index) => {
    if (s.discontinuity && index > 0) period += 1;
    return {
      index,
      sequence: index,
      uri: s.resolvedUri,
      duration: Number(s.duration) || 0,
      byteRange: range(s.byterange),
      key: null,
      init: s.map ? { uri: s.map.resolvedUri, byteRange: range(s.map.byterange) } : null,
      period,
      discontinuity: period,
      programDateTime: null,
    };
  });
}

function representation(p: MpdPlaylist, kind: DashTrackKind, group: { language?: string; label?: string; isDefault?: boolean }, forced: Set<string>, fallbackDuration: number): DashRepresentation {
  const segments = toSegments(p.segments ?? []);
  const id = p.attributes.NAME ?? '';
  return {
    id,
    kind,
    bandwidth: p.attributes.BANDWIDTH ?? 0,
    width: p.attributes.RESOLUTION?.width ?? null,
    height: p.attributes.RESOLUTION?.height ?? null,
    codecs: p.attributes.CODECS ?? null,
    language: group.language || null,
    label: group.label ?? null,
    isDefault: group.isDefault ?? false,
    forced: forced.has(id),
    duration: segments.length > 0 ? segments.reduce((d, s) => d + s.duration, 0) : (p.sidx?.duration ?? fallbackDuration),
    segments,
    sidx: p.sidx ? { uri: p.sidx.resolvedUri, range: range(p.sidx.byterange)!, init: p.sidx.map ? { uri: p.sidx.map.resolvedUri, byteRange: range(p.sidx.map.byterange) } : null } : null,
    periodStarts: (p.segments ?? []).map((s) => (Number(s.timeline) || 0) - (Number(p.segments?.[0]?.timeline) || 0)),
    periods: 1 + segments.filter((s, i) => i > 0 && s.period !== segments[i - 1]!.period).length,
  };
}

/**
 * One playlist per representation id. mpd-parser joins a representation's periods only when
 * they share a BaseURL, so periods with their own BaseURL (common) come out as separate
 * playlists: join those here in period order, a discontinuity at each period start. Copies
 * starting at the same time are the same period under several BaseURLs (serviceLocation): the
 * first is kept.
 */
function unique(playlists: readonly MpdPlaylist[]): MpdPlaylist[] {
  const byId = new Map<string, MpdPlaylist[]>();
  for (const p of playlists) {
    const key = p.attributes.NAME ?? p.resolvedUri;
    byId.set(key, [...(byId.get(key) ?? []), p]);
  }
  return [...byId.values()].map((copies) => {
    const byStart = new Map<number, MpdPlaylist>();
    for (const p of copies) {
      const start = p.segments?.[0]?.timeline ?? 0;
      if (!byStart.has(start)) byStart.set(start, p);
    }
    const periods = [...byStart.entries()].sort((a, b) => a[0] - b[0]).map(([, p]) => p);
    if (periods.length === 1) return periods[0]!;
    const segments = periods.flatMap((p, i) => (p.segments ?? []).map((s, j) => (i > 0 && j === 0 ? { ...s, discontinuity: true } : s)));
    return { ...periods[0]!, segments, sidx: periods.some((p) => p.sidx) ? periods[0]!.sidx : undefined } as MpdPlaylist;
  });
}

/** Parses an MPD fetched from `url` (the final URL after redirects). */
export function parseMpd(xml: string, url: string): DashManifest {
  if (!looksLikeMpd(xml)) throw new AppError('not_a_manifest', 'the response is not a DASH manifest (no <MPD> element)', { httpStatus: 422 });
  let root: XmlElement;
  let manifest: ReturnType<typeof parse>;
  try {
    root = stringToMpdXml(xml);
    // A dynamic MPD with @duration templates makes mpd-parser list every segment from
    // availabilityStartTime to now (millions for a channel that started long ago): describe
    // it as of its start instead; live is refused or recorded elsewhere anyway.
    const dynamic = root.getAttribute('type') === 'dynamic';
    const start = Date.parse(root.getAttribute('availabilityStartTime') ?? '');
    manifest = parse(xml, { manifestUri: url, ...(dynamic ? { NOW: Number.isFinite(start) ? start + 1000 : 0 } : {}) });
  } catch (err) {
    throw new AppError('bad_manifest', `the DASH manifest could not be read: ${(err as Error).message}`, { httpStatus: 422, cause: err });
  }
  const forced = forcedIds(root);
  const duration = Number(manifest.duration) || 0;
  const video = unique(manifest.playlists ?? []).map((p) => representation(p, 'video', {}, forced, duration));
  const audio: DashAudioGroup[] = [];
  for (const groups of Object.values(manifest.mediaGroups?.AUDIO ?? {})) {
    for (const [label, g] of Object.entries(groups as Record<string, MpdMediaGroup>)) {
      const language = g.language || null;
      audio.push({
        language,
        label,
        isDefault: g.default === true,
        autoselect: g.autoselect === true,
        representations: unique(g.playlists).map((p) => representation(p, 'audio', { language: g.language, label, isDefault: g.default }, forced, duration)),
      });
    }
  }
  const subtitles: DashRepresentation[] = [];
  for (const groups of Object.values(manifest.mediaGroups?.SUBTITLES ?? {})) {
    for (const [label, g] of Object.entries(groups as Record<string, MpdMediaGroup>)) {
      // Several representations of one text AdaptationSet are the same words: keep one.
      const first = unique(g.playlists)[0];
      if (first) subtitles.push(representation(first, 'subtitle', { language: g.language, label, isDefault: g.default }, forced, duration));
    }
  }
  return {
    url,
    live: (root.getAttribute('type') ?? 'static') === 'dynamic',
    drm: drmSystems(root),
    periods: Math.max(1, elements(root, 'Period').length),
    duration,
    video,
    audio,
    subtitles: subtitles.filter((s) => !(s.codecs && /^(stpp|wvtt)/.test(s.codecs))),
    unsupportedText: unsupportedTextSets(root),
  };
}

/** Refuses what cannot become a correct file: DRM, live, periods whose tracks differ. */
export function assertDownloadable(m: DashManifest, chosen: readonly DashRepresentation[] = [...m.video, ...m.audio.flatMap((g) => g.representations)]): void {
  if (m.drm.length > 0) {
    throw new AppError('drm_protected', `this stream is encrypted with DRM (${m.drm.join(', ')}) and cannot be downloaded`, { httpStatus: 422 });
  }
  if (m.live) {
    throw new AppError('live_not_supported', 'this DASH stream is live (a dynamic MPD); live streams are not supported yet', { httpStatus: 422 });
  }
  if (m.video.length === 0 && m.audio.length === 0) throw new AppError('empty_manifest', 'the DASH manifest lists no video or audio', { httpStatus: 422 });
  if (m.periods > 1) {
    const partial = chosen.filter((r) => r.kind !== 'subtitle' && (r.sidx !== null || r.periods !== m.periods));
    if (partial.length > 0) {
      throw new AppError(
        'periods_differ',
        `this MPD has ${m.periods} periods whose tracks differ (${partial.map((r) => `representation "${r.id}"`).join(', ')} is not in every one, e.g. ad breaks); joining such periods is not supported`,
        { httpStatus: 422 },
      );
    }
  }
}

/** A representation's segment list as the HLS engine downloads it. */
export function mediaPlaylistOf(rep: DashRepresentation, url: string, segments: Segment[] = rep.segments): MediaPlaylist {
  const longest = segments.reduce((m, s) => Math.max(m, s.duration), 0);
  return {
    kind: 'media',
    url,
    segments,
    endList: true,
    iFramesOnly: false,
    totalDuration: segments.reduce((d, s) => d + s.duration, 0),
    targetDuration: Math.ceil(longest) || 1,
    mediaSequence: 0,
    discontinuitySequence: 0,
    playlistType: 'VOD',
  };
}
