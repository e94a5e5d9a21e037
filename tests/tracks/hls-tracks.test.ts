import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import request from 'supertest';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Job } from '../../addon/jobs/model.js';
import { parseVtt } from '../../addon/tracks/webvtt.js';
import { startHlsOrigin, type HlsOrigin } from '../fakes/hls-origin.js';
import { CUES, ensureTracksFixtures, type SourceCue, type TracksFixtures } from '../fixtures/tracks-media.js';
import { makeTestApp, waitFor, type TestApp } from '../helpers/app.js';
import { decodeErrors, probe, runTool, ffprobePath, videoFrameHashes, type ProbeStream } from '../helpers/media-check.js';

let fx: TracksFixtures;
let origin: HlsOrigin;
let app: TestApp;

beforeAll(async () => {
  fx = await ensureTracksFixtures();
  origin = await startHlsOrigin({ root: fx.root });
  app = await makeTestApp({ MAX_CONCURRENT_DOWNLOADS: '2', SEGMENT_CONCURRENCY: '4' });
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

/** Non-empty subtitle samples of stream `index` as {start, end} (mov_text writes empty gap samples). */
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

function srtCues(text: string): Array<{ start: number; end: number; text: string }> {
  // SubRip is WebVTT with commas and counters; the WebVTT parser reads it once the header is added.
  return parseVtt(`WEBVTT\n\n${text.replace(/^\d+\n(?=\d\d:)/gm, '')}`).cues;
}

describe('HLS: every audio language and subtitles, muxed and tagged', () => {
  it('mp4, all audio and all subtitles: two tagged audio tracks, two mov_text tracks (one forced) on time', async () => {
    const job = await download({ url: origin.url(fx.hls.master), title: 'Filme', audio_languages: 'all', subtitle_languages: 'all' });
    expect(job.error).toBeNull();
    expect(job.status).toBe('completed');
    expect(job).toMatchObject({ audio_languages: 'all', subtitle_languages: 'all' });
    // Progress counts every track: the video, two audio and two subtitle playlists.
    const count = async (dir: string): Promise<number> => (await readFile(path.join(fx.root, 'hls', dir, 'index.m3u8'), 'utf8')).split('\n').filter((l) => l && !l.startsWith('#')).length;
    const total = (await Promise.all(['v360', 'audio_pt', 'audio_en', 'subs_en', 'subs_pt'].map(count))).reduce((a, b) => a + b, 0);
    expect([job.segments_done, job.segments_total]).toEqual([total, total]);
    // One pool for every track: never more than segment_concurrency (4) segment requests at once,
    // and the tracks interleave rather than run one after another.
    const segments = origin.requests.filter(/\.(ts|vtt)$/);
    const events = segments.flatMap((r) => [[r.startedAt, 1], [r.endedAt ?? Infinity, -1]] as const).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    let open = 0;
    let peak = 0;
    for (const [, d] of events) peak = Math.max(peak, (open += d));
    expect(peak).toBeLessThanOrEqual(4);
    const firstAudio = Math.min(...segments.filter((r) => r.path.includes('/audio_')).map((r) => r.startedAt));
    const lastVideo = Math.max(...segments.filter((r) => r.path.includes('/v360/')).map((r) => r.startedAt));
    expect(firstAudio).toBeLessThan(lastVideo);
    const info = await probe(media(job), ['-show_entries', 'stream=index,codec_type,codec_name,height:stream_tags:stream_disposition']);
    expect(info.streams.length).toBe(5);
    expect(ofType(info.streams, 'video').map((s) => s.height)).toEqual([360]);
    const audio = ofType(info.streams, 'audio');
    expect(audio.map((s) => [s.codec_name, s.tags?.language, s.tags?.handler_name, disposition(s).default])).toEqual([
      ['aac', 'por', 'Português', 1],
      ['aac', 'eng', 'English', 0],
    ]);
    const subs = ofType(info.streams, 'subtitle');
    expect(subs.map((s) => [s.codec_name, s.tags?.language, s.tags?.handler_name, disposition(s).forced])).toEqual([
      ['mov_text', 'eng', 'English', 0],
      ['mov_text', 'por', 'Português (forçada)', 1],
    ]);
    expectTimes(await subtitlePackets(media(job), subs[0]!.index), CUES.en);
    expectTimes(await subtitlePackets(media(job), subs[1]!.index), CUES.pt);
    expect(await decodeErrors(media(job))).toBe('');
    expect(await videoFrameHashes(media(job))).toEqual(await videoFrameHashes(fx.reference[360]!));
    // No sidecar unless asked for.
    expect((await readdir(path.dirname(media(job)))).filter((f) => f.endsWith('.srt'))).toEqual([]);
  });

  it('mkv, 200p, audio ["en"], subtitles ["pt-BR"] as both: SubRip inside and a forced sidecar beside the video', async () => {
    const job = await download({
      url: origin.url(fx.hls.master),
      title: 'Film two',
      container: 'mkv',
      quality: '200p',
      audio_languages: ['en'],
      subtitle_languages: ['pt-BR'],
      subtitles_as: 'both',
    });
    expect(job.error).toBeNull();
    expect(job.file_path).toBe('Downloads/Film two.mkv');
    // Only the renditions asked for are fetched.
    expect(origin.requests.count('/hls/audio_pt/')).toBe(0);
    expect(origin.requests.count('/hls/subs_en/')).toBe(0);
    const info = await probe(media(job), ['-show_entries', 'stream=index,codec_type,codec_name,height:stream_tags:stream_disposition']);
    expect(ofType(info.streams, 'video').map((s) => s.height)).toEqual([180]);
    expect(ofType(info.streams, 'audio').map((s) => [s.tags?.language, s.tags?.title, disposition(s).default])).toEqual([['eng', 'English', 1]]);
    const subs = ofType(info.streams, 'subtitle');
    expect(subs.map((s) => [s.codec_name, s.tags?.language, disposition(s).forced])).toEqual([['subrip', 'por', 1]]);
    expectTimes(await subtitlePackets(media(job), subs[0]!.index), CUES.pt);
    expect(await videoFrameHashes(media(job))).toEqual(await videoFrameHashes(fx.reference[180]!));
    const dir = path.dirname(media(job));
    expect((await readdir(dir)).filter((f) => f.startsWith('Film two')).sort()).toEqual(['Film two.mkv', 'Film two.pt-BR.forced.srt']);
    const sidecar = srtCues(await readFile(path.join(dir, 'Film two.pt-BR.forced.srt'), 'utf8'));
    expectTimes(sidecar, CUES.pt);
    expect(sidecar[0]!.text).toBe(CUES.pt[0]!.text);
  });

  it('sidecar only, default audio: the file has one audio track and no subtitle stream; markup becomes SubRip', async () => {
    const job = await download({ url: origin.url(fx.hls.master), title: 'Third', subtitle_languages: ['en'], subtitles_as: 'sidecar' });
    expect(job.error).toBeNull();
    const info = await probe(media(job), ['-show_entries', 'stream=index,codec_type:stream_tags:stream_disposition']);
    expect(info.streams.map((s) => s.codec_type)).toEqual(['video', 'audio']);
    expect(info.streams[1]!.tags?.language).toBe('por'); // the DEFAULT rendition
    const srt = await readFile(path.join(path.dirname(media(job)), 'Third.en.srt'), 'utf8');
    const cues = srtCues(srt);
    expectTimes(cues, CUES.en);
    expect(cues[2]!.text).toBe('<i>Italic</i> & more');
    expect(job.sidecar_paths).toEqual(['Downloads/Third.en.srt']);
    // Deleting the download with its file takes the sidecars too.
    await request(app.koa.callback()).delete(`/api/downloads/${job.id}?delete_file=true`).expect(204);
    expect((await readdir(path.dirname(media(job)))).filter((f) => f.startsWith('Third'))).toEqual([]);
  });

  it('a DEFAULT rendition without URI is the variant\'s own audio: kept, tagged, first; others added beside it', async () => {
    const plain = await download({ url: origin.url(fx.hls.muxedMaster), title: 'Muxed default' });
    expect(plain.error).toBeNull();
    expect(origin.requests.count('/hls/audio_en/')).toBe(0);
    const one = ofType((await probe(media(plain), ['-show_entries', 'stream=index,codec_type:stream_tags:stream_disposition'])).streams, 'audio');
    expect(one.map((s) => [s.tags?.language, s.tags?.handler_name, disposition(s).default])).toEqual([['por', 'Português', 1]]);
    const all = await download({ url: origin.url(fx.hls.muxedMaster), title: 'Muxed all', audio_languages: 'all' });
    expect(all.error).toBeNull();
    const two = ofType((await probe(media(all), ['-show_entries', 'stream=index,codec_type:stream_tags:stream_disposition'])).streams, 'audio');
    expect(two.map((s) => [s.tags?.language, disposition(s).default])).toEqual([['por', 1], ['eng', 0]]);
    const english = await download({ url: origin.url(fx.hls.muxedMaster), title: 'Muxed en', audio_languages: ['en'] });
    const only = ofType((await probe(media(english), ['-show_entries', 'stream=index,codec_type:stream_tags:stream_disposition'])).streams, 'audio');
    expect(only.map((s) => [s.tags?.language, disposition(s).default])).toEqual([['eng', 1]]);
  });

  it('rejects bad track fields with a 400 naming the field', async () => {
    const post = (body: object) => request(app.koa.callback()).post('/api/downloads').send({ url: 'http://127.0.0.1:9/x.m3u8', ...body });
    for (const [body, field] of [
      [{ audio_languages: 'some' }, 'audio_languages'],
      [{ audio_languages: [] }, 'audio_languages'],
      [{ subtitle_languages: ['pt BR'] }, 'subtitle_languages'],
      [{ subtitles_as: 'burn' }, 'subtitles_as'],
    ] as const) {
      const res = await post(body);
      expect(res.status).toBe(400);
      expect(res.body.error.field).toMatch(new RegExp(`^${field}`));
    }
  });
});
