import request from 'supertest';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Job } from '../../addon/jobs/model.js';
import { makeTestApp, waitFor, type TestApp } from '../helpers/app.js';
import { startFakeProvider, type FakeProvider } from '../fakes/iptv-provider.js';

describe('per-source connection limit', () => {
  let provider: FakeProvider;
  let app: TestApp;

  beforeAll(async () => {
    provider = await startFakeProvider();
    const lines = ['#EXTM3U'];
    for (let i = 1; i <= 4; i++) lines.push(`#EXTINF:-1 group-title="Filmes",Filme ${i} (2020)`, `${provider.baseUrl}/movie/u/p/${100 + i}.mp4`);
    provider.list = `${lines.join('\n')}\n`;
    // 256 KB files in 64 KB ranges, paced: each download would open 4 connections if it could.
    provider.media = { bytes: 256 * 1024, chunkDelayMs: 10 };
  });
  afterAll(() => provider.close());
  afterEach(() => app.dispose());

  it('all downloads of a source share its limit, across jobs and ranges; raising it takes effect', async () => {
    app = await makeTestApp({ MAX_CONCURRENT_DOWNLOADS: '3', SEGMENT_CONCURRENCY: '4' }, { chunkBytes: 64 * 1024 });
    const server = app.koa.callback();
    const created = await request(server).post('/api/sources').send({ name: 'P', kind: 'm3u', url: `${provider.baseUrl}/list.m3u` });
    const id = created.body.id as string;
    expect(created.body.connection_limit).toBe(1);
    await request(server).post(`/api/sources/${id}/sync`).expect(200);

    let peakRunning = 0;
    const sample = setInterval(() => {
      peakRunning = Math.max(peakRunning, app.store.data.jobs.filter((j) => j.status === 'downloading').length);
    }, 5);
    try {
      provider.peakMedia = 0;
      const first = await request(server).post(`/api/sources/${id}/downloads`).send({ ids: [1, 2] });
      expect(first.status).toBe(201);
      const done = (ids: string[]) => () => {
        const jobs = ids.map((j) => app.jobs.get(j));
        if (jobs.some((j: Job) => j.status === 'failed')) throw new Error(JSON.stringify(jobs.map((j) => j.error)));
        return jobs.every((j) => j.status === 'completed') ? true : undefined;
      };
      await waitFor(done(first.body.items.map((j: Job) => j.id)), 20_000, 'two downloads');
      expect(provider.peakMedia).toBe(1);
      expect(peakRunning).toBe(1); // the second job waited in the queue, not on a connection

      await request(server).patch(`/api/sources/${id}`).send({ connection_limit: 2 }).expect(200);
      provider.peakMedia = 0;
      peakRunning = 0;
      const second = await request(server).post(`/api/sources/${id}/downloads`).send({ ids: [3, 4] });
      await waitFor(done(second.body.items.map((j: Job) => j.id)), 20_000, 'two more downloads');
      expect(provider.peakMedia).toBe(2);
      expect(peakRunning).toBeLessThanOrEqual(2);
    } finally {
      clearInterval(sample);
    }
  });
});
