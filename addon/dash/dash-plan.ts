import { AppError } from '../errors.js';
import { limitedRequest, type DownloadContext } from '../download/context.js';
import { fetchSmall } from '../download/fetch-to-file.js';
import { readSavedPlan, savePlan, type HlsPlan, type PlanTrack, type TrackRequest } from '../hls/hls-download.js';
import { pickVariant, type Segment, type Variant } from '../hls/playlist.js';
import { chooseAudio, chooseSubtitles } from '../tracks/selection.js';
import { assertDownloadable, mediaPlaylistOf, parseMpd, type DashAudioGroup, type DashManifest, type DashRepresentation } from './mpd.js';
import { parseSidx } from './sidx.js';

/**
 * Resolves a DASH job into the same plan an HLS job has (plan.json), so the one segment engine
 * (pool, retries by class, journal, resume after kill -9) and the one merge serve both: each
 * chosen representation becomes a track whose segment list is stored in the plan. SegmentBase
 * representations get theirs from the sidx box, fetched once here.
 */
export async function prepareDashPlan(ctx: DownloadContext, request: TrackRequest, first?: { text: string; url: string }): Promise<HlsPlan> {
  const saved = await readSavedPlan(ctx);
  if (saved) return saved;
  const fetched =
    first ??
    (await limitedRequest(ctx, request.url, 'manifest', async (signal) => {
      const { body, finalUrl } = await fetchSmall(ctx.http, request.url, ctx.headers, signal);
      return { text: body.toString('utf8'), url: finalUrl };
    }));
  const manifest = parseMpd(fetched.text, fetched.url);
  assertDownloadable(manifest, []);

  const video = manifest.video.length > 0 ? pickVideo(manifest.video, request.quality) : null;
  const groups = manifest.audio.filter((g) => g.representations.length > 0);
  const audioChoice = chooseAudio(groups, request.audioLanguages ?? 'default');
  if (!audioChoice.matched) {
    ctx.logger.warn({ asked: request.audioLanguages, offered: groups.map((g) => g.language) }, 'no audio in the languages asked for: keeping the default audio');
  }
  const audio = audioChoice.tracks.map(bestOf);
  const subtitles = chooseSubtitles(manifest.subtitles.map((s) => ({ ...s, autoselect: false })), request.subtitleLanguages ?? 'none');
  if (Array.isArray(request.subtitleLanguages) && subtitles.length === 0) {
    ctx.logger.warn({ asked: request.subtitleLanguages, offered: manifest.subtitles.map((s) => s.language) }, 'no subtitles in the languages asked for');
  }
  assertDownloadable(manifest, [...(video ? [video] : []), ...audio]);

  const tracks: PlanTrack[] = [];
  const add = async (rep: DashRepresentation, name: string, meta: Omit<PlanTrack, 'name' | 'url' | 'media'>): Promise<void> => {
    const segments = rep.sidx ? await sidxSegments(ctx, rep) : rep.segments;
    if (segments.length === 0) throw new AppError('empty_manifest', `representation "${rep.id}" lists no segments`, { httpStatus: 422 });
    tracks.push({ name, url: manifest.url, media: mediaPlaylistOf(rep, manifest.url, segments), ...meta });
  };
  if (video) await add(video, 'main', { kind: 'video' });
  const anyDefault = audio.some((a) => a.isDefault);
  for (const [n, rep] of audio.entries()) {
    await add(rep, n === 0 ? 'audio' : `audio-${n + 1}`, { kind: 'audio', language: rep.language, title: rep.label, isDefault: anyDefault ? rep.isDefault : n === 0, forced: false });
  }
  if ((request.subtitleLanguages ?? 'none') !== 'none' && manifest.unsupportedText.length > 0) {
    ctx.logger.warn({ languages: manifest.unsupportedText }, 'text tracks in TTML or packed in MP4 (stpp, wvtt) are not supported yet: they are left out');
  }
  for (const [n, rep] of subtitles.entries()) {
    // WebVTT times count from their Period's start: carried per segment to the join.
    const offsets = rep.periodStarts.some((t) => t !== 0) ? { timeOffsets: rep.periodStarts } : {};
    await add(rep, `subtitles-${n + 1}`, { kind: 'subtitle', language: rep.language, title: rep.label, isDefault: rep.isDefault, forced: rep.forced, ...offsets });
  }
  const plan: HlsPlan = { version: 1, source: 'dash', tracks, variant: video ? { height: video.height, bandwidth: video.bandwidth } : null };
  ctx.logger.info(
    {
      height: video?.height ?? null,
      bandwidth: video?.bandwidth ?? null,
      audio: audio.map((a) => a.language ?? a.label),
      subtitles: subtitles.map((s) => `${s.language ?? s.label}${s.forced ? ' (forced)' : ''}`),
      periods: manifest.periods,
    },
    'DASH representations chosen',
  );
  await savePlan(ctx.workDir, plan);
  return plan;
}

/** The same rule as HLS: `720p` is the best representation not above 720 lines. */
export function pickVideo(reps: readonly DashRepresentation[], quality: string): DashRepresentation {
  const variants: Variant[] = reps.map((r) => ({ uri: r.id, bandwidth: r.bandwidth, width: r.width, height: r.height, codecs: r.codecs, audioGroup: null, subtitleGroup: null }));
  const chosen = pickVariant(variants, quality);
  return reps[variants.indexOf(chosen)]!;
}

/** The highest bitrate of an audio AdaptationSet. */
function bestOf(group: DashAudioGroup): DashRepresentation {
  return [...group.representations].sort((a, b) => b.bandwidth - a.bandwidth)[0]!;
}

async function sidxSegments(ctx: DownloadContext, rep: DashRepresentation): Promise<Segment[]> {
  const sidx = rep.sidx!;
  const { offset, length } = sidx.range;
  const box = await limitedRequest(ctx, sidx.uri, `segment index of representation "${rep.id}"`, async (signal) => {
    const response = await ctx.http.get({ url: sidx.uri, headers: ctx.headers, range: { start: offset, end: offset + length - 1 }, signal });
    const chunks: Buffer[] = [];
    for await (const chunk of response.body as AsyncIterable<Buffer>) chunks.push(chunk);
    const body = Buffer.concat(chunks);
    // A server that ignores Range sends the whole file: cut the index out of it.
    return response.status === 206 ? body : body.subarray(offset, offset + length);
  });
  return parseSidx(box, offset).map((ref, index) => ({
    index,
    sequence: index,
    uri: sidx.uri,
    duration: ref.duration,
    byteRange: { offset: ref.offset, length: ref.length },
    key: null,
    init: sidx.init,
    period: 0,
    // A static manifest: no live reload, so no discontinuity or date-time to follow.
    discontinuity: 0,
    programDateTime: null,
  }));
}

/** For the probe and tests: the manifest facts without downloading anything. */
export type { DashManifest };
