import { readFile, rm, symlink, writeFile } from 'node:fs/promises';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Job } from '../../addon/jobs/model.js';
import { MOVIE_BYTES, startMediaOrigin, type MediaOrigin } from '../fakes/media-origin.js';
import { makeTestApp, waitFor, type TestApp } from '../helpers/app.js';

const ADMIN = 'files-test-admin-key';
let app: TestApp;
let server: ReturnType<TestApp['koa']['callback']>;
let origin: MediaOrigin;
let job: Job;
let viewer: string;

beforeAll(async () => {
  origin = await startMediaOrigin();
  app = await makeTestApp({ API_KEY: ADMIN });
  server = app.koa.callback();
  viewer = (await app.auth.createKey({ name: 'viewer', role: 'viewer' }, 'test')).key;
  const created = app.jobs.create({ url: origin.url('/movie.mp4'), title: 'Ainda Estou Aqui (2024)', content_type: 'movie', year: 2024 });
  job = await waitFor(() => {
    const j = app.jobs.get(created.id);
    return j.status === 'completed' || j.status === 'failed' ? j : undefined;
  }, 30_000, 'the download');
  expect(job.status).toBe('completed');
});
afterAll(async () => {
  await app?.dispose();
  await origin?.close();
});

const link = async (key = viewer) => (await request(server).get(`/api/downloads/${job.id}/file-link`).set('Authorization', `Bearer ${key}`).expect(200)).body;

describe('finished files in the panel', () => {
  it('a signed link serves the file to a browser that sends no credentials, with ranges for seeking', async () => {
    const l = await link();
    expect(l).toMatchObject({ name: 'Ainda Estou Aqui (2024).mp4', size: MOVIE_BYTES.length, content_type: 'video/mp4' });
    expect(l.url).toMatch(/^api\/downloads\/[\w-]+\/file\?exp=\d+&sig=[\w-]+$/);
    const whole = await request(server).get(`/${l.url}`).buffer(true).expect(200);
    expect(Buffer.compare(whole.body as Buffer, MOVIE_BYTES)).toBe(0);
    expect(whole.headers).toMatchObject({ 'accept-ranges': 'bytes', 'content-type': 'video/mp4' });
    expect(whole.headers['content-disposition']).toMatch(/^inline; filename="Ainda Estou Aqui \(2024\)\.mp4"/);
    const part = await request(server).get(`/${l.url}`).set('Range', 'bytes=100-199').buffer(true).expect(206);
    expect(part.headers['content-range']).toBe(`bytes 100-199/${MOVIE_BYTES.length}`);
    expect(Buffer.compare(part.body as Buffer, MOVIE_BYTES.subarray(100, 200))).toBe(0);
    const tail = await request(server).get(`/${l.url}`).set('Range', 'bytes=-10').buffer(true).expect(206);
    expect(Buffer.compare(tail.body as Buffer, MOVIE_BYTES.subarray(-10))).toBe(0);
    const beyond = await request(server).get(`/${l.url}`).set('Range', `bytes=${MOVIE_BYTES.length}-`).expect(416);
    expect(beyond.headers['content-range']).toBe(`bytes */${MOVIE_BYTES.length}`);
    const attachment = await request(server).get(`/${l.download_url}`).expect(200);
    expect(attachment.headers['content-disposition']).toMatch(/^attachment;/);
  });

  it('without a valid link it needs a viewer; a link only opens its own file', async () => {
    await request(server).get(`/api/downloads/${job.id}/file`).expect(401);
    const l = await link();
    await request(server).get(`/${l.url.replace(/sig=[\w-]+/, 'sig=AAAA')}`).expect(401);
    await request(server).get(`/${l.url.replace(/exp=\d+/, `exp=${Date.now() + 1e9}`)}`).expect(401);
    const other = app.jobs.create({ url: origin.url('/hang.mp4'), title: 'other' });
    await request(server).get(`/${l.url.replace(job.id, other.id)}`).expect(401);
    await request(server).get(`/api/downloads/${job.id}/file`).set('Authorization', `Bearer ${viewer}`).expect(200);
    const notYet = await request(server).get(`/api/downloads/${other.id}/file-link`).set('Authorization', `Bearer ${viewer}`).expect(409);
    expect(notYet.body.error.code).toBe('file_not_ready');
    await app.jobs.cancel(other.id);
  });

  it('a file that is gone, or replaced by a symlink, is a 410, never followed', async () => {
    const file = job.location!;
    const bytes = await readFile(file);
    await rm(file);
    await symlink('/etc/passwd', file);
    try {
      const res = await request(server).get(`/api/downloads/${job.id}/file`).set('Authorization', `Bearer ${viewer}`).expect(410);
      expect(res.body.error.code).toBe('file_missing');
    } finally {
      await rm(file);
      await writeFile(file, bytes);
    }
  });
});
