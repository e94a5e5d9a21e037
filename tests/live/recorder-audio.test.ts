/**
 * Live variants whose audio is a separate rendition (EXT-X-MEDIA TYPE=AUDIO with a URI, as every
 * Apple-style stream has): the recorder records each chosen audio playlist beside the video, with
 * its own window and gap reporting, and muxes them so the file has sound in the right language.
 * Real time against tests/fakes/live-origin.ts (1 s segments), real ffmpeg and ffprobe.
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConnectionLimits, type DownloadContext } from '../../addon/download/context.js';
import { KeyedSemaphores } from '../../addon/download/semaphore.js';
import { prepareHlsPlan } from '../../addon/hls/hls-download.js';
import type { RecordingStatus } from '../../addon/live/model.js';
import { recordingLimits, runRecordingPhase } from '../../addon/live/recording-phase.js';
import { systemClock } from '../../addon/platform/clock.js';
import { createFfmpegRunner } from '../../addon/platform/ffmpeg.js';
import { createHttpClient, DEFAULT_USER_AGENT } from '../../addon/platform/http.js';
import type { Logger } from '../../addon/platform/logger.js';
import { silentLogger } from '../../addon/platform/logger.js';
import type { AudioLanguages, SubtitleLanguages } from '../../addon/tracks/selection.js';
import { liveMedia, liveSplitMedia, SPLIT_TONE_STEPS, splitToneIndex, startLiveOrigin, type LiveOrigin, type LiveOriginOptions } from '../fakes/live-origin.js';
import { FAST_RETRY } from '../helpers/app.js';
import { captureLogger } from '../helpers/log-capture.js';
import { decodeErrors, ffmpeg as runFfmpeg, ffmpegPath, probe, type ProbeStream } from '../helpers/media-check.js';

const http = createHttpClient({ timeoutMs: 5000, maxSocketsPerHost: 8, userAgent: DEFAULT_USER_AGENT });
const ffmpeg = createFfmpegRunner(ffmpegPath);
let root: string;
const origins: LiveOrigin[] = [];
let dirs = 0;

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'm3udl-live-audio-'));
  await Promise.all([liveMedia(1), liveSplitMedia(1)]);
}, 120_000);

afterAll(async () => {
  await Promise.all(origins.map((o) => o.stop()));
  await rm(root, { recursive: true, force: true });
});

async function origin(options: LiveOriginOptions = {}): Promise<LiveOrigin> {
  const o = await startLiveOrigin({ segmentSeconds: 1, splitAudio: true, ...options });
  origins.push(o);
  return o;
}

interface Options {
  live?: Parameters<typeof recordingLimits>[0];
  workDir?: string;
  signal?: AbortSignal;
  audioLanguages?: AudioLanguages;
  subtitleLanguages?: SubtitleLanguages;
  logger?: Logger;
  onProgress?: (s: RecordingStatus) => void;
}

async function record(o: LiveOrigin, opts: Options) {
  const ctx: DownloadContext = {
    http,
    clock: systemClock,
    retry: FAST_RETRY,
    connections: new ConnectionLimits(new KeyedSemaphores(() => 4)),
    concurrency: 4,
    logger: opts.logger ?? silentLogger(),
    signal: opts.signal ?? new AbortController().signal,
    headers: {},
    workDir: opts.workDir ?? path.join(root, `job-${++dirs}`),
    progress: { bytes: () => undefined, totals: () => undefined, segmentsDone: () => undefined, resumed: () => undefined },
  };
  const plan = await prepareHlsPlan(ctx, { url: `${o.baseUrl}/live/split/master.m3u8`, quality: 'best', ...(opts.audioLanguages ? { audioLanguages: opts.audioLanguages } : {}), ...(opts.subtitleLanguages ? { subtitleLanguages: opts.subtitleLanguages } : {}) }, undefined, { allowLive: true });
  expect(plan.live).toBe(true);
  const progress: RecordingStatus[] = [];
  const result = await runRecordingPhase(
    ctx,
    { ffmpeg },
    { plan, container: 'mp4', limits: recordingLimits(opts.live, { maxRecordingMinutes: 240, outageToleranceS: 30 }), stop: new AbortController().signal },
    {
      started: () => undefined,
      progress: (s) => {
        progress.push(s);
        opts.onProgress?.(s);
      },
      merging: () => undefined,
    },
  );
  return { ...result, progress };
}

function streams(all: ProbeStream[], type: 'video' | 'audio'): ProbeStream[] {
  return all.filter((s) => s.codec_type === type);
}

/** The tone (Hz) of audio stream `n` of a file over 0.3 s from `at` seconds, by zero crossings. */
async function toneAt(file: string, at: number, n = 0): Promise<number> {
  const raw = path.join(root, `tone-${++dirs}.raw`);
  await runFfmpeg(['-ss', at.toFixed(3), '-i', file, '-t', '0.3', '-map', `0:a:${n}`, '-f', 's16le', '-ac', '1', '-ar', '48000', raw]);
  const pcm = await readFile(raw);
  let crossings = 0;
  for (let i = 2; i + 1 < pcm.length; i += 2) if (pcm.readInt16LE(i - 2) < 0 !== pcm.readInt16LE(i) < 0) crossings++;
  return crossings / 2 / (pcm.length / 2 / 48000);
}

