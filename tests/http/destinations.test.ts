import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Writable } from 'node:stream';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../fakes/servers/common.js';
import { createLogger } from '../../addon/platform/logger.js';
import { hangingHttp } from '../helpers/hanging-http.js';
import { makeTestApp, waitFor, type TestApp } from '../helpers/app.js';
import { DESTINATION_KIND_LIST } from '../../addon/library/destinations/registry.js';

/** /api/destinations: validation naming the field, write-only secrets, the default destination, roles. */
describe('destinations API', () => {
  let app: TestApp;
  let server: ReturnType<TestApp['koa']['callback']>;
  const logLines: string[] = [];
  const SMB_PASSWORD = 'smb-Password-Kq7Zx2';
  const KEY = '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAAsecretkeymaterialYt5\n-----END OPENSSH PRIVATE KEY-----\n';
  const keys: Record<'viewer' | 'operator' | 'admin', string> = { viewer: '', operator: '', admin: '' };
  const bodies: string[] = [];

  beforeAll(async () => {
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        logLines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
        done();
      },
    });
    app = await makeTestApp({ MAX_CONCURRENT_DOWNLOADS: '1' }, { http: hangingHttp(), logger: createLogger('trace', sink) });
    server = app.koa.callback();
    keys.viewer = (await app.auth.createKey({ name: 'v', role: 'viewer' }, 'test')).key;
    keys.operator = (await app.auth.createKey({ name: 'o', role: 'operator' }, 'test')).key;
    keys.admin = (await app.auth.createKey({ name: 'a', role: 'admin' }, 'test')).key;
  });
  afterAll(() => app?.dispose());

  const auth = (key?: string) => ({ authorization: `Bearer ${key ?? keys.admin}` });
  const api = {
    get: async (p: string, key?: string) => keep(await request(server).get(p).set(auth(key))),
    post: async (p: string, body: unknown = {}, key?: string) => keep(await request(server).post(p).set(auth(key)).send(body as object)),
    patch: async (p: string, body: unknown, key?: string) => keep(await request(server).patch(p).set(auth(key)).send(body as object)),
    put: async (p: string, body: unknown) => keep(await request(server).put(p).set(auth()).send(body as object)),
    del: async (p: string, key?: string) => keep(await request(server).delete(p).set(auth(key))),
  };
  function keep<T extends { text: string }>(res: T): T {
    bodies.push(res.text);
    return res;
  }

  it('lists the default destination: the media folder, default templates, checked at start', async () => {
    await waitFor(() => (app.destinations.healthOf('default').status === 'online' ? true : undefined), 5000);
    const res = await api.get('/api/destinations');
    expect(res.status).toBe(200);
    expect(res.body.total).toBe(1);
    expect(res.body.items[0]).toMatchObject({
      id: 'default',
      kind: 'local',
      is_default: true,
      enabled: true,
      base_path: app.config.media_dir,
      status: 'online',
      naming: {},
      templates: { movie: 'Movies/{title} ({year})/{title} ({year}).{ext}', other: 'Downloads/{title}.{ext}' },
      has_password: false,
      free_bytes: expect.any(Number),
      last_check_at: expect.any(String),
    });
  });

  it.each<[string, Record<string, unknown>, string, RegExp]>([
    ['no name', { kind: 'local', base_path: '/x' }, 'name', /name:/],
    ['unknown kind', { name: 'x', kind: 'ftp' }, 'kind', /kind: must be one of local, smb, sftp, rsync/],
    ['smb without host', { name: 'x', kind: 'smb', share: 'media' }, 'host', /host: is required for smb destinations/],
    ['smb without share', { name: 'x', kind: 'smb', host: 'nas.local' }, 'share', /share: is required for smb/],
    ['smb share with a slash', { name: 'x', kind: 'smb', host: 'nas.local', share: 'media/movies' }, 'share', /share: must be the share name alone/],
    ['bad host', { name: 'x', kind: 'smb', host: 'nas local;rm', share: 'media' }, 'host', /host: must be a host name or an IP address/],
    ['port out of range', { name: 'x', kind: 'smb', host: 'nas', share: 'm', port: 70000 }, 'port', /port: must be 1 to 65535/],
    ['relative local folder', { name: 'x', kind: 'local', base_path: 'media/library' }, 'base_path', /base_path: must be an absolute folder/],
    ['sftp without credentials', { name: 'x', kind: 'sftp', host: 'h', username: 'u' }, 'password', /password: sftp destinations need a password or a private_key/],
    ['sftp without username', { name: 'x', kind: 'sftp', host: 'h', password: 'p' }, 'username', /username: is required for sftp/],
    ['not a key', { name: 'x', kind: 'sftp', host: 'h', username: 'u', private_key: 'hunter2' }, 'private_key', /private_key: must be a PEM or OpenSSH private key/],
    ['rsync daemon without module', { name: 'x', kind: 'rsync', host: 'h' }, 'base_path', /base_path: is required for an rsync daemon/],
    ['share on a local destination', { name: 'x', kind: 'local', base_path: '/x', share: 'media' }, 'share', /share: is not used by local destinations/],
    ['template without {ext}', { name: 'x', kind: 'local', base_path: '/x', naming: { movie: 'Movies/{title}' } }, 'naming.movie', /naming\.movie: missing \{ext\}/],
    ['unknown token', { name: 'x', kind: 'local', base_path: '/x', naming: { series: '{show}/{nope}.{ext}' } }, 'naming.series', /unknown token \{nope\}/],
    ['unknown content type', { name: 'x', kind: 'local', base_path: '/x', content_types: ['podcast'] }, 'content_types.0', /content_types\.0: must be among movie, series, novela, other/],
    ['min above max', { name: 'x', kind: 'local', base_path: '/x', quality_min: 2160, quality_max: 720 }, 'quality_min', /quality_min: must not be above quality_max/],
    ['unknown field', { name: 'x', kind: 'local', base_path: '/x', pasword: 'typo' }, '', /unknown field\(s\): pasword/],
    ['too many transfers', { name: 'x', kind: 'local', base_path: '/x', max_concurrent_transfers: 50 }, 'max_concurrent_transfers', /must be 1 to 10/],
  ])('400 naming the field: %s', async (_what, body, field, message) => {
    const res = await api.post('/api/destinations', body);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('invalid_request');
    expect(res.body.error.message).toMatch(message);
    if (field) expect(res.body.error.field).toBe(field);
  });

  it('secrets are write-only: stored to connect, never returned, never logged', async () => {
    const created = await api.post('/api/destinations', {
      name: 'Living-room NAS',
      kind: 'smb',
      host: '127.0.0.1',
      port: await freePort(),
      username: 'media',
      password: SMB_PASSWORD,
      share: 'media',
      base_path: 'Library',
      content_types: ['movie'],
    });
    expect(created.status).toBe(201);
    expect(created.headers.location).toBe('/api/destinations/living-room-nas');
    expect(created.body).toMatchObject({ id: 'living-room-nas', kind: 'smb', has_password: true, has_private_key: false, username: 'media', share: 'media', content_types: ['movie'] });
    expect(created.body).not.toHaveProperty('password');

    const sftp = await api.post('/api/destinations', { name: 'Seedbox', kind: 'sftp', host: 'seedbox.example', username: 'me', private_key: KEY, private_key_passphrase: 'pass-phrase-9' });
    expect(sftp.status).toBe(201);
    expect(sftp.body).toMatchObject({ has_private_key: true, has_private_key_passphrase: true, has_password: false });

    // PATCH keeps the password; PUT without it keeps it too; null clears it
    const renamed = await api.patch('/api/destinations/living-room-nas', { name: 'NAS' });
    expect(renamed.body).toMatchObject({ name: 'NAS', has_password: true, id: 'living-room-nas' });
    const replaced = await api.put('/api/destinations/living-room-nas', { name: 'NAS', kind: 'smb', host: '127.0.0.1', share: 'media', content_types: ['movie', 'series'] });
    expect(replaced.status).toBe(200);
    expect(replaced.body).toMatchObject({ has_password: true, username: null, base_path: '', content_types: ['movie', 'series'] });
    await app.store.flush();
    await app.store.flush(); // the one writer persists within a second
    const db = JSON.parse(await readFile(path.join(app.config.data_dir, 'db.json'), 'utf8')) as { destinations: Array<Record<string, unknown>> };
    expect(db.destinations.find((d) => d.id === 'living-room-nas')).toMatchObject({ password: SMB_PASSWORD }); // needed to connect

    // the test endpoint against a closed port: offline, with a message, and still no secret
    const test = await api.post('/api/destinations/living-room-nas/test');
    expect(test.status).toBe(200);
    expect(test.body).toMatchObject({ ok: false, status: 'offline', code: 'destination_unreachable' });
    expect(test.body.message).toMatch(/127\.0\.0\.1/);
    const view = await api.get('/api/destinations/living-room-nas');
    expect(view.body).toMatchObject({ status: 'offline', code: 'destination_unreachable', last_check_at: expect.any(String) });

    const cleared = await api.patch('/api/destinations/living-room-nas', { password: null });
    expect(cleared.body.has_password).toBe(false);

    for (const text of [...bodies, ...logLines]) {
      expect(text).not.toContain(SMB_PASSWORD);
      expect(text).not.toContain('secretkeymaterial');
      expect(text).not.toContain('pass-phrase-9');
    }
    expect(logLines.some((l) => l.includes('destination added'))).toBe(true);
    expect((await api.del('/api/destinations/seedbox')).status).toBe(204);
    expect((await api.get('/api/destinations/seedbox')).status).toBe(404);
  });

  it('the default destination: templates editable, the folder not, never deleted', async () => {
    const named = await api.patch('/api/destinations/default', { name: 'Home Assistant media', naming: { movie: 'Films/{title} ({year}) {jellyfin_tmdb}/{title} ({year}).{ext}', series: '' } });
    expect(named.status).toBe(200);
    expect(named.body.naming).toEqual({ movie: 'Films/{title} ({year}) {jellyfin_tmdb}/{title} ({year}).{ext}' });
    expect(named.body.templates.series).toBe('Series/{show}/Season {season:00}/{show} - S{season:00}E{episode:00}[ - {episode_title}].{ext}');
    const moved = await api.patch('/api/destinations/default', { base_path: '/tmp' });
    expect(moved.status).toBe(400);
    expect(moved.body.error).toMatchObject({ field: 'base_path', message: expect.stringMatching(/the default destination is the media folder \(MEDIA_DIR\)/) });
    expect((await api.patch('/api/destinations/default', { kind: 'smb', host: 'x', share: 'y' })).status).toBe(400);
    // the panel's PUT sends the unchanged folder along: fine
    const put = await api.put('/api/destinations/default', { name: 'Media', kind: 'local', base_path: app.config.media_dir, content_types: [] });
    expect(put.status).toBe(200);
    const del = await api.del('/api/destinations/default');
    expect(del.status).toBe(409);
    expect(del.body.error.message).toMatch(/cannot be deleted/);
    await api.patch('/api/destinations/default', { naming: { movie: null } });
  });

  it('roles: viewers read, operators test and check, admins change', async () => {
    expect((await api.get('/api/destinations', keys.viewer)).status).toBe(200);
    expect((await api.post('/api/destinations', { name: 'x', kind: 'local', base_path: '/x' }, keys.viewer)).status).toBe(403);
    expect((await api.post('/api/destinations', { name: 'x', kind: 'local', base_path: '/x' }, keys.operator)).status).toBe(403);
    expect((await api.patch('/api/destinations/default', { name: 'x' }, keys.operator)).status).toBe(403);
    expect((await api.del('/api/destinations/default', keys.operator)).status).toBe(403);
    expect((await api.post('/api/destinations/default/test', {}, keys.viewer)).status).toBe(403);
    const test = await api.post('/api/destinations/default/test', {}, keys.operator);
    expect(test.body).toMatchObject({ ok: true, status: 'online', latency_ms: expect.any(Number), free_bytes: expect.any(Number), total_bytes: expect.any(Number), message: null });
    const check = await api.post('/api/destinations/check', {}, keys.operator);
    expect(check.status).toBe(200);
    expect(check.body.items.map((d: { id: string }) => d.id)).toContain('default');
  });

  it('POST /api/downloads takes a destination id; an unknown one is a 400', async () => {
    const bad = await api.post('/api/downloads', { url: 'https://cdn.example/a.m3u8', destination: 'nowhere' });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatchObject({ field: 'destination', message: 'destination: no destination "nowhere" (GET /api/destinations lists them)' });
    const ok = await api.post('/api/downloads', { url: 'https://cdn.example/b.m3u8', title: 'Dark', content_type: 'series', season: 1, episode: 2, episode_title: 'Lies', year: 2017, destination: 'default' });
    expect(ok.status).toBe(201);
    expect(ok.body).toMatchObject({ destination: 'default', content_type: 'series', season: 1, episode: 2, episode_title: 'Lies', year: 2017 });
  });

  it('GET /api/health reports every destination; one down degrades, never fails', async () => {
    const health = await api.get('/api/health', keys.viewer);
    expect(health.status).toBe(200);
    expect(health.body.checks.destinations.destinations).toEqual(
      expect.arrayContaining([expect.objectContaining({ id: 'default', status: 'online' }), expect.objectContaining({ id: 'living-room-nas' })]),
    );
    await app.destinations.check('living-room-nas');
    const again = await api.get('/api/health', keys.viewer);
    expect(again.body.status).toBe('degraded');
    expect(again.body.checks.destinations).toMatchObject({ status: 'degraded', message: expect.stringMatching(/^NAS is offline: /) });
  });
  it('GET /api/destinations/kinds lists every kind with a JSON Schema of its own fields', async () => {
    const res = await api.get('/api/destinations/kinds', keys.viewer);
    expect(res.status).toBe(200);
    expect(res.body.items.map((k: { kind: string }) => k.kind)).toEqual(['local', 'smb', 'sftp', 'rsync']);
    expect(res.body.total).toBe(4);
    const byKind = Object.fromEntries(res.body.items.map((k: { kind: string }) => [k.kind, k])) as Record<string, { label: string; secrets: string[]; defaults: Record<string, unknown>; schema: { type: string; properties: Record<string, { writeOnly?: boolean; enum?: string[] }>; required?: string[] } }>;
    expect(byKind.smb).toMatchObject({ label: 'SMB share', secrets: ['password'] });
    expect(Object.keys(byKind.smb!.schema.properties)).toEqual(['host', 'port', 'username', 'password', 'share', 'base_path']);
    expect(byKind.smb!.schema.required).toEqual(expect.arrayContaining(['host', 'share']));
    expect(byKind.local!.schema.required).toEqual(['base_path']);
    expect(byKind.rsync!.defaults).toEqual({ base_path: '', transport: 'daemon' });
    expect(byKind.rsync!.schema.properties.transport!.enum).toEqual(['daemon', 'ssh']);
    expect(byKind.sftp!.schema.properties).toHaveProperty('host_key_fingerprint');
    expect(byKind.rsync!.schema.properties).toHaveProperty('host_key_fingerprint'); // pinned over ssh (issue 12)
    for (const kind of Object.values(byKind)) for (const secret of kind.secrets) expect(kind.schema.properties[secret]!.writeOnly).toBe(true);
  });

  /** A valid destination of each kind, pointing nowhere that answers; a new kind needs its line here. */
  const MINIMAL: Record<string, Record<string, unknown>> = {
    local: { base_path: '/tmp' },
    smb: { host: '127.0.0.1', port: 9, share: 'media' },
    sftp: { host: '127.0.0.1', port: 9, username: 'me' },
    rsync: { host: '127.0.0.1', port: 9, base_path: 'module', transport: 'ssh' },
  };
  it.each(DESTINATION_KIND_LIST.map((def) => [def.kind, def] as const))('every secret of a %s destination is write-only: stored, never returned', async (kind, def) => {
    expect(MINIMAL[kind], `add a minimal ${kind} destination to MINIMAL`).toBeDefined();
    const values: Record<string, string> = {};
    for (const secret of def.secrets as readonly string[]) values[secret] = secret === 'private_key' ? KEY.replace('secretkeymaterial', `secret-${kind}-`) : `${kind}-${secret}-Zq81x`;
    const created = await api.post('/api/destinations', { name: `Secret ${kind}`, kind, ...MINIMAL[kind], ...values });
    expect(created.status).toBe(201);
    const listed = await api.get('/api/destinations', keys.viewer);
    for (const [secret, value] of Object.entries(values)) {
      expect(created.body[`has_${secret}`]).toBe(true);
      expect(created.body).not.toHaveProperty(secret);
      expect(JSON.stringify(listed.body)).not.toContain(value);
      expect(logLines.join('\n')).not.toContain(value);
    }
    await app.store.flush(); // the one writer persists within a second
    const db = JSON.parse(await readFile(path.join(app.config.data_dir, 'db.json'), 'utf8')) as { destinations: Array<Record<string, unknown>> };
    expect(db.destinations.find((d) => d.id === created.body.id)).toMatchObject(values);
    expect((await api.del(`/api/destinations/${created.body.id}`)).status).toBe(204);
  });
});
