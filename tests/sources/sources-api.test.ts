import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import request from 'supertest';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTestApp, type TestApp } from '../helpers/app.js';

const M3U = '\uFEFF#EXTM3U\r\n#EXTINF:-1 group-title="Filmes",Tropa de Elite (2007)\r\nhttp://cdn.example/movie/u/p/1.mp4\r\n#EXTINF:-1 group-title="Séries",Lost S01E02\r\nhttp://cdn.example/series/u/p/2.mp4\r\n';

describe('/api/sources: uploads, validation, CRUD', () => {
  let app: TestApp;
  let server: ReturnType<TestApp['koa']['callback']>;
  beforeEach(async () => {
    app = await makeTestApp({ UPLOAD_MAX_MB: '1' });
    server = app.koa.callback();
  });
  afterEach(() => app.dispose());

  it('creates a file source from a multipart upload, syncs it, and replaces the list', async () => {
    const res = await request(server)
      .post('/api/sources')
      .field('name', 'Lista do pendrive')
      .field('settings', JSON.stringify({ content_types: ['movie', 'series'], schedule: null }))
      .attach('file', Buffer.from(M3U), 'lista.m3u');
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body).toMatchObject({ name: 'Lista do pendrive', kind: 'file', file: { name: 'lista.m3u', size: Buffer.byteLength(M3U) }, content_types: ['movie', 'series'] });
    const id = res.body.id as string;
    const sync = await request(server).post(`/api/sources/${id}/sync`);
    expect(sync.body.counts).toMatchObject({ entries: 2, new: 2 });

    const replaced = await request(server)
      .put(`/api/sources/${id}/file`)
      .attach('file', Buffer.from(`${M3U}#EXTINF:-1,Bacurau (2019)\nhttp://cdn.example/movie/u/p/3.mp4\n`), 'nova.m3u');
    expect([replaced.status, replaced.body.file.name]).toEqual([200, 'nova.m3u']);
    expect((await request(server).post(`/api/sources/${id}/sync`)).body.counts).toMatchObject({ entries: 3, new: 1 });
    // The activity log names the source on every action, not only on creation.
    const activity = (await request(server).get('/api/activity').query({ action: 'source' })).body.items as Array<{ action: string; details?: { name?: string } }>;
    expect(activity.map((a) => [a.action, a.details?.name])).toEqual([
      ['source.synced', 'Lista do pendrive'],
      ['source.file_uploaded', 'Lista do pendrive'],
      ['source.synced', 'Lista do pendrive'],
      ['source.created', 'Lista do pendrive'],
    ]);
    // No stray temp files.
    expect((await readdir(app.sources.uploadsDir)).filter((f) => f.startsWith('.upload-'))).toEqual([]);
  });

  it('answers 413 with a JSON error past the upload limit, and keeps nothing', async () => {
    const big = Buffer.alloc(1024 * 1024 + 10, 0x41);
    const res = await request(server).post('/api/sources').field('name', 'grande').attach('file', big, 'grande.m3u');
    expect(res.status).toBe(413);
    expect(res.body.error).toMatchObject({ code: 'too_large' });
    expect(res.body.error.message).toMatch(/upload limit of 1 MB \(option upload_max_mb\)/);
    expect((await request(server).get('/api/sources')).body.total).toBe(0);
    if (existsSync(app.sources.uploadsDir)) expect(await readdir(app.sources.uploadsDir)).toEqual([]);
    // A declared Content-Length far over the limit is refused before reading.
    const declared = await request(server).post('/api/sources').set('content-type', 'multipart/form-data; boundary=x').set('content-length', String(50 * 1024 * 1024)).send('');
    expect([declared.status, declared.body.error?.code]).toContain(413);
  });

  it('a file source without a list cannot sync yet; PUT /file wants multipart', async () => {
    const res = await request(server).post('/api/sources').send({ name: 'Vazia', kind: 'file' });
    const id = res.body.id as string;
    const sync = await request(server).post(`/api/sources/${id}/sync`);
    expect([sync.status, sync.body.error.code]).toEqual([409, 'no_file']);
    const put = await request(server).put(`/api/sources/${id}/file`).send({ file: 'x' });
    expect([put.status, put.body.error.code]).toEqual([415, 'unsupported_media_type']);
  });

  it.each([
    [{}, /kind: must be one of m3u, xtream, file/, undefined],
    [{ kind: 'ftp', name: 'x' }, /kind: must be one of/, undefined],
    [{ kind: 'm3u', name: 'x' }, /url:/, 'url'],
    [{ kind: 'm3u', name: 'x', url: 'file:///etc/passwd' }, /must be an http\(s\) URL/, 'url'],
    [{ kind: 'm3u', url: 'http://p/x.m3u' }, /name:/, 'name'],
    [{ kind: 'm3u', name: 'x', url: 'http://p/x.m3u', schedule: '* * * * * *' }, /five fields/, 'schedule'],
    [{ kind: 'm3u', name: 'x', url: 'http://p/x.m3u', schedule: '99 * * * *' }, /invalid cron/, 'schedule'],
    [{ kind: 'm3u', name: 'x', url: 'http://p/x.m3u', quality: { min: '1080p', max: '720p' } }, /quality: min 1080p is above max 720p/, 'quality'],
    [{ kind: 'm3u', name: 'x', url: 'http://p/x.m3u', quality: { min: '900p' } }, /quality.min: must be one of/, 'quality.min'],
    [{ kind: 'm3u', name: 'x', url: 'http://p/x.m3u', content_types: ['live'] }, /content_types.0: must be one of movie, series, novela, other/, 'content_types.0'],
    [{ kind: 'm3u', name: 'x', url: 'http://p/x.m3u', content_types: [] }, /at least one type/, 'content_types'],
    [{ kind: 'm3u', name: 'x', url: 'http://p/x.m3u', connection_limit: 0 }, /at least 1/, 'connection_limit'],
    [{ kind: 'm3u', name: 'x', url: 'http://p/x.m3u', rules: [{ kind: 'actor', value: 'x' }] }, /rules.0.kind: must be one of series, group, title/, 'rules.0.kind'],
    [{ kind: 'm3u', name: 'x', url: 'http://p/x.m3u', rules: [{ kind: 'series', value: '' }] }, /rules.0.value: is required/, 'rules.0.value'],
    [{ kind: 'm3u', name: 'x', url: 'http://p/x.m3u', headers: { 'Bad Header': '1' } }, /not a valid header name/, 'headers.Bad Header'],
    [{ kind: 'm3u', name: 'x', url: 'http://p/x.m3u', password: 'p' }, /unknown field\(s\): password/, undefined],
    [{ kind: 'xtream', name: 'x', server: 'http://p:8080' }, /username:/, 'username'],
    [{ kind: 'xtream', name: 'x', server: 'not a server!', username: 'u', password: 'p' }, /must be the panel address/, 'server'],
  ])('rejects %j with a 400 JSON error', async (body, message, field) => {
    const res = await request(server).post('/api/sources').send(body);
    expect(res.status, JSON.stringify(res.body)).toBe(400);
    expect(res.body.error.code).toBe('invalid_request');
    expect(res.body.error.message).toMatch(message);
    if (field) expect(res.body.error.field).toBe(field);
  });

  it('CRUD: defaults, PATCH (kind-specific fields checked, masked values kept), DELETE', async () => {
    const url = 'http://p.example/get.php?username=joao&password=pw123&type=m3u_plus';
    const created = await request(server).post('/api/sources').send({ name: 'Lista', kind: 'm3u', url, headers: { Cookie: 'sid=1', 'User-Agent': 'VLC' }, schedule: '0 */6 * * *' });
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    expect(created.body).toMatchObject({
      enabled: true,
      url: 'http://p.example/get.php?username=[redacted]&password=[redacted]&type=m3u_plus',
      headers: { Cookie: '[redacted]', 'User-Agent': 'VLC' },
      quality: { min: '480p', max: '1080p', ceiling: '2160p', accept_unknown: true },
      content_types: ['movie', 'series', 'novela'],
      connection_limit: 1,
      priority: { high_max_age_years: 2, low_min_age_years: 5 },
      status: 'idle',
      last_sync_at: null,
    });
    expect(created.body.next_sync_at).toMatch(/T\d\d:00:00/);
    expect(JSON.stringify(created.body)).not.toContain('pw123');

    // Sending back what GET showed keeps the real values.
    const round = await request(server).patch(`/api/sources/${id}`).send({ url: created.body.url, headers: created.body.headers, name: 'Lista 2' });
    expect(round.status).toBe(200);
    const record = app.sources.get(id);
    expect([record.url, record.headers.Cookie, record.name]).toEqual([url, 'sid=1', 'Lista 2']);

    const wrong = await request(server).patch(`/api/sources/${id}`).send({ password: 'x' });
    expect([wrong.status, wrong.body.error.field]).toEqual([400, 'password']);
    const kind = await request(server).patch(`/api/sources/${id}`).send({ kind: 'xtream' });
    expect([kind.status, kind.body.error.message]).toEqual([400, 'unknown field(s): kind']);
    const q = await request(server).patch(`/api/sources/${id}`).send({ quality: { max: '2160p' }, schedule: null, enabled: false });
    expect(q.body).toMatchObject({ quality: { max: '2160p', ceiling: '2160p' }, schedule: null, enabled: false, next_sync_at: null });

    const list = await request(server).get('/api/sources');
    expect(list.body.total).toBe(1);
    await request(server).delete(`/api/sources/${id}`).expect(204);
    expect((await request(server).get(`/api/sources/${id}`)).status).toBe(404);
  });

  it('query validation and unknown sources answer JSON 4xx', async () => {
    const created = await request(server).post('/api/sources').send({ name: 'L', kind: 'm3u', url: 'http://p/x.m3u' });
    const id = created.body.id as string;
    const bad = await request(server).get(`/api/sources/${id}/items?status=fresh`);
    expect([bad.status, bad.body.error.field]).toEqual([400, 'status']);
    expect((await request(server).get(`/api/sources/${id}/items?limit=0`)).status).toBe(400);
    expect((await request(server).get(`/api/sources/${id}/items?quality=8k`)).status).toBe(400);
    // A source never synced has no items yet.
    expect((await request(server).get(`/api/sources/${id}/items`)).body).toEqual({ items: [], total: 0 });
    const sel = await request(server).post(`/api/sources/${id}/downloads`).send({ ids: [] });
    expect([sel.status, sel.body.error.message]).toEqual([400, 'ids: select at least one item']);
    const sel2 = await request(server).post(`/api/sources/${id}/downloads`).send({ ids: ['1'] });
    expect(sel2.status).toBe(400);
    for (const [method, path] of [
      ['get', '/api/sources/nope'],
      ['post', '/api/sources/nope/sync'],
      ['get', '/api/sources/nope/items'],
      ['get', '/api/sources/nope/syncs'],
      ['patch', '/api/sources/nope'],
      ['delete', '/api/sources/nope'],
    ] as const) {
      const res = await request(server)[method](path).send({});
      expect([res.status, res.body.error?.code], `${method} ${path}`).toEqual([404, 'not_found']);
    }
  });
});
