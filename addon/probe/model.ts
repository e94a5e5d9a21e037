/**
 * What POST /api/probe answers: a stream or file described before anything is queued. The panel
 * and the browser extension import these types only, so this file stays free of runtime imports.
 */
import type { TitleSource } from '../titles/title-rule.js';

export const PROBE_KINDS = ['hls', 'dash', 'direct'] as const;
export type ProbeKind = (typeof PROBE_KINDS)[number];

export interface ProbeVariant {
  height: number | null;
  width: number | null;
  /** Bits per second as the playlist declares it (0 when it does not). */
  bandwidth: number;
  codecs: string | null;
  /** The variant's own playlist (absolute): the extension hides it when it saw it separately. */
  url: string | null;
  /** bandwidth × duration, when both are known. */
  estimated_bytes: number | null;
  /**
   * This exact variant as a download's `quality` ("720p@2500000"): the job downloads this one
   * (the nearest bandwidth at this height) and never another. Null without a height.
   */
  quality: string | null;
}

export interface ProbeTrack {
  language: string | null;
  name: string;
  /** The rendition's playlist (absolute), null when muxed into the variants. */
  url: string | null;
  /** Subtitles shown even when subtitles are off (signs, foreign dialogue). */
  forced?: boolean;
}

export interface ProbeResult {
  kind: ProbeKind;
  /** The URL after redirects. */
  url: string;
  /** Highest first. Empty for a single media playlist or a plain file. */
  variants: ProbeVariant[];
  audio: ProbeTrack[];
  subtitles: ProbeTrack[];
  /** Null when unknown (a live stream, a plain file). */
  duration_s: number | null;
  /** For the best variant (what "best" downloads); null when unknown. */
  estimated_bytes: number | null;
  /** The playlist has no end: a live stream. */
  live: boolean;
  /** Protected by DRM (FairPlay, Widevine, PlayReady, SAMPLE-AES): cannot be downloaded. */
  drm: boolean;
  /** For a plain file: the container its first bytes show (mp4, mkv, ts, ...), else null. */
  container: string | null;
  /** A sentence for people when something limits the download (DRM, live), else null. */
  note: string | null;
  /**
   * The title a download of this URL gets when none is typed (addon/titles/title-rule.ts: the
   * file's Content-Disposition name, its MP4 or Matroska title tag, the playlist's title, the page title,
   * then the cleaned URL path, then the host). Never empty.
   */
  title: string;
  title_from: TitleSource;
  /** The first response's Content-Type (without parameters), null when absent. */
  content_type: string | null;
}

export interface ProbeRequest {
  url: string;
  referer?: string | undefined;
  headers?: Record<string, string> | undefined;
  /** The page the URL was found on (the browser extension): a title candidate. */
  page_title?: string | undefined;
}
