import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Job } from '../../addon/jobs/model.js';
import { workDirOf } from '../../addon/jobs/download-engine.js';
import { ensureFixtures, type Fixtures, type ScenarioName } from '../fixtures/media.js';
import { FLAKY_SEGMENTS, MISSING_SEGMENT, startHlsOrigin, type HlsOrigin } from '../fakes/hls-origin.js';
import { audioPresent, concatFrameHashes, decodeErrors, probe, videoFrameHashes } from '../helpers/media-check.js';
import { makeTestApp, waitFor, type TestApp } from '../helpers/app.js';

let fx: Fixtures;
let origin: HlsOrigin;
let app: TestApp;

beforeAll(async () => {
  fx = await ensureFixtures();
  origin = await startHlsOrigin();
  app = await makeTestApp({ MAX_CONCURRENT_DOWNLOADS: '3', SEGMENT_CONCURRENCY: '4' }, { chunkBytes: 16 * 1024 });
});
afterAll(async () => {
  await app?.dispose();
  await origin?.close();
});
beforeEach(() => origin.reset());

const finished = (job: Job): Job | undefined => (['completed', 'failed', 'cancelled'].includes(job.status) ? job : undefined);

async function download(input: Parameters<TestApp['jobs']['create']>[0]): Promise<Job> {
  const job = app.jobs.create(input);
  return waitFor(() => finished(app.jobs.get(job.id)), 60_000, `job ${job.id}`);
}

const media = (job: Job): string => path.join(app.config.media_dir, job.file_path!);

async function expectPlaysLike(file: string, references: string[]): Promise<void> {
  expect(await decodeErrors(file)).toBe('');
  expect(await videoFrameHashes(file)).toEqual(await concatFrameHashes(references));
}

describe('HLS media playlists end to end (real ffmpeg, loopback origin)', () => {
  it.each<ScenarioName>(['plain', 'fmp4', 'aes', 'aes-noiv', 'aes-rotate', 'byterange', 'disguised'])('%s: a playable file with the source frames', async (name) => {
    const scenario = fx.scenarios[name];
    const job = await download({ url: origin.url(scenario.playlist), title: `scenario ${name}` });
    expect(job.error).toBeNull();
    expect(job.status).toBe('completed');
    expect(job.kind).toBe('hls');
    expect(job.file_path).toBe(`Downloads/scenario ${name}.mp4`); // the `other` template of the default destination
    expect([job.segments_done, job.segments_total]).toEqual([scenario.segmentCount, scenario.segmentCount]);
    expect(job.progress).toBe(100);
    const info = await probe(media(job));
    expect(info.streams.map((s) => s.codec_type).sort()).toEqual(['audio', 'video']);
    expect(Number(info.format.duration)).toBeCloseTo(scenario.durationSec, 0);
    await expectPlaysLike(media(job), scenario.references);
    // Keys are fetched once per URI, however many segments use them.
    for (const uri of Object.keys(scenario.keys)) expect(origin.requests.count(path.posix.basename(uri.split('?')[0]!))).toBe(1);
    // The work dir is cleared right after the job is recorded as completed.
    await waitFor(() => readdir(workDirOf(app.config.tmp_dir, job.id)).then(() => undefined, () => true as const), 5_000, 'the work dir to go');
  });

  it('discontinuity: both clips play end to end in order', async () => {
    const scenario = fx.scenarios.discontinuity;
    const job = await download({ url: origin.url(scenario.playlist), title: 'disc', container: 'mkv' });
    expect(job.status).toBe('completed');
    expect(job.file_path).toBe('Downloads/disc.mkv');
    expect((await probe(media(job))).format.format_name).toMatch(/matroska/);
    await expectPlaysLike(media(job), scenario.references);
  });

  it('resolves relative URIs against the URL after a redirect', async () => {
    const job = await download({ url: origin.url('redirect/index.m3u8'), title: 'moved' });
    expect(job.status).toBe('completed');
    expect(origin.requests.count(/^\/moved\/deep\/seg/)).toBe(fx.scenarios.plain.segmentCount);
    await expectPlaysLike(media(job), fx.scenarios.plain.references);
  });

  it('no EXT-X-ENDLIST: recorded as a live stream (this one never advances) until stopped, then filed', async () => {
    const created = app.jobs.create({ url: origin.url(fx.scenarios.live.playlist), title: 'frozen live' });
    await waitFor(() => ((app.jobs.get(created.id).recording?.recorded_s ?? 0) > 0 ? true : undefined), 30_000, 'the recording');
    expect(app.jobs.get(created.id).kind).toBe('recording');
    await app.jobs.stopRecording(created.id);
    const job = await waitFor(() => finished(app.jobs.get(created.id)), 30_000, 'filed');
    expect(job.status).toBe('completed');
    expect(job.recording!.ended).toBe('stopped');
    expect(await decodeErrors(media(job))).toBe('');
  });

  it('DRM: fails with a clear message and fetches no segment', async () => {
    const job = await download({ url: origin.url(fx.scenarios.drm.playlist) });
    expect(job.status).toBe('failed');
    expect(job.error?.code).toBe('drm_protected');
    expect(job.error?.message).toMatch(/FairPlay DRM/);
    expect(origin.requests.count(/^\/drm\/.*\.ts$/)).toBe(0);
  });
});

