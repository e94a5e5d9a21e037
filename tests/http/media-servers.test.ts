import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeJellyfin, type FakeJellyfin } from '../fakes/jellyfin.js';
import { startMediaOrigin, type MediaOrigin } from '../fakes/media-origin.js';
import { startFakePlex, type FakePlex } from '../fakes/plex.js';
import { makeTestApp, waitFor, type TestApp } from '../helpers/app.js';
import { captureLogger } from '../helpers/log-capture.js';

/** /api/media-servers end to end: validation, write-only secrets, roles, Test, refresh after a real download. */
describe('media servers API', () => {
  let app: TestApp;
  let server: ReturnType<TestApp['koa']['callback']>;
  let jellyfin: FakeJellyfin;
  let plex: FakePlex;
  let origin: MediaOrigin;
  const capture = captureLogger();
  const keys: Record<'viewer' | 'operator' | 'admin', string> = { viewer: '', operator: '', admin: '' };
  const bodies: string[] = [];

  beforeAll(async () => {
    [jellyfin, plex, origin] = await Promise.all([startFakeJellyfin(), startFakePlex(), startMediaOrigin()]);
    app = await makeTestApp({ MQTT_ENABLED: 'false' }, { logger: capture.logger, mediaServerWindowMs: 200 });
    server = app.koa.callback();
    for (const role of ['viewer', 'operator', 'admin'] as const) keys[role] = (await app.auth.createKey({ name: role, role }, 'test')).key;
  });
  afterAll(async () => {
    await app?.dispose();
    await Promise.all([jellyfin?.close(), plex?.close(), origin?.close()]);
  });

  const auth = (role: keyof typeof keys = 'admin') => ({ authorization: `Bearer ${keys[role]}` });
  const keep = <T extends { text: string }>(res: T): T => (bodies.push(res.text), res);
  const api = {
    get: async (p: string, role?: keyof typeof keys) => keep(await request(server).get(p).set(auth(role))),
    post: async (p: string, body: unknown = {}, role?: keyof typeof keys) => keep(await request(server).post(p).set(auth(role)).send(body as object)),
    patch: async (p: string, body: unknown, role?: keyof typeof keys) => keep(await request(server).patch(p).set(auth(role)).send(body as object)),
    del: async (p: string, role?: keyof typeof keys) => keep(await request(server).delete(p).set(auth(role))),
  };

  it('lists the kinds with a JSON Schema of their settings', async () => {
    const res = await api.get('/api/media-servers/kinds', 'viewer');
    expect(res.status).toBe(200);
    expect(res.body.items.map((k: { kind: string }) => k.kind)).toEqual(['jellyfin', 'emby', 'plex', 'kodi']);
    const jf = res.body.items[0];
    expect(jf).toMatchObject({ label: 'Jellyfin', secrets: ['api_key'], defaults: { url: 'http://localhost:8096' } });
    expect(jf.settings_schema).toMatchObject({
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      type: 'object',
      required: ['url', 'api_key'],
      properties: { url: { type: 'string', description: 'Server URL, e.g. http://192.168.1.10:8096' }, api_key: { type: 'string' } },
      additionalProperties: false,
    });
    expect(res.body.items[3].settings_schema.required).toEqual(['url']);
  });

  it('refuses bad input with the field named', async () => {
    const cases: Array<[unknown, string, string]> = [
      [{ name: 'x', kind: 'sonarr', settings: {} }, 'kind', 'kind: must be one of jellyfin, emby, plex, kodi'],
      [{ name: 'x', kind: 'jellyfin', settings: { url: jellyfin.url } }, 'settings.api_key', 'settings.api_key: is required for Jellyfin'],
      [{ name: 'x', kind: 'jellyfin', settings: { url: 'nas:8096', api_key: 'k' } }, 'settings.url', 'settings.url: must be an http(s) URL without credentials or query, such as http://192.168.1.10:8096'],
      [{ name: 'x', kind: 'plex', settings: { url: plex.url, token: 't', extra: 1 } }, 'settings', 'settings: unknown field(s): extra'],
      [{ name: 'x', kind: 'plex', destinations: ['nowhere'], settings: { url: plex.url, token: 't' } }, 'destinations', 'destinations: no destination "nowhere"'],
      [{ name: 'x', kind: 'plex', path_map: [{ from: 'media', to: '/data' }], settings: { url: plex.url, token: 't' } }, 'path_map.0.from', 'path_map.0.from: must be an absolute folder as the add-on sees it, e.g. /media/library or //nas/media'],
      [{ name: '', kind: 'plex' }, 'name', 'name: is required'],
    ];
    for (const [body, field, message] of cases) {
      const res = await api.post('/api/media-servers', body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error).toEqual({ code: 'invalid_request', field, message });
    }
    expect((await api.get('/api/media-servers')).body.total).toBe(0);
  });

  it("a destination's metadata option: none by default, nfo or nfo+art, anything else a 400 naming it", async () => {
    expect((await api.get('/api/destinations/default')).body.metadata).toBe('none');
    const bad = await api.patch('/api/destinations/default', { metadata: 'posters' });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toEqual({ code: 'invalid_request', field: 'metadata', message: 'metadata: must be none, nfo or nfo+art' });
    expect((await api.patch('/api/destinations/default', { metadata: 'nfo' }, 'operator')).status).toBe(403);
    expect((await api.patch('/api/destinations/default', { metadata: 'nfo' })).body.metadata).toBe('nfo');
    expect((await api.patch('/api/destinations/default', { metadata: 'none' })).body.metadata).toBe('none');
  });

  it('creates, reads, patches and deletes; secrets are write-only; viewers and operators cannot write', async () => {
    const body = { name: 'Living room Jellyfin', kind: 'jellyfin', settings: { url: `${jellyfin.url}/`, api_key: jellyfin.apiKey }, path_map: [{ from: app.config.media_dir, to: '/data/movies' }] };
    expect((await api.post('/api/media-servers', body, 'operator')).status).toBe(403);
    const created = await api.post('/api/media-servers', body);
    expect(created.status).toBe(201);
    expect(created.headers.location).toBe('/api/media-servers/living-room-jellyfin');
    expect(created.body).toMatchObject({
      id: 'living-room-jellyfin',
      kind: 'jellyfin',
      label: 'Jellyfin',
      enabled: true,
      destinations: [],
      settings: { url: jellyfin.url },
      has_api_key: true,
      status: { state: 'unknown', refreshes: 0, failures: 0, pending_folders: [] },
    });
    expect(created.body.settings.api_key).toBeUndefined();

    expect((await api.patch('/api/media-servers/living-room-jellyfin', { enabled: false }, 'viewer')).status).toBe(403);
    const renamed = await api.patch('/api/media-servers/living-room-jellyfin', { name: 'Jellyfin', settings: { url: jellyfin.url } });
    expect(renamed.status).toBe(200);
    expect(renamed.body).toMatchObject({ name: 'Jellyfin', has_api_key: true }); // the key is kept when not sent
    expect((await api.patch('/api/media-servers/living-room-jellyfin', { settings: { api_key: null } })).body.error.field).toBe('settings.api_key');
    expect((await api.get('/api/media-servers/living-room-jellyfin', 'viewer')).body.name).toBe('Jellyfin');

    const extra = await api.post('/api/media-servers', { name: 'Plex', kind: 'plex', settings: { url: plex.url, token: 'wrong' } });
    expect(extra.status).toBe(201);
    expect((await api.del('/api/media-servers/plex', 'operator')).status).toBe(403);
    expect((await api.del('/api/media-servers/plex')).status).toBe(204);
    expect((await api.get('/api/media-servers/plex')).status).toBe(404);
    expect(bodies.join('\n')).not.toContain(jellyfin.apiKey);
  });

  it('Test: the mapped path of a sample file and an exact message; a bad token says so', async () => {
    const res = await api.post('/api/media-servers/living-room-jellyfin/test', {}, 'operator');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      ok: true,
      sample_path: `${app.config.media_dir}/Movies/Example (2024)/Example (2024).mkv`,
      mapped_path: '/data/movies/Movies/Example (2024)/Example (2024).mkv',
      path_map_entry: { from: app.config.media_dir, to: '/data/movies' },
      library: 'Movies',
      covered: true,
      message: 'Connected to Jellyfin "living-room" 10.10.7; library "Movies" contains /data/movies/Movies/Example (2024)/Example (2024).mkv',
    });
    const own = await api.post('/api/media-servers/living-room-jellyfin/test', { sample_path: '/share/other/x.mkv' });
    expect(own.body).toMatchObject({ ok: true, mapped_path: '/share/other/x.mkv', path_map_entry: null, covered: false });
    expect(own.body.message).toContain('(no path_map entry matched, so the path is passed on unchanged)');

    await api.post('/api/media-servers', { name: 'Plex', kind: 'plex', settings: { url: plex.url, token: 'wrong' } });
    const bad = await api.post('/api/media-servers/plex/test');
    expect(bad.body).toMatchObject({ ok: false, code: 'mediaserver_auth_failed', message: `Plex at ${plex.url} refused the credentials (HTTP 401): check the API key or token and that it may manage libraries` });
    expect((await api.get('/api/media-servers/plex')).body.status).toMatchObject({ state: 'error', code: 'mediaserver_auth_failed' });
    await api.del('/api/media-servers/plex');
  });

  it('a completed download refreshes its folder on the server; a server that is down leaves the download completed', async () => {
    const job = app.jobs.create({ url: origin.url('/movie.mp4'), title: 'Big Movie (2024)', content_type: 'movie' });
    await waitFor(() => (jellyfin.updates.length > 0 ? true : undefined), 10_000, 'Media/Updated');
    expect(app.jobs.get(job.id).status).toBe('completed');
    expect(jellyfin.updates).toEqual([['/data/movies/Movies/Big Movie (2024)']]);
    expect(jellyfin.protocolErrors).toEqual([]);

    await jellyfin.down();
    try {
      const second = app.jobs.create({ url: origin.url('/movie.mp4'), title: 'Other Movie (2023)', content_type: 'movie' });
      await waitFor(() => ((app.mediaServers.statusOf(app.mediaServers.get('living-room-jellyfin')).failures ?? 0) > 0 ? true : undefined), 10_000, 'failed refresh');
      expect(app.jobs.get(second.id)).toMatchObject({ status: 'completed', error: null });
      const view = (await api.get('/api/media-servers/living-room-jellyfin')).body;
      expect(view.status).toMatchObject({ state: 'error', code: 'mediaserver_unreachable', refreshes: 1, failures: 1 });
      const warning = capture.lines.map((l) => JSON.parse(l) as { msg: string; level: string }).find((l) => l.msg.startsWith('media server "Jellyfin" was not refreshed'));
      expect(warning).toMatchObject({ level: 'warn', msg: `media server "Jellyfin" was not refreshed: Jellyfin at ${jellyfin.url} cannot be reached (ECONNREFUSED): check the URL and that the server is running; trying again in 60 s` });
      expect(capture.text()).not.toContain(jellyfin.apiKey);
      // /api/health says so (degraded, never error: restarting the add-on would not fix it).
      const health = (await api.get('/api/health', 'viewer')).body;
      expect(health.checks.media_servers).toMatchObject({ status: 'degraded', failing: ['living-room-jellyfin'], message: expect.stringContaining('media server "Jellyfin" not reachable: Jellyfin at') });
      expect(health.status).not.toBe('error');
    } finally {
      await jellyfin.up();
    }
  });
});
