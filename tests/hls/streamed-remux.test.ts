/**
 * The remux runs while the download runs: ffmpeg reads each track's part file through a pipe as
 * it grows, writes the MP4 with its index in room reserved at the front (no +faststart pass), and
 * the finished file is the same frames as the source, moov first. Throttled origin, so the
 * remux really starts before the last segment lands.
 */
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readMp4Layout } from '../../addon/download/mp4-layout.js';
import type { Job } from '../../addon/jobs/model.js';
import { STAGING_FOLDER } from '../../addon/library/transfer-service.js';
import { ensureFixtures, type Fixtures } from '../fixtures/media.js';
import { ensureTracksFixtures, type TracksFixtures } from '../fixtures/tracks-media.js';
import { startHlsOrigin, type HlsOrigin } from '../fakes/hls-origin.js';
import { concatFrameHashes, decodeErrors, probe, videoFrameHashes } from '../helpers/media-check.js';
import { captureLogger } from '../helpers/log-capture.js';
import { makeTestApp, waitFor, type TestApp } from '../helpers/app.js';

let fx: Fixtures;
let tracks: TracksFixtures;
let origin: HlsOrigin;
let tracksOrigin: HlsOrigin;
let app: TestApp;
const log = captureLogger();

beforeAll(async () => {
  fx = await ensureFixtures();
  tracks = await ensureTracksFixtures();
  origin = await startHlsOrigin({ root: fx.root, perConnectionBytesPerSec: 40_000 });
  tracksOrigin = await startHlsOrigin({ root: tracks.root, perConnectionBytesPerSec: 200_000 });
  app = await makeTestApp({ SEGMENT_CONCURRENCY: '2' }, { logger: log.logger });
}, 120_000);
afterAll(async () => {
  await app?.dispose();
  await origin?.close();
  await tracksOrigin?.close();
});

async function download(input: Parameters<TestApp['jobs']['create']>[0]): Promise<Job> {
  const job = app.jobs.create(input);
  return waitFor(() => {
    const j = app.jobs.get(job.id);
    return ['completed', 'failed'].includes(j.status) ? j : undefined;
  }, 60_000, `job ${job.id}`);
}

const jobLines = (id: string): string[] => log.lines.filter((l) => l.includes(id));

describe('remux while downloading', () => {
  it('a TS stream: ffmpeg reads the growing part file; the MP4 has its index first without a second pass', async () => {
    const job = await download({ url: origin.url('plain/index.m3u8'), title: 'streamed plain' });
    expect(job.status).toBe('completed');
    const lines = jobLines(job.id);
    expect(lines.some((l) => l.includes('remuxing while downloading'))).toBe(true);
    expect(lines.filter((l) => l.includes("remuxing again"))).toEqual([]);
    const file = path.join(app.config.media_dir, job.file_path!);
    const layout = await readMp4Layout(file);
    const types = layout.boxes.map((b) => b.type);
    expect(types[0]).toBe('ftyp');
    expect(types.indexOf('moov')).toBeLessThan(types.indexOf('mdat'));
    expect(layout.tracks.sort()).toEqual(['soun', 'vide']);
    expect(await decodeErrors(file)).toBe('');
    expect(await videoFrameHashes(file)).toEqual(await concatFrameHashes(fx.scenarios.plain.references));
    // Written in the media folder's staging folder, so filing it was a link, and nothing is left there.
    expect(job.transfer?.method).toBe('link');
    // The staged name goes once db.json records the job completed (within the store's 1 s write).
    const staging = path.join(app.config.media_dir, STAGING_FOLDER);
    await waitFor(async () => ((await readdir(staging)).length === 0 ? true : undefined), 5000, 'the staging folder to empty');
  }, 90_000);

  it('paused midway and resumed: the remux starts again from the part files, frames identical', async () => {
    origin.reset();
    const created = app.jobs.create({ url: origin.url('plain/index.m3u8'), title: 'streamed paused' });
    await waitFor(() => (app.jobs.get(created.id).segments_done >= 2 ? true : undefined), 30_000, 'two segments');
    await app.jobs.pause(created.id);
    await waitFor(() => (app.jobs.get(created.id).status === 'paused' ? true : undefined), 30_000, 'paused');
    await app.jobs.resume(created.id);
    const job = await waitFor(() => {
      const j = app.jobs.get(created.id);
      return ['completed', 'failed'].includes(j.status) ? j : undefined;
    }, 60_000, 'the resumed job');
    expect(job.status).toBe('completed');
    expect(jobLines(job.id).filter((l) => l.includes('remuxing while downloading')).length).toBe(2);
    expect(jobLines(job.id).some((l) => l.includes('remuxing again'))).toBe(false);
    // Nothing fetched twice but what was in flight at the pause (2 connections).
    const twice = origin.requests.paths(/^\/plain\/seg/).filter((p, i, all) => all.indexOf(p) !== i);
    expect(twice.length).toBeLessThanOrEqual(2);
    const file = path.join(app.config.media_dir, job.file_path!);
    expect(await videoFrameHashes(file)).toEqual(await concatFrameHashes(fx.scenarios.plain.references));
  }, 90_000);

  it('fMP4 (an init section per part): streamed the same way, same frames', async () => {
    const job = await download({ url: origin.url('fmp4/index.m3u8'), title: 'streamed fmp4' });
    expect(job.status).toBe('completed');
    expect(jobLines(job.id).some((l) => l.includes('remuxing again'))).toBe(false);
    const file = path.join(app.config.media_dir, job.file_path!);
    expect(await decodeErrors(file)).toBe('');
    expect(await videoFrameHashes(file)).toEqual(await concatFrameHashes(fx.scenarios.fmp4.references));
  }, 90_000);

  it('video plus two audio renditions: one pipe each, languages kept, frames identical', async () => {
    const job = await download({ url: tracksOrigin.url(tracks.hls.master), title: 'streamed tracks', audio_languages: 'all' });
    expect(job.status).toBe('completed');
    const lines = jobLines(job.id);
    expect(lines.some((l) => l.includes('remuxing while downloading'))).toBe(true);
    expect(lines.filter((l) => l.includes("remuxing again"))).toEqual([]);
    const file = path.join(app.config.media_dir, job.file_path!);
    const info = await probe(file, ['-show_entries', 'stream=index,codec_type:stream_tags']);
    expect(info.streams.filter((s) => s.codec_type === 'audio').length).toBe(2);
    expect(await videoFrameHashes(file)).toEqual(await videoFrameHashes(tracks.reference[360]!));
  }, 90_000);
});
