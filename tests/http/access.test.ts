import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROLES, type Role } from '../../addon/auth/model.js';
import { hangingHttp } from '../helpers/hanging-http.js';
import { makeTestApp, type TestApp } from '../helpers/app.js';
import { call, type CallResult } from '../helpers/http-call.js';

/** A concrete path for a route pattern: every :param becomes a made-up id. */
const concrete = (pattern: string): string => pattern.replace(/:(\w+)/g, 'no-such-$1').replace(/(.)\/$/, '$1');

/**
 * Every route of the app, three ways: no credentials (401), each role below the declared one
 * (403), and the declared role itself (neither 401 nor 403; a 400 or 404 for made-up ids and
 * empty bodies is fine). Routes added later by other modules are covered automatically.
 */
describe('role checks for every route', () => {
  let app: TestApp;
  let base: string;
  const keys = {} as Record<Role, string>;

  beforeAll(async () => {
    app = await makeTestApp({ API_KEY: 'bootstrap-admin-key-0123456789', MAX_CONCURRENT_DOWNLOADS: '1' }, { http: hangingHttp() });
    const server = await app.listen(0, '127.0.0.1');
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    for (const role of ROLES) keys[role] = (await app.auth.createKey({ name: `${role} key`, role }, 'test')).key;
  });
  afterAll(() => app?.dispose());

  const routes = () =>
    app.koa.routeTable.flatMap((r) => r.methods.filter((m) => m !== 'HEAD').map((method) => ({ method, path: concrete(r.path), access: r.access })));

  it('every route declares who may call it with allow(role)', () => {
    const undeclared = app.koa.routeTable.filter((r) => r.access === null).map((r) => `${r.methods.join('|')} ${r.path}`);
    expect(undeclared, 'add allow(\'viewer\' | \'operator\' | \'admin\' | \'public\') as the first middleware of these routes').toEqual([]);
    expect(routes().length).toBeGreaterThan(15);
  });

  it('the declared roles follow the rules: reads for viewers, admin for accounts and keys', () => {
    const access = (method: string, path: string) => routes().find((r) => r.method === method && r.path === path)?.access;
    expect(access('GET', '/api/downloads')).toBe('viewer');
    expect(access('POST', '/api/downloads')).toBe('operator');
    expect(access('DELETE', '/api/downloads/no-such-id')).toBe('operator');
    expect(access('GET', '/api/events')).toBe('viewer');
    expect(access('GET', '/api/health')).toBe('public');
    expect(access('GET', '/api/activity')).toBe('operator');
    for (const r of routes().filter((r) => r.path.startsWith('/api/users') || r.path.startsWith('/api/keys'))) expect(r.access, `${r.method} ${r.path}`).toBe('admin');
    // A viewer never changes anything: no write route is open to viewers, except changing one's
    // own password and POSTs that only compute an answer (previews).
    const readOnlyPosts = [/^\/api\/auth\/password$/, /\/preview$/];
    const viewerWrites = routes().filter((r) => r.method !== 'GET' && r.access === 'viewer' && !readOnlyPosts.some((re) => re.test(r.path)));
    expect(viewerWrites.map((r) => `${r.method} ${r.path}`)).toEqual([]);
  });

  it('no credentials -> 401, a lower role -> 403, the declared role gets through', async () => {
    const failures: string[] = [];
    const send = (method: string, path: string, key?: string): Promise<CallResult> =>
      call(base, path, { method, headers: key ? { authorization: `Bearer ${key}` } : {}, ...(method === 'GET' || method === 'DELETE' ? {} : { json: {} }) });
    const protectedRoutes = routes().filter((r) => r.access !== 'public' && r.access !== null);
    for (const { method, path, access } of protectedRoutes) {
      const anonymous = await send(method, path);
      if (anonymous.status !== 401) failures.push(`${method} ${path} without credentials: ${anonymous.status}, want 401`);
      const wrongKey = await send(method, path, 'm3u_not-a-key');
      if (wrongKey.status !== 401) failures.push(`${method} ${path} with a wrong key: ${wrongKey.status}, want 401`);
      for (const role of ROLES.slice(0, ROLES.indexOf(access as Role))) {
        const res = await send(method, path, keys[role]);
        if (res.status !== 403) failures.push(`${method} ${path} as ${role}: ${res.status}, want 403 (needs ${access})`);
      }
    }
    // Allowed calls last: some change state (pausing the queue, for one).
    for (const { method, path, access } of protectedRoutes) {
      const res = await send(method, path, keys[access as Role]);
      if (res.status === 401 || res.status === 403) failures.push(`${method} ${path} as ${access}: ${res.status} ${res.text.slice(0, 120)}`);
    }
    expect(failures).toEqual([]);
  });

  it('public routes answer without credentials', async () => {
    expect((await call(base, '/api/health')).status).toBe(200);
    const me = await call(base, '/api/auth/me');
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ authenticated: false, mode: 'standalone', setup_required: true, principal: null });
  });

  it('the bootstrap API_KEY is an admin; unknown /api paths still need credentials', async () => {
    const me = await call(base, '/api/auth/me', { headers: { authorization: 'Bearer bootstrap-admin-key-0123456789' } });
    expect(me.body.principal).toMatchObject({ kind: 'api_key', id: 'bootstrap', role: 'admin' });
    expect((await call(base, '/api/nothing-here')).status).toBe(401);
    expect((await call(base, '/api/nothing-here', { headers: { authorization: `Bearer ${keys.viewer}` } })).status).toBe(404);
  });
});

