import type { DashManifest, DashRepresentation } from './mpd.js';

/**
 * What POST /api/probe answers for a DASH manifest (the shape of addon/probe/model.ts
 * ProbeResult on the extension branch, plus `forced` on subtitles), from a parsed MPD. Pure.
 */
export interface DashProbeAnswer {
  kind: 'dash';
  url: string;
  /** Highest first (height, then bandwidth). */
  variants: Array<{ height: number | null; width: number | null; bandwidth: number; codecs: string | null; url: null; estimated_bytes: number | null; quality: string | null }>;
  audio: Array<{ language: string | null; name: string; url: null }>;
  subtitles: Array<{ language: string | null; name: string; forced: boolean; url: null }>;
  duration_s: number | null;
  /** For what "best" downloads: the best video plus the default audio. */
  estimated_bytes: number | null;
  live: boolean;
  drm: boolean;
  container: null;
  note: string | null;
}

const bytes = (bandwidth: number, duration: number | null): number | null => (duration && bandwidth > 0 ? Math.round((bandwidth * duration) / 8) : null);
const best = (reps: readonly DashRepresentation[]): DashRepresentation | undefined => [...reps].sort((a, b) => b.bandwidth - a.bandwidth)[0];

export function describeDash(m: DashManifest): DashProbeAnswer {
  const duration = m.live || !(m.duration > 0) ? null : Math.round(m.duration * 1000) / 1000;
  const variants = [...m.video]
    .sort((a, b) => (b.height ?? 0) - (a.height ?? 0) || b.bandwidth - a.bandwidth)
    .map((v) => ({ height: v.height, width: v.width, bandwidth: v.bandwidth, codecs: v.codecs, url: null, estimated_bytes: bytes(v.bandwidth, duration), quality: v.height ? `${v.height}p@${v.bandwidth}` : null }));
  const defaultAudio = m.audio.find((g) => g.isDefault) ?? m.audio[0];
  const audioBandwidth = (defaultAudio && best(defaultAudio.representations)?.bandwidth) ?? 0;
  const videoBandwidth = variants[0]?.bandwidth ?? 0;
  const drm = m.drm.length > 0;
  return {
    kind: 'dash',
    url: m.url,
    variants,
    audio: m.audio.map((g) => ({ language: g.language, name: g.label ?? g.language ?? 'audio', url: null })),
    subtitles: m.subtitles.map((s) => ({ language: s.language, name: s.label ?? s.language ?? 'subtitles', forced: s.forced, url: null })),
    duration_s: duration,
    estimated_bytes: bytes(videoBandwidth + audioBandwidth, duration),
    live: m.live,
    drm,
    container: null,
    note: drm
      ? `encrypted with DRM (${m.drm.join(', ')}) and cannot be downloaded`
      : m.live
        ? 'a live DASH stream (dynamic MPD); live streams are not supported yet'
        : m.periods > 1
          ? `${m.periods} periods, joined into one file when every period has the same tracks`
          : null,
  };
}
