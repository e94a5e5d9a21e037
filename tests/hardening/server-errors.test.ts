import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Job } from '../../addon/jobs/model.js';
import { startHlsOrigin, type HlsOrigin } from '../fakes/hls-origin.js';
import { ensureFixtures, type Fixtures } from '../fixtures/media.js';
import { FAST_RETRY, makeTestApp, waitFor, type TestApp } from '../helpers/app.js';

/**
 * Origin outages (issue 12): a burst of 503s must not cost the download (a job-wide budget for
 * server errors on top of each request's own tries), Retry-After is honoured, and an origin that
 * stays down still fails the job, saying so.
 */
let fx: Fixtures;
let origin: HlsOrigin;
let app: TestApp;

beforeAll(async () => {
  fx = await ensureFixtures();
  origin = await startHlsOrigin();
  // Production counts (2 tries per request, a job budget of 8 extra), test-sized waits.
  app = await makeTestApp({ SEGMENT_CONCURRENCY: '2' }, { retry: { ...FAST_RETRY, jobServerRetries: 8, maxDelayMs: 200 } });
});
afterAll(async () => {
  await app?.dispose();
  await origin?.close();
});
beforeEach(() => origin.reset());

const finished = (id: string): Job | undefined => {
  const job = app.jobs.get(id);
  return ['completed', 'failed', 'cancelled'].includes(job.status) ? job : undefined;
};
const run = (url: string): Promise<Job> => {
  const job = app.jobs.create({ url, title: 'outage' });
  return waitFor(() => finished(job.id), 60_000, 'the job');
};

describe('5xx bursts and Retry-After', () => {
  it('five 503s in a row on one segment (Retry-After: 0) do not fail the download', async () => {
    origin.inject({ match: '/plain/seg002.ts', kind: 'status', status: 503, times: 5, headers: { 'Retry-After': '0' } });
    const job = await run(origin.url(fx.scenarios.plain.playlist));
    expect(job.error).toBeNull();
    expect(job.status).toBe('completed');
    expect(origin.requests.count('/plain/seg002.ts')).toBe(6);
  });

  it('waits as long as Retry-After asks before trying again', async () => {
    origin.inject({ match: '/plain/seg001.ts', kind: 'status', status: 503, times: 1, headers: { 'Retry-After': '1' } });
    const job = await run(origin.url(fx.scenarios.plain.playlist));
    expect(job.status).toBe('completed');
    const tries = origin.requests.filter('/plain/seg001.ts');
    expect(tries).toHaveLength(2);
    // FAST_RETRY would come back after ~20 ms; the server asked for a second (capped at maxDelayMs 200 ms here).
    expect(tries[1]!.startedAt - tries[0]!.startedAt).toBeGreaterThanOrEqual(190);
  });

  it('an origin that stays down still fails the job, saying the budget is spent', async () => {
    origin.inject({ match: /^\/plain\/seg/, kind: 'status', status: 503 });
    const job = await run(origin.url(fx.scenarios.plain.playlist));
    expect(job.status).toBe('failed');
    expect(job.error?.message).toMatch(/segment \d of 6 .* failed: HTTP 503 .*retry budget for server errors is spent/);
    // Bounded: each request's own 3 tries plus the shared 8, never an endless loop.
    expect(origin.requests.count(/^\/plain\/seg/)).toBeLessThanOrEqual(2 * 3 + 8 + 2);
  });
});