describe('Home Assistant ingress', () => {
  let app: TestApp;
  let base: string;
  const ingressHeaders = {
    'x-ingress-path': '/api/hassio_ingress/abc123',
    'x-remote-user-id': '0123456789abcdef0123456789abcdef',
    'x-remote-user-name': 'maria',
    'x-remote-user-display-name': 'María Gómez',
  };

  beforeAll(async () => {
    app = await makeTestApp(
      { SUPERVISOR_TOKEN: 'supervisor-token-for-tests', SUPERVISOR_URL: 'http://127.0.0.1:9', TRUSTED_PROXIES: '127.0.0.2', MQTT_ENABLED: 'false', HOMEASSISTANT_EVENTS: 'false' },
      { http: hangingHttp() },
    );
    const server = await app.listen(0, '127.0.0.1');
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => app?.dispose());

  it('believes X-Remote-User-* from the trusted proxy address and acts as that user (admin)', async () => {
    const me = await call(base, '/api/auth/me', { localAddress: '127.0.0.2', headers: ingressHeaders });
    expect(me.body).toMatchObject({
      mode: 'addon',
      authenticated: true,
      setup_required: false,
      ingress_path: '/api/hassio_ingress/abc123',
      principal: { kind: 'ingress', id: '0123456789abcdef0123456789abcdef', name: 'maria', role: 'admin', via: 'ingress' },
    });
    const created = await call(base, '/api/downloads', { method: 'POST', localAddress: '127.0.0.2', headers: ingressHeaders, json: { url: 'https://cdn.example/a.m3u8' } });
    expect(created.status).toBe(201);
    const log = app.activity.list({ limit: 10, offset: 0, action: 'download.created' }).items[0]!;
    expect(log).toMatchObject({ actor: { kind: 'ingress', name: 'maria' }, via: 'ingress', ip: '127.0.0.2', target: created.body.id });
  });

  it('decodes UTF-8 display names', async () => {
    const me = await call(base, '/api/auth/me', { localAddress: '127.0.0.2', rawHeaders: [['x-remote-user-display-name', Buffer.from('María Gómez', 'utf8').toString('latin1')]] });
    expect(me.body.principal.display_name).toBe('María Gómez');
  });

  it('ignores the same headers from any other address: 401 without credentials', async () => {
    for (const path of ['/api/downloads', '/api/stats', '/api/users']) {
      const res = await call(base, path, { localAddress: '127.0.0.1', headers: ingressHeaders });
      expect(res.status, path).toBe(401);
      expect(res.body.error.code).toBe('unauthorized');
    }
    const me = await call(base, '/api/auth/me', { localAddress: '127.0.0.1', headers: ingressHeaders });
    expect(me.body).toMatchObject({ authenticated: false, principal: null, ingress_path: null });
    // Loopback is no substitute for the Supervisor in the add-on, and forwarded-for headers prove nothing.
    const spoofed = await call(base, '/api/downloads', { localAddress: '127.0.0.1', headers: { ...ingressHeaders, 'x-forwarded-for': '127.0.0.2', forwarded: 'for=127.0.0.2' } });
    expect(spoofed.status).toBe(401);
  });

  it("takes the Supervisor's user when a browser's own copy of the header is forwarded after it", async () => {
    const me = await call(base, '/api/auth/me', {
      localAddress: '127.0.0.2',
      rawHeaders: [
        ['X-Remote-User-Id', 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'],
        ['x-remote-user-id', 'attacker'],
        ['X-Remote-User-Name', 'maria'],
        ['x-remote-user-name', 'root'],
      ],
    });
    expect(me.body.principal).toMatchObject({ id: 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', name: 'maria' });
  });

  it('first-run setup is not offered to the direct port in the add-on', async () => {
    const res = await call(base, '/api/auth/setup', { method: 'POST', localAddress: '127.0.0.1', json: { username: 'eve', password: 'password123' } });
    expect(res.status).toBe(403);
    expect(app.auth.userCount()).toBe(0);
  });

  it('/api/health tells anonymous callers the status only, and the details to the signed-in', async () => {
    const anonymous = await call(base, '/api/health', { localAddress: '127.0.0.1' });
    expect(anonymous.status).toBe(200);
    expect(Object.keys(anonymous.body).sort()).toEqual(['status', 'version']);
    const detailed = await call(base, '/api/health', { localAddress: '127.0.0.2', headers: ingressHeaders });
    expect(detailed.body).toMatchObject({ status: 'ok', mode: 'addon', checks: { store: { status: 'ok' }, ffmpeg: { status: 'ok' }, disk: { status: 'ok' }, queue: { status: 'ok' } } });
  });
});

describe('plain Docker: setup, sessions, CSRF, users, keys, rate limiting', () => {
  let app: TestApp;
  let base: string;
  const REMOTE = '127.0.0.2'; // not a trusted proxy in plain Docker, and not 127.0.0.1
  const adminPassword = 'correct horse battery staple';

  beforeAll(async () => {
    app = await makeTestApp({ MAX_CONCURRENT_DOWNLOADS: '1' }, { http: hangingHttp() });
    const server = await app.listen(0, '127.0.0.1');
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => app?.dispose());

  const session = async (username: string, password: string) => {
    const res = await call(base, '/api/auth/login', { method: 'POST', localAddress: REMOTE, json: { username, password } });
    expect(res.status, res.text).toBe(200);
    return { cookie: `m3udl_session=${res.cookies.m3udl_session}`, csrf: res.body.csrf_token as string };
  };
  const as = (s: { cookie: string; csrf: string }, withCsrf = true) => ({ cookie: s.cookie, ...(withCsrf ? { 'x-csrf-token': s.csrf } : {}) });

  it('before setup: this machine (127.0.0.1) acts as admin, anyone else is told setup is required', async () => {
    expect((await call(base, '/api/downloads', { localAddress: '127.0.0.1' })).status).toBe(200);
    const me = await call(base, '/api/auth/me', { localAddress: '127.0.0.1' });
    expect(me.body).toMatchObject({ setup_required: true, principal: { kind: 'local', role: 'admin' } });
    const remote = await call(base, '/api/downloads', { localAddress: REMOTE });
    expect([remote.status, remote.body.error.code]).toEqual([401, 'setup_required']);
    // A reverse proxy on this machine forwards other people's requests: not local.
    const proxied = await call(base, '/api/downloads', { localAddress: '127.0.0.1', headers: { 'x-forwarded-for': '203.0.113.9' } });
    expect(proxied.status).toBe(401);
  });

  it('creates the admin account once, signs in with an HttpOnly SameSite=Strict cookie, and ends local trust', async () => {
    const weak = await call(base, '/api/auth/setup', { method: 'POST', localAddress: REMOTE, json: { username: 'admin', password: 'short' } });
    expect([weak.status, weak.body.error.field]).toEqual([400, 'password']);
    const res = await call(base, '/api/auth/setup', { method: 'POST', localAddress: REMOTE, json: { username: 'admin', password: adminPassword } });
    expect(res.status).toBe(201);
    expect(res.body.user).toMatchObject({ username: 'admin', role: 'admin' });
    expect(res.body.user.password_hash).toBeUndefined();
    const setCookie = (res.headers['set-cookie'] ?? []).find((c) => c.startsWith('m3udl_session='))!;
    expect(setCookie).toMatch(/httponly/i);
    expect(setCookie).toMatch(/samesite=strict/i);
    expect((res.headers['set-cookie'] ?? []).find((c) => c.startsWith('m3udl_csrf='))).not.toMatch(/httponly/i);
    const again = await call(base, '/api/auth/setup', { method: 'POST', localAddress: REMOTE, json: { username: 'other', password: adminPassword } });
    expect(again.status).toBe(409);
    const local = await call(base, '/api/downloads', { localAddress: '127.0.0.1' });
    expect([local.status, local.body.error.code]).toEqual([401, 'unauthorized']);
  });

  it('needs the CSRF token on cookie-authenticated writes', async () => {
    const admin = await session('admin', adminPassword);
    const me = await call(base, '/api/auth/me', { localAddress: REMOTE, headers: as(admin, false) });
    expect(me.body).toMatchObject({ authenticated: true, csrf_token: admin.csrf, principal: { kind: 'session', name: 'admin', role: 'admin' } });
    const without = await call(base, '/api/downloads', { method: 'POST', localAddress: REMOTE, headers: as(admin, false), json: { url: 'https://cdn.example/a.m3u8' } });
    expect([without.status, without.body.error.code]).toEqual([403, 'csrf_failed']);
    const wrong = await call(base, '/api/downloads', { method: 'POST', localAddress: REMOTE, headers: { cookie: admin.cookie, 'x-csrf-token': 'nope' }, json: { url: 'https://cdn.example/a.m3u8' } });
    expect(wrong.status).toBe(403);
    const ok = await call(base, '/api/downloads', { method: 'POST', localAddress: REMOTE, headers: as(admin), json: { url: 'https://cdn.example/a.m3u8' } });
    expect(ok.status).toBe(201);
    // Reads need no token.
    expect((await call(base, '/api/downloads', { localAddress: REMOTE, headers: as(admin, false) })).status).toBe(200);
  });

  it('users with roles: operators download but cannot manage users, viewers only read', async () => {
    const admin = await session('admin', adminPassword);
    for (const [username, role] of [['olga', 'operator'], ['victor', 'viewer']] as const) {
      const res = await call(base, '/api/users', { method: 'POST', localAddress: REMOTE, headers: as(admin), json: { username, password: `${username}-password`, role } });
      expect(res.status, res.text).toBe(201);
    }
    const olga = await session('olga', 'olga-password');
    const victor = await session('VICTOR', 'victor-password'); // names are case-insensitive
    expect((await call(base, '/api/downloads', { method: 'POST', localAddress: REMOTE, headers: as(olga), json: { url: 'https://cdn.example/b.m3u8' } })).status).toBe(201);
    expect((await call(base, '/api/users', { method: 'POST', localAddress: REMOTE, headers: as(olga), json: { username: 'x', password: 'xxxxxxxxxx' } })).status).toBe(403);
    expect((await call(base, '/api/keys', { localAddress: REMOTE, headers: as(olga) })).status).toBe(403);
    expect((await call(base, '/api/activity', { localAddress: REMOTE, headers: as(olga) })).status).toBe(200);
    expect((await call(base, '/api/downloads', { method: 'POST', localAddress: REMOTE, headers: as(victor), json: { url: 'https://cdn.example/c.m3u8' } })).status).toBe(403);
    expect((await call(base, '/api/downloads', { localAddress: REMOTE, headers: as(victor) })).status).toBe(200);
    expect((await call(base, '/api/activity', { localAddress: REMOTE, headers: as(victor) })).status).toBe(403);
    const list = await call(base, '/api/users', { localAddress: REMOTE, headers: as(admin) });
    expect(list.body.items.map((u: { username: string }) => u.username)).toEqual(['admin', 'olga', 'victor']);
    expect(JSON.stringify(list.body)).not.toMatch(/password|scrypt/);
  });

  it('keeps one admin, ends sessions on a role change, and signs out', async () => {
    const admin = await session('admin', adminPassword);
    const adminId = app.auth.listUsers().find((u) => u.username === 'admin')!.id;
    const demote = await call(base, `/api/users/${adminId}`, { method: 'PATCH', localAddress: REMOTE, headers: as(admin), json: { role: 'viewer' } });
    expect([demote.status, demote.body.error.code]).toEqual([409, 'conflict']);
    const olga = await session('olga', 'olga-password');
    const olgaId = app.auth.listUsers().find((u) => u.username === 'olga')!.id;
    expect((await call(base, `/api/users/${olgaId}`, { method: 'PATCH', localAddress: REMOTE, headers: as(admin), json: { role: 'viewer' } })).status).toBe(200);
    const stale = await call(base, '/api/downloads', { localAddress: REMOTE, headers: as(olga) });
    expect(stale.status).toBe(401);
    expect(stale.body.error.message).toMatch(/session/);
    const out = await call(base, '/api/auth/logout', { method: 'POST', localAddress: REMOTE, headers: as(admin) });
    expect(out.status).toBe(204);
    expect(out.cookies.m3udl_session).toBe('');
    expect((await call(base, '/api/downloads', { localAddress: REMOTE, headers: as(admin) })).status).toBe(401);
  });

  it('API keys: shown once, stored hashed, scoped by role, revocable', async () => {
    const admin = await session('admin', adminPassword);
    const created = await call(base, '/api/keys', { method: 'POST', localAddress: REMOTE, headers: as(admin), json: { name: 'browser extension', role: 'viewer' } });
    expect(created.status).toBe(201);
    const key = created.body.key as string;
    expect(key).toMatch(/^m3u_[A-Za-z0-9_-]{43}$/);
    expect(created.body.prefix).toBe(key.slice(0, 10));
    const listed = await call(base, '/api/keys', { localAddress: REMOTE, headers: as(admin) });
    expect(listed.body.items).toHaveLength(1);
    expect(listed.body.items[0].key).toBeUndefined();
    expect(listed.body.items[0].hash).toBeUndefined();
    const bearer = { authorization: `Bearer ${key}` };
    expect((await call(base, '/api/downloads', { localAddress: REMOTE, headers: bearer })).status).toBe(200);
    expect((await call(base, '/api/downloads', { method: 'POST', localAddress: REMOTE, headers: bearer, json: { url: 'https://cdn.example/k.m3u8' } })).status).toBe(403);
    // Keys need no CSRF token: they are not sent by browsers on their own.
    await call(base, `/api/keys/${created.body.id}`, { method: 'PATCH', localAddress: REMOTE, headers: as(admin), json: { role: 'operator' } });
    expect((await call(base, '/api/downloads', { method: 'POST', localAddress: REMOTE, headers: bearer, json: { url: 'https://cdn.example/k.m3u8' } })).status).toBe(201);
    expect((await call(base, `/api/keys/${created.body.id}`, { method: 'DELETE', localAddress: REMOTE, headers: as(admin) })).status).toBe(204);
    expect((await call(base, '/api/downloads', { localAddress: REMOTE, headers: bearer })).status).toBe(401);
    // EventSource cannot send headers: /api/events takes ?token= (and only that route does).
    const viewerKey = (await app.auth.createKey({ name: 'sse', role: 'viewer' }, 'test')).key;
    expect((await call(base, `/api/events?token=${viewerKey}`, { localAddress: REMOTE })).status).toBe(200);
    expect((await call(base, `/api/downloads?token=${viewerKey}`, { localAddress: REMOTE })).status).toBe(401);
  });

  it('limits failed sign-ins per name and per address, and says when to retry', async () => {
    const attempt = (username: string, password: string, from = '127.0.0.3') => call(base, '/api/auth/login', { method: 'POST', localAddress: from, json: { username, password } });
    for (let i = 0; i < 5; i++) expect((await attempt('victor', 'wrong-password')).status).toBe(401);
    const locked = await attempt('victor', 'victor-password');
    expect([locked.status, locked.body.error.code]).toEqual([429, 'too_many_attempts']);
    expect(Number(locked.headers['retry-after'])).toBeGreaterThan(0);
    // Another account from another address is unaffected.
    expect((await attempt('admin', adminPassword, '127.0.0.4')).status).toBe(200);
    // Ten failures from one address lock that address for every name.
    for (let i = 0; i < 5; i++) await attempt(`nobody${i}`, 'x', '127.0.0.5');
    for (let i = 0; i < 5; i++) await attempt(`nobody${i}`, 'y', '127.0.0.5');
    expect((await attempt('admin', adminPassword, '127.0.0.5')).status).toBe(429);
    const failed = app.activity.list({ limit: 50, offset: 0, action: 'auth.login_failed' });
    expect(failed.total).toBeGreaterThanOrEqual(5);
    expect(failed.items[0]).toMatchObject({ actor: { kind: 'system', name: 'anonymous' }, via: 'direct' });
  });

  it('records who changed what, when and from where', async () => {
    const admin = await session('admin', adminPassword);
    const res = await call(base, '/api/activity?limit=200', { localAddress: REMOTE, headers: as(admin) });
    const actions = res.body.items.map((e: { action: string }) => e.action);
    for (const a of ['auth.setup', 'auth.login', 'auth.logout', 'user.created', 'user.updated', 'download.created', 'key.created', 'key.updated', 'key.revoked']) expect(actions).toContain(a);
    const created = res.body.items.find((e: { action: string; target: string }) => e.action === 'user.created' && e.target === 'olga');
    expect(created).toMatchObject({ actor: { kind: 'session', name: 'admin', role: 'admin' }, ip: REMOTE, via: 'direct', details: { role: 'operator' } });
    expect(Date.parse(created.at)).toBeGreaterThan(Date.now() - 60_000);
  });
});

describe('CORS', () => {
  let app: TestApp;
  let base: string;
  beforeAll(async () => {
    app = await makeTestApp({ CORS_ORIGINS: 'chrome-extension://abcdefghijklmnop, https://dash.example', API_KEY: 'k-0123456789' }, { http: hangingHttp() });
    const server = await app.listen(0, '127.0.0.1');
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => app?.dispose());

  it('answers preflights and sets Allow-Origin only for listed origins, never with credentials', async () => {
    const pre = await call(base, '/api/downloads', {
      method: 'OPTIONS',
      headers: { origin: 'chrome-extension://abcdefghijklmnop', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type' },
    });
    expect(pre.status).toBe(204);
    expect(pre.headers['access-control-allow-origin']).toBe('chrome-extension://abcdefghijklmnop');
    expect(pre.headers['access-control-allow-headers']).toMatch(/Authorization/);
    expect(pre.headers['access-control-allow-credentials']).toBeUndefined();
    const get = await call(base, '/api/downloads', { headers: { origin: 'https://dash.example', authorization: 'Bearer k-0123456789' } });
    expect([get.status, get.headers['access-control-allow-origin']]).toEqual([200, 'https://dash.example']);
    const denied = await call(base, '/api/downloads', { headers: { origin: 'https://evil.example', authorization: 'Bearer k-0123456789' } });
    expect(denied.headers['access-control-allow-origin']).toBeUndefined();
    const deniedPre = await call(base, '/api/downloads', { method: 'OPTIONS', headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' } });
    expect(deniedPre.headers['access-control-allow-origin']).toBeUndefined();
  });
});
