import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import request from 'supertest';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Job } from '../../addon/jobs/model.js';
import { describeDashUrl } from '../../addon/dash/describe-url.js';
import { parseMpd } from '../../addon/dash/mpd.js';
import { ConnectionLimits, type DownloadContext } from '../../addon/download/context.js';
import { KeyedSemaphores } from '../../addon/download/semaphore.js';
import { systemClock } from '../../addon/platform/clock.js';
import { createHttpClient } from '../../addon/platform/http.js';
import { silentLogger } from '../../addon/platform/logger.js';
import { startHlsOrigin, type HlsOrigin } from '../fakes/hls-origin.js';
import { CUES, PERIOD_CUES, ensureTracksFixtures, type SourceCue, type TracksFixtures } from '../fixtures/tracks-media.js';
import { FAST_RETRY, makeTestApp, waitFor, type TestApp } from '../helpers/app.js';
import { concatFrameHashes, decodeErrors, ffprobePath, probe, runTool, videoFrameHashes, type ProbeStream } from '../helpers/media-check.js';

let fx: TracksFixtures;
let origin: HlsOrigin;
let app: TestApp;

beforeAll(async () => {
  fx = await ensureTracksFixtures();
  origin = await startHlsOrigin({ root: fx.root });
  app = await makeTestApp({ MAX_CONCURRENT_DOWNLOADS: '3', SEGMENT_CONCURRENCY: '4' });
}, 120_000);
afterAll(async () => {
  await app?.dispose();
  await origin?.close();
});
beforeEach(() => origin.reset());

async function download(body: Record<string, unknown>): Promise<Job> {
  const res = await request(app.koa.callback()).post('/api/downloads').send(body);
  expect(res.status).toBe(201);
  const id = (res.body as Job).id;
  return waitFor(() => {
    const job = app.jobs.get(id);
    return ['completed', 'failed', 'cancelled'].includes(job.status) ? job : undefined;
  }, 60_000, `job ${id}`);
}

const media = (job: Job): string => path.join(app.config.media_dir, job.file_path!);
const ofType = (streams: ProbeStream[], type: string): ProbeStream[] => streams.filter((s) => s.codec_type === type);
const disposition = (s: ProbeStream): Record<string, number> => s.disposition as Record<string, number>;
const streamsOf = async (file: string): Promise<ProbeStream[]> => (await probe(file, ['-show_entries', 'stream=index,codec_type,codec_name,height:stream_tags:stream_disposition'])).streams;

async function subtitlePackets(file: string, index: number): Promise<Array<{ start: number; end: number }>> {
  const { stdout } = await runTool(ffprobePath, ['-v', 'error', '-select_streams', String(index), '-show_entries', 'packet=pts_time,duration_time,size', '-of', 'json', file]);
  const packets = (JSON.parse(stdout) as { packets: Array<{ pts_time: string; duration_time: string; size: string }> }).packets;
  return packets.filter((p) => Number(p.size) > 2).map((p) => ({ start: Number(p.pts_time), end: Number(p.pts_time) + Number(p.duration_time) }));
}

function expectTimes(got: Array<{ start: number; end: number }>, want: SourceCue[]): void {
  expect(got.length).toBe(want.length);
  want.forEach((cue, i) => {
    expect(Math.abs(got[i]!.start - cue.start)).toBeLessThan(0.1);
    expect(Math.abs(got[i]!.end - cue.end)).toBeLessThan(0.1);
  });
}