/**
 * The audio under the video at output second `at` is the audio of the same segment: the tone of
 * the split media changes every segment, so audio one segment off (or drifting after a hole)
 * plays the wrong tone. `firstVideo` is the first video sequence number recorded.
 */
async function expectInSync(o: LiveOrigin, file: string, firstVideo: number, at: number, n = 0): Promise<void> {
  const videoIndex = o.splitIndexOf(firstVideo + Math.floor(at)) % SPLIT_TONE_STEPS;
  expect(splitToneIndex(await toneAt(file, at + 0.35, n))).toBe(videoIndex);
}

/** Media sequence numbers of one split playlist's segments answered 200, in order. */
function fetched(o: LiveOrigin, track: 'video' | 'audio-en' | 'audio-de' | 'subs-en'): number[] {
  return o.log
    .filter((r) => r.status === 200 && r.path.startsWith(`/live/split/${track}/`) && !r.path.endsWith('.m3u8'))
    .map((r) => Number(/[sat](\d+)\.(?:ts|vtt)$/.exec(r.path)![1]))
    .sort((a, b) => a - b);
}

describe.concurrent('live recorder: audio in a separate playlist', () => {
  it('records the default audio rendition beside the video and muxes it in with its language', async () => {
    const o = await origin();
    const r = await record(o, { live: { duration_s: 6 } });
    expect(r.status.ended).toBe('duration');
    expect(r.files).toHaveLength(1);
    const file = r.files[0]!.file;
    const info = await probe(file);
    const video = streams(info.streams, 'video');
    const audio = streams(info.streams, 'audio');
    expect(video).toHaveLength(1);
    expect(audio).toHaveLength(1);
    expect(audio[0]!.tags?.language).toBe('eng');
    expect(audio[0]!.codec_name).toBe('aac');
    // Audio lasts as long as the video and starts with it (within a segment / a frame or two).
    expect(Math.abs(Number(audio[0]!.duration) - Number(video[0]!.duration))).toBeLessThanOrEqual(1);
    expect(Math.abs(Number(audio[0]!.start_time) - Number(video[0]!.start_time))).toBeLessThan(0.15);
    expect(Math.abs(Number(info.format.duration) - r.status.recorded_s)).toBeLessThanOrEqual(1);
    expect(await decodeErrors(file)).toBe('');
    const firstVideo = fetched(o, 'video')[0]!;
    await expectInSync(o, file, firstVideo, 0);
    await expectInSync(o, file, firstVideo, 4);
    // Only the default rendition was fetched; each segment once, none skipped.
    expect(fetched(o, 'audio-de')).toEqual([]);
    const en = fetched(o, 'audio-en');
    expect(en.length).toBeGreaterThanOrEqual(5);
    expect(new Set(en).size).toBe(en.length);
    expect(en.at(-1)! - en[0]! + 1).toBe(en.length);
    expect(r.status.gaps).toEqual([]);
  });

  it("keeps every audio language the job asks for, each tagged", async () => {
    const o = await origin();
    const r = await record(o, { live: { duration_s: 4 }, audioLanguages: ['de', 'en'] });
    const info = await probe(r.files[0]!.file);
    const audio = streams(info.streams, 'audio');
    expect(audio.map((a) => a.tags?.language).sort()).toEqual(['deu', 'eng']);
    const video = streams(info.streams, 'video')[0]!;
    for (const a of audio) expect(Math.abs(Number(a.duration) - Number(video.duration))).toBeLessThanOrEqual(1);
    expect(fetched(o, 'audio-de').length).toBeGreaterThanOrEqual(3);
    for (const n of [0, 1]) await expectInSync(o, r.files[0]!.file, fetched(o, 'video')[0]!, 2, n);
    expect(await decodeErrors(r.files[0]!.file)).toBe('');
  });

  it('an audio playlist published a segment behind the video still lines up with it', async () => {
    const o = await origin({ audioLagSegments: 1 });
    const r = await record(o, { live: { duration_s: 5 } });
    const info = await probe(r.files[0]!.file);
    const video = streams(info.streams, 'video')[0]!;
    const audio = streams(info.streams, 'audio')[0]!;
    expect(audio.tags?.language).toBe('eng');
    expect(Math.abs(Number(audio.start_time) - Number(video.start_time))).toBeLessThan(0.15);
    expect(Math.abs(Number(audio.duration) - Number(video.duration))).toBeLessThanOrEqual(1);
    // The audio recording began a segment earlier than the video: that second is cut, not played under the video.
    expect(fetched(o, 'audio-en')[0]).toBe(fetched(o, 'video')[0]! - 1);
    await expectInSync(o, r.files[0]!.file, fetched(o, 'video')[0]!, 0);
    await expectInSync(o, r.files[0]!.file, fetched(o, 'video')[0]!, 3);
  });

  it('an outage on the audio playlist only is a reported gap of the audio track, never a silent skip', async () => {
    const o = await origin();
    const capture = captureLogger();
    let down = false;
    const r = await record(o, {
      live: { duration_s: 16 },
      logger: capture.logger,
      onProgress: (s) => {
        if (!down && s.recorded_s >= 2) {
          down = true;
          o.audioOutage(9000); // longer than the 6-segment window: some audio rolls out
        }
      },
    });
    expect(down).toBe(true);
    expect(o.log.some((x) => x.status === 404 && x.path.startsWith('/live/split/audio-en/'))).toBe(true);
    // The video lost nothing; the audio's lost segments are a gap on the audio track.
    const v = fetched(o, 'video');
    expect(v.at(-1)! - v[0]! + 1).toBe(v.length);
    const en = fetched(o, 'audio-en');
    const missing = en.at(-1)! - en[0]! + 1 - en.length;
    expect(missing).toBeGreaterThanOrEqual(2);
    const audioGaps = r.status.gaps.filter((g) => g.track === 'audio:en');
    expect(audioGaps).toHaveLength(1);
    expect(audioGaps[0]!.lost_s).toBeCloseTo(missing, 0);
    expect(r.status.gaps.filter((g) => g.track === undefined)).toEqual([]);
    expect(r.status.warning).toMatch(/audio/);
    expect(r.progress.some((s) => s.gaps.some((g) => g.track === 'audio:en'))).toBe(true);
    const warned = capture.lines.map((l) => JSON.parse(l) as { level: string; msg: string; track?: string }).filter((l) => l.level === 'warn' && l.track === 'audio:en' && /rolled out of the window/.test(l.msg));
    expect(warned.length).toBeGreaterThanOrEqual(1);
    // The file still has its audio across the whole video (the lost part is a hole, not a shift).
    const info = await probe(r.files[0]!.file);
    const video = streams(info.streams, 'video')[0]!;
    const audio = streams(info.streams, 'audio')[0]!;
    expect(audio.tags?.language).toBe('eng');
    expect(Math.abs(Number(audio.duration) - Number(video.duration))).toBeLessThanOrEqual(1);
    // After the hole the audio is where it belongs, not pulled forward by the seconds it lost.
    await expectInSync(o, r.files[0]!.file, v[0]!, 1);
    await expectInSync(o, r.files[0]!.file, v[0]!, Math.floor(Number(video.duration)) - 2);
    expect(await decodeErrors(r.files[0]!.file)).toBe('');
  });

  it('split_minutes: every part has its own audio, in step with its video', async () => {
    const o = await origin();
    const r = await record(o, { live: { duration_s: 7, split_minutes: 0.05 } });
    expect(r.files.length).toBe(3);
    const firstVideo = fetched(o, 'video')[0]!;
    let before = 0;
    for (const f of r.files) {
      const info = await probe(f.file);
      const video = streams(info.streams, 'video')[0]!;
      const audio = streams(info.streams, 'audio');
      expect(audio).toHaveLength(1);
      expect(audio[0]!.tags?.language).toBe('eng');
      expect(Math.abs(Number(audio[0]!.duration) - Number(video.duration))).toBeLessThanOrEqual(1);
      // Each part starts from its own zero: its audio is that of the video seconds it holds.
      await expectInSync(o, f.file, firstVideo + before, 0);
      before += Math.round(Number(video.duration));
    }
  });

  it('continues after an interruption: video and audio each resume from their journal, nothing fetched twice', async () => {
    const o = await origin();
    const workDir = path.join(root, `job-${++dirs}`);
    const abort = new AbortController();
    await expect(
      record(o, {
        workDir,
        live: { duration_s: 7 },
        signal: abort.signal,
        onProgress: (s) => {
          if (s.recorded_s >= 3) abort.abort(new Error('crash'));
        },
      }),
    ).rejects.toThrow();
    expect(await readdir(path.join(workDir, 'audio'))).toContain('live-journal.log');
    const r = await record(o, { workDir, live: { duration_s: 7 } });
    expect(r.status.gaps).toEqual([]);
    const dupes = o.duplicates();
    expect(dupes).toEqual([]);
    const en = fetched(o, 'audio-en');
    expect(new Set(en).size).toBe(en.length);
    expect(en.at(-1)! - en[0]! + 1).toBe(en.length);
    const info = await probe(r.files[0]!.file);
    const video = streams(info.streams, 'video')[0]!;
    const audio = streams(info.streams, 'audio')[0]!;
    expect(Math.abs(Number(audio.duration) - Number(video.duration))).toBeLessThanOrEqual(1);
    await expectInSync(o, r.files[0]!.file, fetched(o, 'video')[0]!, Math.floor(Number(video.duration)) - 2);
    expect(await readdir(workDir)).not.toContain('audio');
  });

  it('an audio playlist that never answers fails the recording: a file without its sound is not filed', async () => {
    const o = await origin();
    o.audioOutage(60_000, 'segments'); // its playlist loads, none of its segments ever does
    const pending = record(o, { live: { duration_s: 3 } });
    await expect(pending).rejects.toMatchObject({ code: 'live_audio_missing' });
    await expect(pending).rejects.toThrow(/audio track audio:en .*could not be recorded/);
  });

  it('WebVTT subtitles asked for are recorded too: a tagged subtitle stream whose cues sit under their own video seconds', async () => {
    const o = await origin();
    const r = await record(o, { live: { duration_s: 5 }, subtitleLanguages: ['en'] });
    const file = r.files[0]!.file;
    const info = await probe(file);
    const subs = info.streams.filter((s) => s.codec_type === 'subtitle');
    expect(subs).toHaveLength(1);
    expect(subs[0]!.codec_name).toBe('mov_text');
    expect(subs[0]!.tags?.language).toBe('eng');
    expect(streams(info.streams, 'audio')).toHaveLength(1);
    expect(fetched(o, 'subs-en').length).toBeGreaterThanOrEqual(4);
    const srt = path.join(root, `subs-${++dirs}.srt`);
    await runFfmpeg(['-i', file, '-map', '0:s:0', '-f', 'srt', srt]);
    const cues = [...(await readFile(srt, 'utf8')).matchAll(/(\d+):(\d+):(\d+),(\d+) --> [^\n]+\nsegment (\d+)/g)].map((m) => ({
      at: Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3]) + Number(m[4]) / 1000,
      index: Number(m[5]),
    }));
    expect(cues.length).toBeGreaterThanOrEqual(4);
    const firstVideo = o.splitIndexOf(fetched(o, 'video')[0]!);
    // Cue "segment i" starts 0.1 s into video segment i, wherever that is in the file.
    for (const c of cues) expect(c.at).toBeCloseTo(c.index - firstVideo + 0.1, 1);
  });

  it('an outage of the whole origin: video and audio each mark their gap, and stay in step after it', async () => {
    const o = await origin();
    let down = false;
    const r = await record(o, {
      live: { duration_s: 14 },
      onProgress: (s) => {
        if (!down && s.recorded_s >= 2) {
          down = true;
          o.outage(9000, 'reset');
        }
      },
    });
    expect(r.status.gaps.filter((g) => g.track === undefined)).toHaveLength(1);
    expect(r.status.gaps.filter((g) => g.track === 'audio:en')).toHaveLength(1);
    const info = await probe(r.files[0]!.file);
    const video = streams(info.streams, 'video')[0]!;
    const audio = streams(info.streams, 'audio')[0]!;
    expect(Math.abs(Number(audio.duration) - Number(video.duration))).toBeLessThanOrEqual(1);
    // The output joins the video across its gap: at the end, the video plays segment
    // first + seconds before + lost, and the audio under it must be that segment's.
    const v = fetched(o, 'video');
    const end = Math.floor(Number(video.duration)) - 2;
    const videoIndex = o.splitIndexOf(v[end]!) % SPLIT_TONE_STEPS;
    expect(splitToneIndex(await toneAt(r.files[0]!.file, end + 0.35))).toBe(videoIndex);
    expect(await decodeErrors(r.files[0]!.file)).toBe('');
  });

  it('an outage of the video only: the audio heard meanwhile is cut, so the sound after it stays on its picture', async () => {
    const o = await origin();
    let down = false;
    const r = await record(o, {
      live: { duration_s: 14 },
      onProgress: (s) => {
        if (!down && s.recorded_s >= 2) {
          down = true;
          o.videoOutage(9000);
        }
      },
    });
    const videoGaps = r.status.gaps.filter((g) => g.track === undefined);
    expect(videoGaps).toHaveLength(1);
    expect(r.status.gaps.filter((g) => g.track === 'audio:en')).toEqual([]);
    const en = fetched(o, 'audio-en');
    expect(en.at(-1)! - en[0]! + 1).toBe(en.length); // the audio missed nothing
    const info = await probe(r.files[0]!.file);
    const video = streams(info.streams, 'video')[0]!;
    const audio = streams(info.streams, 'audio')[0]!;
    expect(Math.abs(Number(audio.duration) - Number(video.duration))).toBeLessThanOrEqual(1);
    const v = fetched(o, 'video');
    for (const at of [1, Math.floor(Number(video.duration)) - 2]) {
      expect(splitToneIndex(await toneAt(r.files[0]!.file, at + 0.35))).toBe(o.splitIndexOf(v[at]!) % SPLIT_TONE_STEPS);
    }
  });
});
