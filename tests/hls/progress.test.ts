/**
 * Honest HLS progress (issue 19): while every segment is still in flight, progress and ETA
 * already move, from the bytes received against a total taken from the segments' Content-Length.
 * Before, a job whose segments were all fetched in parallel sat at 0 % with no ETA until the
 * first one finished, then jumped. A throttled loopback origin keeps all six segments in flight.
 */
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobProgress } from '../../addon/events/app-events.js';
import { ensureFixtures, type Fixtures } from '../fixtures/media.js';
import { startHlsOrigin, type HlsOrigin } from '../fakes/hls-origin.js';
import { makeTestApp, waitFor, type TestApp } from '../helpers/app.js';

let fx: Fixtures;
let origin: HlsOrigin;
let app: TestApp;

beforeAll(async () => {
  fx = await ensureFixtures();
  // ~19 kB segments at 8 kB/s per connection: each takes over two seconds, all at once.
  origin = await startHlsOrigin({ root: fx.root, perConnectionBytesPerSec: 8_000 });
  app = await makeTestApp({ SEGMENT_CONCURRENCY: '8' });
}, 120_000);
afterAll(async () => {
  await app?.dispose();
  await origin?.close();
});

describe('HLS progress while segments are in flight', () => {
  it('moves from the bytes received before any segment has finished, with an ETA and a close total', async () => {
    const events: JobProgress[] = [];
    const off = app.bus.on('job.progress', (e) => void events.push({ ...e }));
    try {
      const job = app.jobs.create({ url: origin.url('plain/index.m3u8'), title: 'progress' });
      const done = await waitFor(() => {
        const j = app.jobs.get(job.id);
        return ['completed', 'failed'].includes(j.status) ? j : undefined;
      }, 60_000, 'the job');
      expect(done.status).toBe('completed');

      const segDir = path.join(fx.root, 'plain');
      let total = 0;
      for (const f of await readdir(segDir)) if (f.endsWith('.ts')) total += (await stat(path.join(segDir, f))).size;

      const early = events.filter((e) => e.id === job.id && e.status === 'downloading' && e.segments_done === 0);
      expect(early.length).toBeGreaterThan(0);
      const moving = early.filter((e) => e.progress > 0 && e.eta_s !== null);
      // Before the fix every one of these was at 0 % with eta_s null.
      expect(moving.length).toBeGreaterThan(0);
      const last = early.at(-1)!;
      expect(last.bytes_total).not.toBeNull();
      expect(Math.abs(last.bytes_total! - total) / total).toBeLessThan(0.25);
      expect(last.progress).toBeLessThan(100);
    } finally {
      off();
    }
  }, 90_000);
});
