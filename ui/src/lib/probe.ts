import { bytes, duration } from './format';
import type { ProbeResult } from './types';

/** One line about a probed stream: "HLS · 1:02:03 · 1080p, 720p · audio: en, de · ~2.1 GB". */
export function probeFacts(r: ProbeResult): string {
  if (r.drm) return r.note ?? 'This stream is protected by DRM and cannot be downloaded.';
  const parts: string[] = [r.kind === 'direct' ? (r.container ? r.container.toUpperCase() : 'File') : r.kind.toUpperCase()];
  if (r.live) parts.push('live');
  if (r.duration_s !== null) parts.push(duration(r.duration_s));
  const heights = [...new Set(r.variants.map((v) => v.height).filter((h): h is number => h !== null))];
  if (heights.length > 0) parts.push(heights.map((h) => `${h}p`).join(', '));
  if (r.audio.length > 0) parts.push(`audio: ${r.audio.map((a) => a.language ?? a.name).join(', ')}`);
  if (r.subtitles.length > 0) parts.push(`subtitles: ${r.subtitles.map((s) => s.language ?? s.name).join(', ')}`);
  if (r.estimated_bytes !== null) parts.push(`~${bytes(r.estimated_bytes)}`);
  return parts.join(' · ');
}

/** The stream's own qualities for the quality menu, highest first, with their estimated sizes. */
export function probeQualities(r: ProbeResult): Array<{ value: string; label: string }> {
  const out: Array<{ value: string; label: string }> = [];
  for (const v of r.variants) {
    if (v.height === null || out.some((o) => o.value === `${v.height}p`)) continue;
    out.push({ value: `${v.height}p`, label: `${v.height}p${v.estimated_bytes !== null ? ` (~${bytes(v.estimated_bytes)})` : ''}` });
  }
  return out;
}
