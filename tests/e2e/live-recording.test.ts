/**
 * Live recordings through the whole app: REST request, queue, recorder, ffmpeg remux, filing by
 * the `recording` naming template, events. The origin advances in real time with 1 s segments.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppEvents } from '../../addon/events/app-events.js';
import type { Job } from '../../addon/jobs/model.js';
import { recordingDate } from '../../addon/library/naming.js';
import { liveMedia, liveSplitMedia, startLiveOrigin, type LiveOrigin } from '../fakes/live-origin.js';
import { makeTestApp, waitFor, type TestApp } from '../helpers/app.js';
import { call } from '../helpers/http-call.js';
import { decodeErrors, durationSec, probe } from '../helpers/media-check.js';

let app: TestApp;
let baseUrl: string;
let key: string;
const origins: LiveOrigin[] = [];
const events: Array<{ name: keyof AppEvents; job: Job }> = [];
const progress: AppEvents['job.progress'][] = [];

beforeAll(async () => {
  await Promise.all([liveMedia(1), liveSplitMedia(1)]);
  key = 'live-e2e-key-0123456789abcdef0123456789';
  app = await makeTestApp({ API_KEY: key, LIVE_OUTAGE_TOLERANCE_S: '5' });
  const server = await app.listen(0, '127.0.0.1');
  const addr = server.address() as { port: number };
  baseUrl = `http://127.0.0.1:${addr.port}`;
  app.bus.on('recording.started', ({ job }) => {
    events.push({ name: 'recording.started', job: { ...job } });
  });
  app.bus.on('recording.finished', ({ job }) => {
    events.push({ name: 'recording.finished', job: { ...job } });
  });
  app.bus.on('job.progress', (p) => {
    if (p.recording) progress.push(p);
  });
}, 120_000);

afterAll(async () => {
  await Promise.all(origins.map((o) => o.stop()));
  await app?.dispose();
});

async function origin(splitAudio = false): Promise<LiveOrigin> {
  const o = await startLiveOrigin({ segmentSeconds: 1, splitAudio });
  origins.push(o);
  return o;
}

const api = (p: string, body?: unknown) => call(baseUrl, p, { method: body === undefined ? 'GET' : 'POST', json: body, headers: { authorization: `Bearer ${key}` } });
const settled = (id: string) => waitFor(() => (['completed', 'failed', 'cancelled'].includes(app.jobs.get(id).status) ? app.jobs.get(id) : undefined), 60_000, `job ${id}`);
const media = (rel: string): string => path.join(app.config.media_dir, rel);

async function expectPlayable(file: string, seconds: number): Promise<void> {
  expect(await decodeErrors(file)).toBe('');
  expect(Math.abs((await durationSec(file)) - seconds)).toBeLessThanOrEqual(1);
}

describe.concurrent('live recording end to end', () => {
  it("a channel whose audio is a separate playlist is filed with the job's audio language, not silent", async () => {
    const o = await origin(true);
    const res = await api('/api/downloads', { url: `${o.baseUrl}/live/split/master.m3u8`, title: 'Apple Style', audio_languages: ['de'], live: { duration_s: 4, channel: 'Split TV' } });
    expect(res.status).toBe(201);
    const job = await settled((res.body as Job).id);
    expect(job.error).toBeNull();
    expect(job.status).toBe('completed');
    const file = media(job.file_path!);
    const audio = (await probe(file)).streams.filter((st) => st.codec_type === 'audio');
    expect(audio.map((a) => a.tags?.language)).toEqual(['deu']);
    expect(o.log.some((r) => r.status === 200 && r.path.startsWith('/live/split/audio-de/a'))).toBe(true);
    expect(o.log.some((r) => r.path.startsWith('/live/split/audio-en/'))).toBe(false);
    await expectPlayable(file, job.recording!.recorded_s);
  });

  it('POST /api/downloads with live.duration_s records, files under Recordings/<channel>/<title> (<date>) and says so on the bus', async () => {
    const o = await origin();
    const res = await api('/api/downloads', { url: o.url('master'), title: 'Evening News', live: { duration_s: 4, channel: 'Test TV' } });
    expect(res.status).toBe(201);
    const created = res.body as Job;
    expect(created.live).toEqual({ duration_s: 4, channel: 'Test TV' });
    expect(created.content_type).toBe('recording');
    const job = await settled(created.id);
    expect(job.error).toBeNull();
    expect(job.status).toBe('completed');
    expect(job.kind).toBe('recording');
    expect(job.recording!.ended).toBe('duration');
    expect(job.recording!.recorded_s).toBeGreaterThanOrEqual(4);
    expect(job.recording!.recorded_s).toBeLessThanOrEqual(5);
    expect(job.file_path).toBe(`Recordings/Test TV/Evening News (${recordingDate(new Date(job.recording!.started_at!))}).mp4`);
    await expectPlayable(media(job.file_path!), job.recording!.recorded_s);
    expect(events.filter((e) => e.job.id === job.id).map((e) => e.name)).toEqual(['recording.started', 'recording.finished']);
    const last = progress.filter((p) => p.id === job.id).at(-1)!;
    expect(last.recording!.recorded_s).toBeGreaterThan(0);
    expect(last.recording!.target_s).toBe(4);
    // The API shows the recording state.
    const shown = (await api(`/api/downloads/${job.id}`)).body as Job;
    expect(shown.recording!.gaps).toEqual([]);
    expect(o.duplicates()).toEqual([]);
  });

  it('a live URL without `live` records until Stop, which files what was recorded; cancel discards', async () => {
    const o = await origin();
    const a = (await api('/api/downloads', { url: o.url(), title: 'Open ended' })).body as Job;
    const b = (await api('/api/downloads', { url: o.url(), title: 'Thrown away' })).body as Job;
    await waitFor(() => ((app.jobs.get(a.id).recording?.recorded_s ?? 0) >= 4 ? true : undefined), 30_000, 'recording a');
    await waitFor(() => ((app.jobs.get(b.id).recording?.recorded_s ?? 0) >= 2 ? true : undefined), 30_000, 'recording b');
    expect(app.jobs.get(a.id).kind).toBe('recording');
    const stopped = await api(`/api/downloads/${a.id}/stop`, {});
    expect(stopped.status).toBe(200);
    const cancelled = await api(`/api/downloads/${b.id}/cancel`, {});
    expect(cancelled.status).toBe(200);
    const job = await settled(a.id);
    expect(job.status).toBe('completed');
    expect(job.recording!.ended).toBe('stopped');
    await expectPlayable(media(job.file_path!), job.recording!.recorded_s);
    const gone = await settled(b.id);
    expect(gone.status).toBe('cancelled');
    expect(gone.file_path).toBeNull();
    // Stop is for recordings only: a finished one answers 409.
    expect((await api(`/api/downloads/${a.id}/stop`, {})).status).toBe(409);
  });

  it('start_at in the future waits in the queue without touching the origin, then records', async () => {
    const o = await origin();
    const startAt = Date.now() + 3000;
    const created = (await api('/api/downloads', { url: o.url(), title: 'Later', live: { start_at: new Date(startAt).toISOString(), duration_s: 3 } })).body as Job;
    expect(created.status).toBe('pending');
    const job = await settled(created.id);
    expect(job.status).toBe('completed');
    expect(o.log.every((r) => r.at >= startAt)).toBe(true);
    expect(Date.parse(job.recording!.started_at!)).toBeGreaterThanOrEqual(startAt);
    await expectPlayable(media(job.file_path!), job.recording!.recorded_s);
  });

  it('split_minutes files each part on its own, named by its start', async () => {
    const o = await origin();
    const created = (await api('/api/downloads', { url: o.url(), title: 'Marathon', live: { duration_s: 7, split_minutes: 0.05, channel: 'Sport' } })).body as Job;
    const job = await settled(created.id);
    expect(job.status).toBe('completed');
    expect(job.recording!.files).toHaveLength(3);
    let total = 0;
    for (const rel of job.recording!.files!) {
      expect(rel).toMatch(/^Recordings\/Sport\/Marathon \(\d{4}-\d{2}-\d{2} \d{2}-\d{2}\)( \(\d\))?\.mp4$/);
      expect(await decodeErrors(media(rel))).toBe('');
      total += await durationSec(media(rel));
    }
    expect(Math.abs(total - job.recording!.recorded_s)).toBeLessThanOrEqual(1);
  });

  it('an origin that stays down longer than the tolerance: completed with a warning, what was recorded filed', async () => {
    const o = await origin();
    const created = (await api('/api/downloads', { url: o.url(), title: 'Outage' })).body as Job;
    await waitFor(() => ((app.jobs.get(created.id).recording?.recorded_s ?? 0) >= 3 ? true : undefined), 30_000, 'recording');
    o.outage(60_000);
    const job = await settled(created.id);
    expect(job.status).toBe('completed');
    expect(job.error).toBeNull();
    expect(job.recording!.ended).toBe('outage');
    expect(job.recording!.warning).toMatch(/more than 5 s/);
    await expectPlayable(media(job.file_path!), job.recording!.recorded_s);
  });

  it('a VOD playlist given `live` just downloads', async () => {
    const o = await origin();
    o.endList();
    const created = (await api('/api/downloads', { url: o.url(), title: 'Actually VOD', live: { duration_s: 60 } })).body as Job;
    const job = await settled(created.id);
    expect(job.status).toBe('completed');
    expect(job.kind).toBe('hls');
    expect(job.recording ?? null).toBeNull();
    expect(existsSync(media(job.file_path!))).toBe(true);
  });

  it('bad live requests are 400s naming the field', async () => {
    const past = await api('/api/downloads', { url: 'http://127.0.0.1:9/x.m3u8', live: { until: '2020-01-01T00:00:00Z' } });
    expect(past.status).toBe(400);
    expect((past.body as { error: { field?: string } }).error.field).toBe('live.until');
    const bad = await api('/api/downloads', { url: 'http://127.0.0.1:9/x.m3u8', live: { duration_s: -1 } });
    expect(bad.status).toBe(400);
    const unknown = await api('/api/downloads', { url: 'http://127.0.0.1:9/x.m3u8', live: { forever: true } });
    expect(unknown.status).toBe(400);
  });
});
