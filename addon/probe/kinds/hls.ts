import { limitedRequest, type DownloadContext } from '../../download/context.js';
import { fetchSmall } from '../../download/fetch-to-file.js';
import { AppError } from '../../errors.js';
import { parsePlaylist, pickVariant, type MediaPlaylist, type Playlist } from '../../hls/playlist.js';
import type { ProbeResult, ProbeVariant } from '../model.js';
import { emptyResult, type Prober } from './types.js';

const DRM_CODES = new Set(['drm_protected', 'unsupported_encryption']);

async function fetchPlaylist(ctx: DownloadContext, url: string): Promise<{ playlist: Playlist; url: string }> {
  const { body, finalUrl } = await limitedRequest(ctx, url, 'playlist', (signal) => fetchSmall(ctx.http, url, ctx.headers, signal));
  return { playlist: parsePlaylist(body.toString('utf8'), finalUrl), url: finalUrl };
}

/** Encryption a download cannot undo surfaces as `drm: true` with the parser's reason as the note. */
function drmResult(url: string, err: AppError): ProbeResult {
  return { ...emptyResult('hls', url), drm: true, note: err.message };
}

/** Size of the first segment (one ranged request), times the segment count: a fair estimate without a BANDWIDTH. */
async function estimateFromSegments(ctx: DownloadContext, media: MediaPlaylist): Promise<number | null> {
  const first = media.segments[0];
  if (!first) return null;
  if (media.segments.every((s) => s.byteRange)) return media.segments.reduce((sum, s) => sum + (s.byteRange?.length ?? 0), 0);
  try {
    const response = await ctx.http.get({ url: first.uri, headers: ctx.headers, range: { start: 0, end: 0 }, signal: ctx.signal });
    response.body.destroy();
    const total = /\/(\d+)\s*$/.exec(String(response.headers['content-range'] ?? ''))?.[1];
    const length = response.status === 200 ? Number(response.headers['content-length'] ?? NaN) : NaN;
    const size = total ? Number(total) : length;
    return Number.isFinite(size) && size > 0 ? Math.round(size * media.segments.length) : null;
  } catch {
    return null;
  }
}

function describeMedia(media: MediaPlaylist): Pick<ProbeResult, 'duration_s' | 'live' | 'note'> {
  const live = !media.endList;
  return {
    live,
    duration_s: live ? null : Math.round(media.totalDuration * 1000) / 1000,
    note: live ? 'a live stream (the playlist has no end); it can only be recorded from now on' : null,
  };
}

/**
 * HLS: the master's variants, audio and subtitle renditions, then the best variant's playlist
 * for duration, liveness and encryption (a DRM key usually sits in the variant, not the master).
 * Uses the engine's parser and request path, with the job's headers, so what the probe sees is
 * what a download would see.
 */
export const hlsProber: Prober = {
  kind: 'hls',
  async describe(ctx, first) {
    let top: { playlist: Playlist; url: string };
    try {
      top = first.complete ? { playlist: parsePlaylist(first.head.toString('utf8'), first.finalUrl), url: first.finalUrl } : await fetchPlaylist(ctx, first.finalUrl);
    } catch (err) {
      if (err instanceof AppError && DRM_CODES.has(err.code)) return drmResult(first.finalUrl, err);
      throw err;
    }
    if (top.playlist.kind === 'media') {
      const media = top.playlist;
      const described = describeMedia(media);
      return { ...emptyResult('hls', top.url), ...described, estimated_bytes: described.live ? null : await estimateFromSegments(ctx, media) };
    }
    const master = top.playlist;
    if (master.variants.length === 0) throw new AppError('empty_playlist', 'the master playlist lists no variants', { httpStatus: 422 });
    const best = pickVariant(master.variants, 'best');
    let media: MediaPlaylist;
    try {
      const fetched = await fetchPlaylist(ctx, best.uri);
      if (fetched.playlist.kind !== 'media') throw new AppError('bad_playlist', 'a variant of the master playlist is itself a master playlist', { httpStatus: 422 });
      media = fetched.playlist;
    } catch (err) {
      if (err instanceof AppError && DRM_CODES.has(err.code)) return { ...drmResult(top.url, err), variants: variantsOf(master.variants, null) };
      throw err;
    }
    const described = describeMedia(media);
    const variants = variantsOf(master.variants, described.duration_s);
    return {
      ...emptyResult('hls', top.url),
      ...described,
      variants,
      audio: master.audio.map((a) => ({ language: a.language, name: a.name, url: a.uri })),
      subtitles: master.subtitles.map((s) => ({ language: s.language, name: s.name, url: s.uri })),
      estimated_bytes: variants.find((v) => v.url === best.uri)?.estimated_bytes ?? null,
    };
  },
};

function variantsOf(variants: MasterPlaylistVariants, duration: number | null): ProbeVariant[] {
  return [...variants]
    .sort((a, b) => (b.height ?? 0) - (a.height ?? 0) || b.bandwidth - a.bandwidth)
    .map((v) => ({
      height: v.height,
      width: v.width,
      bandwidth: v.bandwidth,
      codecs: v.codecs,
      url: v.uri,
      estimated_bytes: duration !== null && v.bandwidth > 0 ? Math.round((v.bandwidth * duration) / 8) : null,
      quality: v.height ? `${v.height}p@${v.bandwidth}` : null,
    }));
}

type MasterPlaylistVariants = Extract<Playlist, { kind: 'master' }>['variants'];
