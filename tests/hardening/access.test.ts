import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { Job } from '../../addon/jobs/model.js';
import { hangingHttp } from '../helpers/hanging-http.js';
import { makeTestApp, waitFor, type TestApp } from '../helpers/app.js';
import { call } from '../helpers/http-call.js';

/**
 * Access (issue 12): before setup the local trust does not extend to other web sites (cross-site
 * writes, simple text/plain POSTs, DNS-rebinding Host names); viewers cannot preview rules or see
 * an Xtream account name; downloads never target link-local / metadata addresses or the server's
 * own port; local destinations never point into /proc, /sys or /dev.
 */
let app: TestApp | undefined;
afterEach(async () => {
  await app?.dispose();
  app = undefined;
});
const start = async (env: Record<string, string> = {}, overrides: Parameters<typeof makeTestApp>[1] = {}): Promise<{ base: string; port: number }> => {
  app = await makeTestApp(env, overrides);
  const port = ((await app.listen(0, '127.0.0.1')).address() as AddressInfo).port;
  return { base: `http://127.0.0.1:${port}`, port };
};

describe('before setup: the local trust is for this machine, not for web pages', () => {
  it('a cross-site simple POST (text/plain, Origin of another site) does not pause the queue', async () => {
    const { base } = await start();
    const res = await call(base, '/api/queue/pause', { method: 'POST', headers: { origin: 'http://evil.example', 'content-type': 'text/plain' }, rawBody: 'x' });
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('cross_site_refused');
    expect(app!.jobs.isQueuePaused()).toBe(false);
  });

  it('Sec-Fetch-Site: cross-site is refused even with a JSON body; same-origin and tools still work', async () => {
    const { base, port } = await start();
    const cross = await call(base, '/api/queue/pause', { method: 'POST', headers: { 'sec-fetch-site': 'cross-site' }, json: {} });
    expect([cross.status, cross.body.error.code]).toEqual([403, 'cross_site_refused']);
    expect(app!.jobs.isQueuePaused()).toBe(false);
    const sameOrigin = await call(base, '/api/queue/pause', { method: 'POST', headers: { origin: `http://127.0.0.1:${port}`, 'sec-fetch-site': 'same-origin' }, json: {} });
    expect(sameOrigin.status).toBe(200);
    const curl = await call(base, '/api/queue/resume', { method: 'POST' });
    expect(curl.status).toBe(200);
  });

  it('a foreign Host name (DNS rebinding) gets no trust; localhost, IP literals and allowed_hosts do', async () => {
    const { base, port } = await start({ ALLOWED_HOSTS: 'nas.local' });
    const rebound = await call(base, '/api/downloads', { headers: { host: `attacker.example:${port}` } });
    expect(rebound.status).toBe(401);
    expect(rebound.body.error.message).toMatch(/DNS rebinding.*allowed_hosts/);
    for (const host of [`localhost:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`, `nas.local:${port}`]) {
      expect((await call(base, '/api/downloads', { headers: { host } })).status, host).toBe(200);
    }
  });
});

describe('JSON routes want JSON', () => {
  it('a text/plain or form body is 415 even with a valid key', async () => {
    const { base } = await start({ API_KEY: 'content-type-admin-key-0123456789' });
    const auth = { authorization: 'Bearer content-type-admin-key-0123456789' };
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
      const res = await call(base, '/api/downloads', { method: 'POST', headers: { ...auth, 'content-type': type }, rawBody: '{"url":"http://192.0.2.1/a.mp4"}' });
      expect([res.status, res.body.error.code], type).toEqual([415, 'unsupported_media_type']);
    }
    expect(app!.jobs.list({ limit: 10, offset: 0 }).total).toBe(0);
  });
});

describe('viewers', () => {
  it('cannot preview rules, and never see an Xtream username; operators do', async () => {
    const { base } = await start({ API_KEY: 'viewer-test-admin-key-0123456789' }, { http: hangingHttp() });
    const viewer = (await app!.auth.createKey({ name: 'wall tablet', role: 'viewer' }, 'test')).key;
    const operator = (await app!.auth.createKey({ name: 'script', role: 'operator' }, 'test')).key;
    const created = await call(base, '/api/sources', {
      method: 'POST',
      headers: { authorization: `Bearer ${operator}` },
      json: { name: 'IPTV', kind: 'xtream', server: 'http://192.0.2.7:8080', username: 'joao.silva.1987', password: 'segredo-123', schedule: null },
    });
    expect(created.status, created.text).toBe(201);
    const id = created.body.id as string;
    const preview = await call(base, `/api/sources/${id}/rules/preview`, { method: 'POST', headers: { authorization: `Bearer ${viewer}` }, json: {} });
    expect(preview.status).toBe(403);
    for (const path of ['/api/sources', `/api/sources/${id}`]) {
      const seen = await call(base, path, { headers: { authorization: `Bearer ${viewer}` } });
      expect(seen.status).toBe(200);
      expect(seen.text).not.toContain('joao.silva.1987');
      expect(seen.text).not.toContain('segredo-123');
    }
    expect((await call(base, `/api/sources/${id}`, { headers: { authorization: `Bearer ${operator}` } })).body.username).toBe('joao.silva.1987');
  });
});

describe('download targets', () => {
  const finished = (id: string): Job | undefined => {
    const j = app!.jobs.get(id);
    return ['completed', 'failed', 'cancelled'].includes(j.status) ? j : undefined;
  };

  it('link-local / metadata addresses and the server\'s own port are refused, naming why', async () => {
    const { port } = await start();
    const cases: Array<[string, RegExp]> = [
      ['http://169.254.169.254/latest/meta-data/iam/', /link-local address/],
      ['http://[fd00:ec2::254]/latest/meta-data/', /link-local address/],
      [`http://127.0.0.1:${port}/api/queue/pause`, /this server itself/],
      [`http://localhost:${port}/api/health`, /this server itself/],
    ];
    for (const [url, reason] of cases) {
      const job = app!.jobs.create({ url });
      const done = await waitFor(() => finished(job.id), 10_000, url);
      expect(done.status, url).toBe('failed');
      expect(done.error?.code, url).toBe('target_forbidden');
      expect(done.error?.message, url).toMatch(reason);
    }
    expect(app!.jobs.isQueuePaused()).toBe(false);
  });
});

describe('local destinations', () => {
  it.each([
    ['/proc/self', /inside \/proc, \/sys or \/dev/],
    ['/sys/kernel', /inside \/proc, \/sys or \/dev/],
    ['/dev', /inside \/proc, \/sys or \/dev/],
    ['/media/../etc', /normal form \(\/etc\)/],
    ['/media//library/./x', /normal form \(\/media\/library\/x\)/],
    ['media/library', /absolute folder/],
  ])('base_path %s is refused', async (basePath, message) => {
    const { base } = await start();
    const res = await call(base, '/api/destinations', { method: 'POST', json: { name: 'x', kind: 'local', base_path: basePath } });
    expect(res.status).toBe(400);
    expect(res.body.error.field).toBe('base_path');
    expect(res.body.error.message).toMatch(message);
  });

  it('a normal absolute folder (trailing slash allowed) is accepted', async () => {
    const { base } = await start();
    const res = await call(base, '/api/destinations', { method: 'POST', json: { name: 'NAS', kind: 'local', base_path: `${app!.root}/nas/` } });
    expect(res.status, res.text).toBe(201);
  });
});
