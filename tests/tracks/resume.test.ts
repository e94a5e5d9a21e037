import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Job } from '../../addon/jobs/model.js';
import { startHlsOrigin, type HlsOrigin } from '../fakes/hls-origin.js';
import { ensureTracksFixtures, type TracksFixtures } from '../fixtures/tracks-media.js';
import { waitFor } from '../helpers/app.js';
import { decodeErrors, probe, videoFrameHashes } from '../helpers/media-check.js';
import { startServer, type ServerProcess } from '../helpers/server-process.js';

/**
 * kill -9 in the middle of a multi-track download (video + two audio + two subtitle tracks),
 * for HLS and for DASH: the restarted server finishes from plan.json and the journal, fetching
 * again only what was in flight, and the file has every track.
 */
const CONCURRENCY = 2;
let fx: TracksFixtures;
let origin: HlsOrigin;
let root: string;

beforeAll(async () => {
  fx = await ensureTracksFixtures();
  // ~25 kB/s per connection: a 140 kB video segment takes several seconds, so the kill lands mid-job.
  origin = await startHlsOrigin({ root: fx.root, perConnectionBytesPerSec: 25_000 });
  root = await mkdtemp(path.join(os.tmpdir(), 'm3udl-tracks-crash-'));
}, 120_000);
afterAll(async () => {
  await origin?.close();
  await rm(root, { recursive: true, force: true });
});

async function getJob(server: ServerProcess, id: string): Promise<Job> {
  return (await (await fetch(`${server.baseUrl}/api/downloads/${id}`)).json()) as Job;
}

function mediaRequests(): Map<string, number> {
  const counts = new Map<string, number>();
  for (const p of origin.requests.paths(/\.(ts|m4s|vtt)$/)) counts.set(p, (counts.get(p) ?? 0) + 1);
  return counts;
}

async function crashAndResume(name: string, manifest: string): Promise<{ job: Job; file: string }> {
  origin.reset();
  const env = { DATA_DIR: path.join(root, name, 'data'), MEDIA_DIR: path.join(root, name, 'media'), SEGMENT_CONCURRENCY: String(CONCURRENCY) };
  const first = await startServer(env);
  const res = await fetch(`${first.baseUrl}/api/downloads`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ url: origin.url(manifest), title: name, audio_languages: 'all', subtitle_languages: 'all' }),
  });
  expect(res.status).toBe(201);
  const id = ((await res.json()) as Job).id;
  const midway = await waitFor(async () => {
    const j = await getJob(first, id);
    return j.segments_done >= 6 ? j : undefined;
  }, 30_000, 'six segments');
  first.child.kill('SIGKILL');
  await first.exited;
  const before = mediaRequests();
  expect(midway.segments_done).toBeLessThan(midway.segments_total);

  const second = await startServer(env);
  try {
    const job = await waitFor(async () => {
      const j = await getJob(second, id);
      return j.status === 'completed' || j.status === 'failed' ? j : undefined;
    }, 60_000, 'the resumed job');
    expect(job.error).toBeNull();
    expect(job.segments_done).toBe(midway.segments_total);
    const after = mediaRequests();
    const twice = [...after.entries()].filter(([, n]) => n > 1).map(([p]) => p);
    expect(twice.length).toBeLessThanOrEqual(CONCURRENCY);
    for (const p of twice) expect(before.has(p)).toBe(true);
    expect(Math.max(...after.values())).toBeLessThanOrEqual(2);
    return { job, file: path.join(env.MEDIA_DIR, job.file_path!) };
  } finally {
    second.child.kill('SIGTERM');
    await second.exited;
  }
}

async function expectAllTracks(file: string): Promise<void> {
  const info = await probe(file, ['-show_entries', 'stream=index,codec_type:stream_tags']);
  expect(info.streams.map((s) => [s.codec_type, s.tags?.language])).toEqual([
    ['video', 'und'],
    ['audio', 'por'],
    ['audio', 'eng'],
    ['subtitle', 'eng'],
    ['subtitle', 'por'],
  ]);
  expect(await decodeErrors(file)).toBe('');
  expect(await videoFrameHashes(file)).toEqual(await videoFrameHashes(fx.reference[360]!));
}

describe('resume after kill -9 with several tracks', () => {
  it('HLS: master, two audio renditions, two subtitle playlists', async () => {
    const { file } = await crashAndResume('hls', fx.hls.master);
    await expectAllTracks(file);
    // The saved plan is reused: no playlist is fetched again.
    expect(origin.requests.count('/hls/master.m3u8')).toBe(1);
    expect(origin.requests.count('/hls/audio_en/index.m3u8')).toBe(1);
  });

  it('DASH: SegmentTimeline, two audio languages, two text tracks', async () => {
    const { file } = await crashAndResume('dash', fx.dash.timeline);
    await expectAllTracks(file);
    expect(origin.requests.count('/dash/timeline/manifest.mpd')).toBe(1);
  });
});
