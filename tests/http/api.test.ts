import request from 'supertest';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hangingHttp } from '../helpers/hanging-http.js';
import { makeTestApp, waitFor, type TestApp } from '../helpers/app.js';

describe('REST API (app.callback())', () => {
  let app: TestApp;
  let server: ReturnType<TestApp['koa']['callback']>;
  beforeEach(async () => {
    app = await makeTestApp({ MAX_CONCURRENT_DOWNLOADS: '1' }, { http: hangingHttp() });
    server = app.koa.callback();
  });
  afterEach(() => app.dispose());

  const post = (body: unknown) => request(server).post('/api/downloads').send(body as object);

  it('creates a job with defaults and returns it', async () => {
    const res = await post({ url: 'https://cdn.example/show/master.m3u8', title: 'Show S01E01', priority: 'high', quality: '720P' });
    expect(res.status).toBe(201);
    expect(res.headers.location).toBe(`/api/downloads/${res.body.id}`);
    expect(res.body).toMatchObject({ url: 'https://cdn.example/show/master.m3u8', title: 'Show S01E01', priority: 'high', quality: '720p', container: 'mp4', retry_count: 0, error: null, file_path: null });
    expect(['pending', 'downloading']).toContain(res.body.status);
    const got = await request(server).get(`/api/downloads/${res.body.id}`);
    expect(got.body.id).toBe(res.body.id);
    expect(got.body.poster).toBeUndefined(); // none given, none known
  });

  it('keeps a poster URL given with the download and shows it (credentials masked)', async () => {
    const res = await post({ url: 'https://cdn.example/a.m3u8', poster: 'https://img.example/p/a.jpg' });
    expect([res.status, res.body.poster]).toEqual([201, 'https://img.example/p/a.jpg']);
    expect(app.jobs.get(res.body.id).poster).toBe('https://img.example/p/a.jpg');
    const secret = await post({ url: 'https://cdn.example/b.m3u8', poster: 'https://img.example/b.jpg?token=abc123' });
    expect((await request(server).get(`/api/downloads/${secret.body.id}`)).body.poster).toBe('https://img.example/b.jpg?token=[redacted]');
  });

  it.each([
    [{}, 'url', /url: is required|url:/],
    [{ url: 'ftp://x/y.ts' }, 'url', /url: must be an http\(s\) URL/],
    [{ url: 'file:///etc/passwd' }, 'url', /must be an http\(s\) URL/],
    [{ url: 'javascript:alert(1)' }, 'url', /must be an http\(s\) URL/],
    [{ url: 'not a url' }, 'url', /must be an http\(s\) URL/],
    [{ url: 42 }, 'url', /url:/],
    [{ url: 'http://x/a.m3u8', referer: 'nope' }, 'referer', /referer: must be an http\(s\) URL/],
    [{ url: 'http://x/a.m3u8', priority: 'urgent' }, 'priority', /priority: must be one of low, medium, high/],
    [{ url: 'http://x/a.m3u8', quality: 'ultra' }, 'quality', /quality: must be "best", "worst"/],
    [{ url: 'http://x/a.m3u8', content_type: 'podcast' }, 'content_type', /content_type: must be one of/],
    [{ url: 'http://x/a.m3u8', headers: { 'Bad Header': 'x' } }, 'headers.Bad Header', /not a valid header name/],
    [{ url: 'http://x/a.m3u8', headers: { 'X-A': 'a\r\nInjected: 1' } }, 'headers.X-A', /line breaks/],
    [{ url: 'http://x/a.m3u8', headers: { Host: 'evil' } }, 'headers.Host', /managed by the downloader/],
    [{ url: 'http://x/a.m3u8', poster: 'file:///etc/passwd' }, 'poster', /poster: must be an http\(s\) URL/],
    [{ url: 'http://x/a.m3u8', bogus: 1 }, undefined, /unknown field\(s\): bogus/],
  ])('rejects %j with a 400 naming the field', async (body, field, message) => {
    const res = await post(body);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('invalid_request');
    expect(res.body.error.message).toMatch(message);
    if (field) expect(res.body.error.field).toBe(field);
  });

  it('rejects malformed JSON with a JSON error', async () => {
    const res = await request(server).post('/api/downloads').set('content-type', 'application/json').send('{"url": ');
    expect(res.status).toBe(400);
    expect(res.body.error.message).toMatch(/invalid JSON/);
  });

  it('answers unknown routes and ids with JSON 404s', async () => {
    const a = await request(server).get('/api/nothing');
    expect([a.status, a.body.error.code]).toEqual([404, 'not_found']);
    const b = await request(server).get('/api/downloads/does-not-exist');
    expect([b.status, b.body.error.code]).toEqual([404, 'not_found']);
  });

  it('lists newest first, filters by status and paginates', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await post({ url: `http://x/${i}.m3u8`, title: `n${i}` })).body.id);
    const all = await request(server).get('/api/downloads?limit=2&offset=1');
    expect(all.body.total).toBe(5);
    expect(all.body.items.map((j: { title: string }) => j.title)).toEqual(['n3', 'n2']);
    const pending = await request(server).get('/api/downloads?status=pending');
    expect(pending.body.total).toBe(4); // one is downloading (limit 1)
    const bad = await request(server).get('/api/downloads?limit=0');
    expect(bad.status).toBe(400);
    expect(bad.body.error.field).toBe('limit');
    const badStatus = await request(server).get('/api/downloads?status=weird');
    expect(badStatus.status).toBe(400);
  });

  it('runs jobs by priority then age under the global limit', async () => {
    const first = (await post({ url: 'http://x/1.m3u8', title: 'first' })).body.id;
    await waitFor(() => (app.jobs.get(first).status === 'downloading' ? true : undefined));
    const low = (await post({ url: 'http://x/2.m3u8', priority: 'low' })).body.id;
    const mediumOld = (await post({ url: 'http://x/3.m3u8' })).body.id;
    const high = (await post({ url: 'http://x/4.m3u8', priority: 'high' })).body.id;
    const mediumNew = (await post({ url: 'http://x/5.m3u8' })).body.id;
    const order: string[] = [];
    for (let i = 0; i < 4; i++) {
      const running = app.jobs.list({ status: 'downloading', limit: 10, offset: 0 }).items[0]!;
      await request(server).post(`/api/downloads/${running.id}/cancel`).expect(200);
      const next = await waitFor(() => app.jobs.list({ status: 'downloading', limit: 10, offset: 0 }).items[0]);
      order.push(next.id);
    }
    expect(order).toEqual([high, mediumOld, mediumNew, low]);
  });

  it('pauses, resumes, cancels, retries and deletes with the right states', async () => {
    const id = (await post({ url: 'http://x/a.m3u8' })).body.id;
    await waitFor(() => (app.jobs.get(id).status === 'downloading' ? true : undefined));
    const paused = await request(server).post(`/api/downloads/${id}/pause`);
    expect(paused.body.status).toBe('paused');
    const resumeAgain = await request(server).post(`/api/downloads/${id}/resume`);
    expect(resumeAgain.status).toBe(200);
    await waitFor(() => (app.jobs.get(id).status === 'downloading' ? true : undefined));
    const conflict = await request(server).post(`/api/downloads/${id}/resume`);
    expect([conflict.status, conflict.body.error.code]).toEqual([409, 'conflict']);
    const cancelled = await request(server).post(`/api/downloads/${id}/cancel`);
    expect(cancelled.body.status).toBe('cancelled');
    const retried = await request(server).post(`/api/downloads/${id}/retry`);
    expect(retried.body.retry_count).toBe(1);
    await request(server).delete(`/api/downloads/${id}`).expect(204);
    await request(server).get(`/api/downloads/${id}`).expect(404);
  });

  it('never returns credential header values', async () => {
    // Values no UUID or timestamp can contain by chance.
    const res = await post({ url: 'https://user:pw-SECRET-1@x/a.m3u8', headers: { Authorization: 'Bearer TOKEN-SECRET-2', Cookie: 'sid=COOKIE-SECRET-3', 'User-Agent': 'VLC/3' } });
    expect(res.body.headers).toEqual({ Authorization: '[redacted]', Cookie: '[redacted]', 'User-Agent': 'VLC/3' });
    expect(JSON.stringify(res.body)).not.toMatch(/SECRET/);
  });

  it('reports health and stats', async () => {
    await post({ url: 'http://x/a.m3u8' });
    const health = await request(server).get('/api/health');
    expect(health.body).toMatchObject({ status: 'ok', ffmpeg: { source: expect.any(String) } });
    const stats = await request(server).get('/api/stats');
    expect(stats.body).toMatchObject({ queue_length: expect.any(Number), active: 1, bytes_today: 0 });
    expect(stats.body.free_bytes).toBeGreaterThan(0);
    expect(stats.body.by_status.downloading).toBe(1);
  });
});

describe('API key', () => {
  let app: TestApp;
  afterEach(() => app.dispose());

  it('protects every /api route but /api/health', async () => {
    app = await makeTestApp({ API_KEY: 'correct horse' }, { http: hangingHttp() });
    const server = app.koa.callback();
    await request(server).get('/api/health').expect(200);
    const missing = await request(server).get('/api/downloads');
    expect([missing.status, missing.body.error.code]).toEqual([401, 'unauthorized']);
    await request(server).get('/api/downloads').set('Authorization', 'Bearer wrong').expect(401);
    await request(server).post('/api/downloads').send({ url: 'http://x/a.m3u8' }).expect(401);
    await request(server).get('/api/downloads').set('Authorization', 'Bearer correct horse').expect(200);
    await request(server).get('/api/stats').set('Authorization', 'bearer correct horse').expect(200);
  });
});
