import { readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeJellyfin, type FakeJellyfin } from '../fakes/jellyfin.js';
import { startMediaOrigin, type MediaOrigin } from '../fakes/media-origin.js';
import { startFakeTmdb, type FakeTmdb } from '../fakes/tmdb.js';
import { makeTestApp, waitFor, type TestApp } from '../helpers/app.js';

/**
 * The story: a user adds their Jellyfin server, turns on NFO and artwork for the media
 * folder, downloads a film TMDB knows, and Jellyfin is asked to scan its folder, where the
 * NFO and the poster already are.
 */
describe('a film lands in the library with its NFO and poster, and Jellyfin scans its folder', () => {
  let app: TestApp;
  let jellyfin: FakeJellyfin;
  let tmdb: FakeTmdb;
  let origin: MediaOrigin;
  let folderAtRefresh: string[] = [];

  beforeAll(async () => {
    [jellyfin, tmdb, origin] = await Promise.all([startFakeJellyfin(), startFakeTmdb(), startMediaOrigin()]);
    tmdb.movies.push({ id: 603, title: 'The Matrix', original_title: 'The Matrix', overview: 'A hacker learns the truth.', poster_path: '/matrix-poster.jpg', backdrop_path: '/matrix-back.jpg', genre_ids: [28, 878], release_date: '1999-03-31' });
    app = await makeTestApp({ MQTT_ENABLED: 'false', TMDB_API_KEY: tmdb.apiKey, TMDB_BASE_URL: tmdb.baseUrl }, { mediaServerWindowMs: 100 });
  });
  afterAll(async () => {
    await app?.dispose();
    await Promise.all([jellyfin?.close(), tmdb?.close(), origin?.close()]);
  });

  it('NFO, poster and fanart are in the film folder before the scan of that folder', async () => {
    const local = {}; // loopback, no account yet: admin (README "Access control")
    const server = app.koa.callback();
    expect((await request(server).patch('/api/destinations/default').set(local).send({ metadata: 'nfo+art' })).body.metadata).toBe('nfo+art');
    const created = await request(server)
      .post('/api/media-servers')
      .set(local)
      .send({ name: 'Jellyfin', kind: 'jellyfin', settings: { url: jellyfin.url, api_key: jellyfin.apiKey }, path_map: [{ from: app.config.media_dir, to: '/data/movies' }] });
    expect(created.status).toBe(201);

    const folder = path.join(app.config.media_dir, 'Movies/The Matrix (1999)');
    const originalPush = jellyfin.updates.push.bind(jellyfin.updates);
    jellyfin.updates.push = (...items: string[][]) => {
      folderAtRefresh = readdirSync(folder).sort(); // at the moment Jellyfin is asked to scan
      return originalPush(...items);
    };
    const job = app.jobs.create({ url: origin.url('/movie.mp4'), title: 'The Matrix (1999)', content_type: 'movie', tmdb_id: 603 });
    await waitFor(() => (jellyfin.updates.length > 0 ? true : undefined), 15_000, 'the Jellyfin scan');
    expect(app.jobs.get(job.id).status).toBe('completed');
    expect([...jellyfin.updates]).toEqual([['/data/movies/Movies/The Matrix (1999)']]);
    expect(folderAtRefresh).toEqual(['The Matrix (1999).mp4', 'The Matrix (1999).nfo', 'fanart.jpg', 'poster.jpg']);
    const nfo = await readFile(path.join(folder, 'The Matrix (1999).nfo'), 'utf8');
    expect(nfo).toContain('<uniqueid type="tmdb" default="true">603</uniqueid>');
    expect(nfo).toContain('<plot>A hacker learns the truth.</plot>');
    expect(tmdb.imageRequests.sort()).toEqual(['/t/p/w1280/matrix-back.jpg', '/t/p/w780/matrix-poster.jpg']);
  });
});
