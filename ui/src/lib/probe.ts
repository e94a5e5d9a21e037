import { bytes, duration } from './format.js';
import type { ProbeResult, ProbeTrack, ProbeVariant } from './types.js';

/** One line about a probed stream: "HLS · 1m 02s · 1080p, 720p · audio: en, de · ~2.1 GB"; a file: "MP4 file · video/mp4 · 1.2 GB". */
export function probeFacts(r: ProbeResult): string {
  if (r.drm) return r.note ?? 'This stream is protected by DRM and cannot be downloaded.';
  if (r.kind === 'direct') {
    const parts = [r.container ? `${r.container.toUpperCase()} file` : 'File'];
    if (r.content_type) parts.push(r.content_type);
    parts.push(r.estimated_bytes !== null ? bytes(r.estimated_bytes) : 'size unknown');
    return parts.join(' · ');
  }
  const parts: string[] = [r.kind.toUpperCase()];
  if (r.live) parts.push('live');
  if (r.duration_s !== null) parts.push(duration(r.duration_s));
  const heights = [...new Set(r.variants.map((v) => v.height).filter((h): h is number => h !== null))];
  if (heights.length > 0) parts.push(heights.map((h) => `${h}p`).join(', '));
  if (r.audio.length > 0) parts.push(`audio: ${r.audio.map((a) => a.language ?? a.name).join(', ')}`);
  if (r.subtitles.length > 0) parts.push(`subtitles: ${r.subtitles.map((s) => s.language ?? s.name).join(', ')}`);
  if (r.estimated_bytes !== null) parts.push(`~${bytes(r.estimated_bytes)}`);
  return parts.join(' · ');
}

/** "5.2 Mb/s", "800 kb/s". */
export function bitrate(bps: number): string {
  if (bps >= 1_000_000) return `${(bps / 1_000_000).toFixed(bps >= 10_000_000 ? 0 : 1)} Mb/s`;
  return `${Math.round(bps / 1000)} kb/s`;
}

/** "1080p · 5.2 Mb/s · ~2.1 GB"; "live" instead of a size for a live stream. */
export function variantLabel(v: ProbeVariant, live: boolean): string {
  const parts = [v.height !== null ? `${v.height}p` : v.width !== null ? `${v.width}w` : 'Variant'];
  if (v.bandwidth > 0) parts.push(bitrate(v.bandwidth));
  if (live) parts.push('live');
  else if (v.estimated_bytes !== null) parts.push(`~${bytes(v.estimated_bytes)}`);
  return parts.join(' · ');
}

/** The stream's own variants for the quality menu, highest first; each value downloads exactly that variant. */
export function variantChoices(r: ProbeResult): Array<{ value: string; label: string }> {
  return r.variants.filter((v): v is ProbeVariant & { quality: string } => v.quality !== null).map((v) => ({ value: v.quality, label: variantLabel(v, r.live) }));
}

/** "English (en)", "Deutsch", "en". */
export function trackLabel(t: ProbeTrack): string {
  const name = t.name.trim();
  if (!t.language || name.toLowerCase() === t.language.toLowerCase() || name.includes(`(${t.language})`)) return name || (t.language ?? 'Unnamed');
  return name ? `${name} (${t.language})` : t.language;
}

/** Tracks that can be chosen by language (the download selects renditions by language), one per language. */
export function choosableTracks(tracks: readonly ProbeTrack[]): Array<ProbeTrack & { language: string }> {
  const out: Array<ProbeTrack & { language: string }> = [];
  for (const t of tracks) {
    if (t.language && !out.some((o) => o.language.toLowerCase() === t.language!.toLowerCase())) out.push(t as ProbeTrack & { language: string });
  }
  return out;
}

export interface ProbeVerdict {
  /** Why this URL cannot (or may not) be downloaded, for people. */
  reason: string;
  /**
   * block: trying cannot help (nothing there, a web page, DRM): Add is disabled.
   * confirm: refused as asked (a login, a Referer): Add is disabled until "Add anyway".
   * warn: the server did not answer now; the download retries, so Add stays.
   */
  severity: 'block' | 'confirm' | 'warn';
}

/**
 * What the form does with a probe's answer or error: null when the URL can be queued, else the
 * reason and how hard it stops the Add button.
 */
export function probeVerdict(outcome: { result: ProbeResult } | { code: string; message: string }): ProbeVerdict | null {
  if ('result' in outcome) {
    return outcome.result.drm ? { reason: outcome.result.note ?? 'This stream is protected by DRM and cannot be downloaded.', severity: 'block' } : null;
  }
  const { code, message } = outcome;
  const status = Number(/HTTP (\d{3})/.exec(message)?.[1] ?? NaN);
  const sentence = message.charAt(0).toUpperCase() + message.slice(1);
  switch (code) {
    case 'not_media':
      return { reason: `${sentence}. Paste the address of the video or its playlist, not of the page.`, severity: 'block' };
    case 'origin_status':
      if (status === 401 || status === 403) return { reason: `${sentence}. Add the Referer or headers under More options and it is checked again.`, severity: 'confirm' };
      if (status === 404 || status === 410) return { reason: `${sentence}.`, severity: 'block' };
      if (status >= 500 || status === 429) return { reason: `${sentence}; the download will retry.`, severity: 'warn' };
      return { reason: `${sentence}.`, severity: 'confirm' };
    case 'drm_protected':
    case 'unsupported_encryption':
    case 'empty_playlist':
    case 'bad_playlist':
    case 'target_forbidden': // the add-on's own rule (e.g. no private addresses): the download is refused too
    case 'invalid_request':
      return { reason: `${sentence}.`, severity: 'block' };
    case 'origin_timeout':
    case 'origin_unreachable':
    case 'network':
      return { reason: `${sentence}; the download will retry.`, severity: 'warn' };
    default:
      return { reason: `${sentence}.`, severity: 'confirm' };
  }
}

/** A job's quality for people: an exact variant ("180p@386324") as "180p · 386 kb/s"; others as they are. */
export function qualityLabel(quality: string): string {
  const exact = /^(\d+p)@(\d+)$/.exec(quality);
  return exact ? `${exact[1]} · ${bitrate(Number(exact[2]))}` : quality;
}
