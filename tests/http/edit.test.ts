import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTestApp, waitFor, type TestApp } from '../helpers/app.js';
import { hangingHttp } from '../helpers/hanging-http.js';

let app: TestApp;
let server: ReturnType<TestApp['koa']['callback']>;

beforeAll(async () => {
  app = await makeTestApp({ MAX_CONCURRENT_DOWNLOADS: '1' }, { http: hangingHttp() });
  server = app.koa.callback();
});
afterAll(() => app?.dispose());

describe('PATCH /api/downloads/:id', () => {
  it('a queued download takes every change, and its priority reorders the queue', async () => {
    const running = app.jobs.create({ url: 'https://cdn.example/a.m3u8', title: 'a' });
    await waitFor(() => (app.jobs.get(running.id).status === 'downloading' ? true : undefined), 10_000, 'the first download to start');
    const first = app.jobs.create({ url: 'https://cdn.example/b.m3u8', title: 'b' });
    const second = app.jobs.create({ url: 'https://cdn.example/c.m3u8', title: 'c' });
    const res = await request(server)
      .patch(`/api/downloads/${second.id}`)
      .send({ title: 'O Auto da Compadecida', content_type: 'movie', year: 2000, quality: '720p', priority: 'high' })
      .expect(200);
    expect(res.body).toMatchObject({ title: 'O Auto da Compadecida', content_type: 'movie', year: 2000, quality: '720p', priority: 'high' });
    expect(res.body.not_applied).toBeUndefined();
    // The edited one runs before the older one when the slot frees.
    await request(server).post(`/api/downloads/${running.id}/cancel`).expect(200);
    await waitFor(() => (app.jobs.get(second.id).status === 'downloading' ? true : undefined), 10_000, 'the edited download to start first');
    expect(app.jobs.get(first.id).status).toBe('pending');
    // Clearing a naming field with null.
    const cleared = await request(server).patch(`/api/downloads/${first.id}`).send({ year: null, content_type: null }).expect(200);
    expect(cleared.body.year).toBeUndefined();
  });

  it('a running download takes the title and destination now and says which changes wait', async () => {
    const job = app.jobs.list({ status: 'downloading', limit: 1, offset: 0 }).items[0]!;
    const res = await request(server).patch(`/api/downloads/${job.id}`).send({ title: 'Renamed', quality: '1080p', destination: 'default' }).expect(200);
    expect(res.body).toMatchObject({ title: 'Renamed', destination: 'default', quality: '720p' });
    expect(Object.keys(res.body.not_applied)).toEqual(['quality']);
    expect(res.body.not_applied.quality).toMatch(/pause it, then edit it/);
  });

  it('answers 400 naming the field, 404 for an unknown download, 409 for a finished one', async () => {
    const job = app.jobs.list({ status: 'pending', limit: 1, offset: 0 }).items[0]!;
    const bad = await request(server).patch(`/api/downloads/${job.id}`).send({ destination: 'nowhere' }).expect(400);
    expect(bad.body.error.field).toBe('destination');
    const unknown = await request(server).patch(`/api/downloads/${job.id}`).send({ url: 'https://x/y' }).expect(400);
    expect(unknown.body.error.message).toMatch(/these cannot be edited: url/);
    await request(server).patch('/api/downloads/no-such-id').send({ title: 'x' }).expect(404);
    await request(server).post(`/api/downloads/${job.id}/cancel`).expect(200);
    const finished = await request(server).patch(`/api/downloads/${job.id}`).send({ title: 'x' }).expect(409);
    expect(finished.body.error.message).toBe('a cancelled download cannot be edited');
  });
});