describe('DASH manifests end to end (ffmpeg-made, loopback origin)', () => {
  it('SegmentTemplate $Time$ + SegmentTimeline: best video, both audio languages, both text tracks, tagged', async () => {
    const job = await download({ url: origin.url(fx.dash.timeline), title: 'Dash film', audio_languages: 'all', subtitle_languages: 'all', subtitles_as: 'both' });
    expect(job.error).toBeNull();
    expect(job.kind).toBe('dash');
    expect(job.status).toBe('completed');
    const streams = await streamsOf(media(job));
    expect(ofType(streams, 'video').map((s) => s.height)).toEqual([360]);
    expect(ofType(streams, 'audio').map((s) => [s.tags?.language, s.tags?.handler_name, disposition(s).default])).toEqual([
      ['por', 'Português', 1],
      ['eng', 'English', 0],
    ]);
    const subs = ofType(streams, 'subtitle');
    expect(subs.map((s) => [s.codec_name, s.tags?.language, disposition(s).forced])).toEqual([
      ['mov_text', 'eng', 0],
      ['mov_text', 'por', 1],
    ]);
    expectTimes(await subtitlePackets(media(job), subs[0]!.index), CUES.en);
    expectTimes(await subtitlePackets(media(job), subs[1]!.index), CUES.pt);
    expect(await decodeErrors(media(job))).toBe('');
    expect(await videoFrameHashes(media(job))).toEqual(await videoFrameHashes(fx.reference[360]!));
    expect((await readdir(path.dirname(media(job)))).filter((f) => f.startsWith('Dash film')).sort()).toEqual(['Dash film.en.srt', 'Dash film.mp4', 'Dash film.pt-BR.forced.srt']);
    // The other two video representations were never fetched.
    expect(origin.requests.count(/chunk-1-/)).toBe(0);
    expect(origin.requests.count(/chunk-2-/)).toBe(0);
  });

  it('quality 200p picks the best representation not above it (same rule as HLS)', async () => {
    const job = await download({ url: origin.url(fx.dash.timeline), title: 'Dash 200', quality: '200p', container: 'mkv' });
    expect(job.error).toBeNull();
    const streams = await streamsOf(media(job));
    expect(ofType(streams, 'video').map((s) => s.height)).toEqual([180]);
    expect(ofType(streams, 'audio').map((s) => s.tags?.language)).toEqual(['por']); // Role main = default
    expect(await videoFrameHashes(media(job))).toEqual(await videoFrameHashes(fx.reference[180]!));
  });

  it.each(['number', 'list', 'base'] as const)('%s: a playable file with the source frames and the audio', async (name) => {
    const job = await download({ url: origin.url(fx.dash[name]), title: `dash ${name}`, audio_languages: ['pt'] });
    expect(job.error).toBeNull();
    expect(job.status).toBe('completed');
    const streams = await streamsOf(media(job));
    expect(streams.map((s) => s.codec_type)).toEqual(['video', 'audio']);
    expect(ofType(streams, 'audio')[0]!.tags?.language).toBe('por');
    expect(await decodeErrors(media(job))).toBe('');
    expect(await videoFrameHashes(media(job))).toEqual(await videoFrameHashes(fx.reference[180]!));
    expect(Number((await probe(media(job))).format.duration)).toBeCloseTo(fx.durationSec, 0);
    if (name === 'base') {
      // SegmentBase: the sidx is read with one ranged request, then subsegments by range.
      const ranged = origin.requests.filter('/dash/base/video.mp4');
      expect(ranged.every((r) => r.range !== undefined)).toBe(true);
      expect(ranged.length).toBeGreaterThan(3);
    }
  });

  it('an audio-only MPD gives an audio-only file with every language asked for', async () => {
    const job = await download({ url: origin.url(fx.dash.audioOnly), title: 'dash audio', audio_languages: 'all' });
    expect(job.error).toBeNull();
    const streams = await streamsOf(media(job));
    expect(streams.map((s) => [s.codec_type, s.tags?.language])).toEqual([
      ['audio', 'por'],
      ['audio', 'eng'],
    ]);
    expect(await decodeErrors(media(job))).toBe('');
  });

  it('two periods are joined in order, each period\'s subtitles on its own start', async () => {
    const job = await download({ url: origin.url(fx.dash.periods), title: 'dash periods', subtitle_languages: 'all', container: 'mkv' });
    expect(job.error).toBeNull();
    const subs = ofType(await streamsOf(media(job)), 'subtitle');
    expect(subs.map((s) => [s.codec_name, s.tags?.language])).toEqual([['subrip', 'eng']]);
    expectTimes(await subtitlePackets(media(job), subs[0]!.index), PERIOD_CUES);
    expect(await decodeErrors(media(job))).toBe('');
    expect(await videoFrameHashes(media(job))).toEqual(await concatFrameHashes(fx.dash.periodRefs.map((p) => path.join(fx.root, p))));
  });

  it('DRM: fails with a clear message and fetches no segment', async () => {
    const job = await download({ url: origin.url(fx.dash.drm) });
    expect(job.status).toBe('failed');
    expect(job.error?.code).toBe('drm_protected');
    expect(job.error?.message).toBe('this stream is encrypted with DRM (Common Encryption, Widevine) and cannot be downloaded');
    expect(origin.requests.count(/\.m4s$/)).toBe(0);
  });

  it('a dynamic (live) MPD is refused clearly', async () => {
    const job = await download({ url: origin.url(fx.dash.live) });
    expect(job.status).toBe('failed');
    expect(job.error).toEqual({ code: 'live_not_supported', message: 'this DASH stream is live (a dynamic MPD); live streams are not supported yet' });
  });
});