describe('master playlists', () => {
  const byHeight = (h: number) => fx.master.variants.find((v) => v.height === h)!;

  it('best: the highest variant plus its separate audio rendition', async () => {
    const job = await download({ url: origin.url(fx.master.playlist), title: 'master best' });
    expect(job.status).toBe('completed');
    const best = fx.master.variants[fx.master.bestIndex]!;
    expect(origin.requests.count(best.playlist)).toBe(1);
    expect(origin.requests.count(fx.master.audio.playlist)).toBe(1);
    const info = await probe(media(job));
    expect(info.streams.find((s) => s.codec_type === 'video')?.height).toBe(best.height);
    expect(await audioPresent(media(job))).toBe(true);
    expect(job.segments_total).toBe(best.segmentCount + fx.master.audio.segmentCount);
    await expectPlaysLike(media(job), [best.reference]);
  });

  it('a height picks the best variant not above it', async () => {
    const job = await download({ url: origin.url(fx.master.playlist), title: 'master 200', quality: '200p' });
    expect(job.status).toBe('completed');
    const chosen = byHeight(180);
    expect((await probe(media(job))).streams.find((s) => s.codec_type === 'video')?.height).toBe(180);
    await expectPlaysLike(media(job), [chosen.reference]);
  });

  it('worst picks the lowest', async () => {
    const job = await download({ url: origin.url(fx.master.playlist), title: 'master worst', quality: 'worst' });
    expect((await probe(media(job))).streams.find((s) => s.codec_type === 'video')?.height).toBe(90);
  });
});