describe('describeDashUrl (the probe service\'s DASH kind)', () => {
  it('describes a manifest from the first ranged GET, fetching the rest when it was cut short', async () => {
    const http = createHttpClient({ timeoutMs: 10_000, maxSocketsPerHost: 4, userAgent: 'test' });
    try {
      const ctx: DownloadContext = {
        http,
        clock: systemClock,
        retry: FAST_RETRY,
        connections: new ConnectionLimits(new KeyedSemaphores(() => 4)),
        concurrency: 1,
        logger: silentLogger(),
        signal: new AbortController().signal,
        headers: {},
        workDir: app.root,
        progress: { bytes: () => undefined, totals: () => undefined, segmentsDone: () => undefined, resumed: () => undefined },
      };
      const url = origin.url(fx.dash.timeline);
      const text = await readFile(path.join(fx.root, fx.dash.timeline));
      const whole = await describeDashUrl(ctx, { head: text, complete: true, finalUrl: url });
      expect(origin.requests.count('/dash/timeline/manifest.mpd')).toBe(0);
      const cut = await describeDashUrl(ctx, { head: text.subarray(0, 200), complete: false, finalUrl: url });
      expect(origin.requests.count('/dash/timeline/manifest.mpd')).toBe(1);
      expect(cut).toEqual(whole);
      expect(whole).toMatchObject({ kind: 'dash', live: false, drm: false, duration_s: 6 });
      expect(whole.variants.map((v) => v.height)).toEqual([360, 180, 90]);
      expect(whole.audio).toEqual([{ language: 'pt-BR', name: 'Português', url: null }, { language: 'en', name: 'English', url: null }]);
      expect(whole.subtitles.map((s) => [s.language, s.forced])).toEqual([['en', false], ['pt-BR', true]]);
    } finally {
      http.close();
    }
  });
});

describe('parseMpd on the fixtures', () => {
  it('reads representations, languages, labels, forced text and BaseURLs', async () => {
    const url = origin.url(fx.dash.timeline);
    const m = parseMpd(await readFile(path.join(fx.root, fx.dash.timeline), 'utf8'), url);
    expect(m.video.map((v) => v.height).sort()).toEqual([180, 360, 90].sort());
    expect(m.audio.map((a) => [a.language, a.label, a.isDefault])).toEqual([
      ['pt-BR', 'Português', true],
      ['en', 'English', false],
    ]);
    expect(m.subtitles.map((s) => [s.language, s.label, s.forced, s.segments[0]!.uri])).toEqual([
      ['en', 'English', false, origin.url('dash/text/en.vtt')],
      ['pt-BR', 'Português (forçada)', true, origin.url('dash/text/pt.vtt')],
    ]);
    expect(m.video[0]!.segments[0]!.uri).toMatch(/\/dash\/timeline\/chunk-0-0\.m4s$/); // $Time$ of the first segment
    expect(m.video[0]!.segments[0]!.init?.uri).toMatch(/\/dash\/timeline\/init-stream0\.m4s$/);
    const periods = parseMpd(await readFile(path.join(fx.root, fx.dash.periods), 'utf8'), origin.url(fx.dash.periods));
    expect(periods.periods).toBe(2);
    expect(periods.video[0]!.periods).toBe(2);
    expect(periods.video[0]!.segments.map((s) => s.uri.replace(origin.baseUrl, ''))).toEqual(expect.arrayContaining([expect.stringMatching(/^\/dash\/periods\/p1\//), expect.stringMatching(/^\/dash\/periods\/p2\//)]));
  });
});