describe('headers, retries and failures', () => {
  it('sends the Referer on playlist, key and segment requests', async () => {
    const denied = await download({ url: origin.url('referer/index.m3u8'), title: 'no referer' });
    expect(denied.status).toBe('failed');
    expect(denied.error?.message).toMatch(/HTTP 403/);

    origin.reset();
    const job = await download({ url: origin.url('referer/index.m3u8'), title: 'with referer', referer: origin.referer, headers: { 'X-Custom': 'yes' } });
    expect(job.status).toBe('completed');
    const all = origin.requests.filter('/referer/');
    // Every playlist, key and segment was asked for (a retry under load may ask twice: which
    // requests repeat, and how often, is the resume and retry tests' business, not this one's).
    expect(new Set(all.map((r) => r.path)).size).toBe(fx.scenarios.aes.segmentCount + 1 + Object.keys(fx.scenarios.aes.keys).length);
    for (const r of all) {
      expect(r.headers.referer).toBe(origin.referer);
      expect(r.headers['x-custom']).toBe('yes');
    }
    await expectPlaysLike(media(job), fx.scenarios.aes.references);
  });

  it('retries a 503, a reset connection and a short body, then completes', async () => {
    const job = await download({ url: origin.url('flaky/index.m3u8'), title: 'flaky' });
    expect(job.error).toBeNull();
    expect(job.status).toBe('completed');
    for (const seg of Object.values(FLAKY_SEGMENTS)) expect(origin.requests.count(`/flaky/${seg}`)).toBe(2);
    await expectPlaysLike(media(job), fx.scenarios.plain.references);
  });

  it('a 404 segment fails the job naming it, keeps what was fetched, and a retry continues from there', async () => {
    const job = await download({ url: origin.url('missing/index.m3u8'), title: 'missing' });
    expect(job.status).toBe('failed');
    expect(job.error?.message).toMatch(new RegExp(`segment 5 of 6 \\(.*${MISSING_SEGMENT}\\).*HTTP 404`));
    expect(origin.requests.count(`/missing/${MISSING_SEGMENT}`)).toBe(1); // 404 is not retried
    const kept = await readdir(workDirOf(app.config.tmp_dir, job.id));
    expect(kept).toContain('journal.log');

    // Only segments that were in flight when the job failed may be fetched again.
    const fetchedBefore = new Set(origin.requests.filter(/^\/missing\/seg/).filter((r) => r.outcome === 'complete').map((r) => r.path));
    origin.reset();
    await app.jobs.retry(job.id);
    const retried = await waitFor(() => finished(app.jobs.get(job.id)), 30_000);
    // Still 404 (the fake always 404s this one), but nothing already fetched was fetched again.
    expect(retried.status).toBe('failed');
    expect(retried.retry_count).toBe(1);
    const refetched = origin.requests.paths(/^\/missing\/seg/).filter((p) => fetchedBefore.has(p) && !p.endsWith(MISSING_SEGMENT));
    expect(refetched).toEqual([]);
  });
});

describe('direct files', () => {
  it('splits a range-capable file across connections and keeps an MP4 as it is', async () => {
    const job = await download({ url: origin.url(fx.direct.mp4), title: 'direct mp4' });
    expect(job.status).toBe('completed');
    expect(job.kind).toBe('direct');
    expect(job.file_path).toBe('Downloads/direct mp4.mp4');
    expect(job.bytes_total).toBe(fx.direct.mp4Bytes);
    expect(job.segments_total).toBe(Math.ceil(fx.direct.mp4Bytes / (16 * 1024)));
    const ranged = origin.requests.filter(fx.direct.mp4).filter((r) => r.range && r.status === 206);
    expect(ranged.length).toBe(job.segments_total + 1); // + the probe
    const { readFile } = await import('node:fs/promises');
    expect((await readFile(media(job))).equals(await readFile(path.join(fx.root, fx.direct.mp4)))).toBe(true);
  });

  it('streams a file from a server without ranges', async () => {
    const job = await download({ url: origin.url(`direct-norange/video.mp4`), title: 'norange' });
    expect(job.status).toBe('completed');
    expect(job.segments_total).toBe(1);
    await expectPlaysLike(media(job), [fx.direct.reference]);
  });

  it('remuxes an MPEG-TS file into the chosen container', async () => {
    const job = await download({ url: origin.url(fx.direct.ts) });
    expect(job.status).toBe('completed');
    expect(job.file_path).toMatch(/\.mp4$/);
    expect((await probe(media(job))).format.format_name).toMatch(/mp4/);
    await expectPlaysLike(media(job), [fx.direct.reference]);
  });

  it('names by title and never overwrites: collisions get (2)', async () => {
    const a = await download({ url: origin.url(fx.direct.mp4), title: '../../etc/passwd' });
    const b = await download({ url: origin.url(fx.direct.mp4), title: '../../etc/passwd' });
    expect(a.file_path).toBe('Downloads/etc-passwd.mp4');
    expect(b.file_path).toBe('Downloads/etc-passwd (2).mp4');
  });
});
