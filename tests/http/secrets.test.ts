import { readFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../addon/platform/logger.js';
import { hangingHttp } from '../helpers/hanging-http.js';
import { makeTestApp, type TestApp } from '../helpers/app.js';
import { call, type CallOptions, type CallResult } from '../helpers/http-call.js';

/**
 * Drives the sign-in, key and download flows with every kind of secret in play, keeping every
 * response body and every log line (at trace level), then looks for the secrets in them.
 */
describe('secrets never appear in API responses or log lines', () => {
  let app: TestApp;
  let base: string;
  const logLines: string[] = [];
  const responses: { what: string; text: string }[] = [];
  const secrets = {
    bootstrapKey: 'bootstrap-key-Zq8yXv2Lm4Np6Rt',
    mqttPassword: 'mqtt-password-Hk3Jd9Sa1Wq',
    adminPassword: 'admin-password-Pz7Qm2Xv9',
    userPassword: 'user-password-Lk4Fj8Rt3',
    headerToken: 'header-bearer-Yb6Tn1Vc5',
    urlPassword: 'url-password-Gh2Kl9Mn4',
  };
  const extra: Record<string, string> = {};

  const send = async (what: string, p: string, opts: CallOptions = {}): Promise<CallResult> => {
    const res = await call(base, p, { localAddress: '127.0.0.2', ...opts });
    responses.push({ what, text: res.text });
    return res;
  };

  beforeAll(async () => {
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        logLines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
        done();
      },
    });
    app = await makeTestApp(
      { API_KEY: secrets.bootstrapKey, MQTT_PASSWORD: secrets.mqttPassword, MAX_CONCURRENT_DOWNLOADS: '1' },
      { http: hangingHttp(), logger: createLogger('trace', sink) },
    );
    const server = await app.listen(0, '127.0.0.1');
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

    const bootstrap = { authorization: `Bearer ${secrets.bootstrapKey}` };
    await send('setup', '/api/auth/setup', { method: 'POST', json: { username: 'admin', password: secrets.adminPassword } });
    const login = await send('login', '/api/auth/login', { method: 'POST', json: { username: 'admin', password: secrets.adminPassword } });
    extra.session = login.cookies.m3udl_session!;
    const cookie = { cookie: `m3udl_session=${extra.session}`, 'x-csrf-token': login.body.csrf_token as string };
    await send('wrong login', '/api/auth/login', { method: 'POST', json: { username: 'admin', password: `${secrets.adminPassword}-wrong` } });
    await send('create user', '/api/users', { method: 'POST', headers: cookie, json: { username: 'eve', password: secrets.userPassword, role: 'viewer' } });
    await send('change password', `/api/users/${app.auth.listUsers()[1]!.id}`, { method: 'PATCH', headers: cookie, json: { password: `${secrets.userPassword}-2` } });
    const key = await call(base, '/api/keys', { method: 'POST', localAddress: '127.0.0.2', headers: cookie, json: { name: 'automation', role: 'operator' } });
    extra.apiKey = key.body.key as string;
    const byKey = { authorization: `Bearer ${extra.apiKey}` };
    await send('list keys', '/api/keys', { headers: bootstrap });
    const job = await send('create download', '/api/downloads', {
      method: 'POST',
      headers: byKey,
      json: { url: `https://user:${secrets.urlPassword}@cdn.example/show/master.m3u8`, headers: { Authorization: `Bearer ${secrets.headerToken}` } },
    });
    await send('get download', `/api/downloads/${job.body.id}`, { headers: byKey });
    await send('list downloads', '/api/downloads', { headers: cookie });
    await send('activity', '/api/activity?limit=500', { headers: byKey });
    await send('health', '/api/health', { headers: byKey });
    await send('stats', '/api/stats', { headers: byKey });
    await send('me', '/api/auth/me', { headers: cookie });
    await send('users', '/api/users', { headers: cookie });
    await send('bad key', '/api/downloads', { headers: { authorization: 'Bearer m3u_wrong' } });
    await send('events with token', `/api/events?token=${extra.apiKey}`);
    await new Promise((r) => setTimeout(r, 100));
  });
  afterAll(() => app?.dispose());

  it('the flows ran and logged', () => {
    expect(responses.length).toBeGreaterThan(15);
    expect(logLines.some((l) => l.includes('"request"') || l.includes('download queued'))).toBe(true);
    expect(extra.apiKey).toMatch(/^m3u_/);
  });

  it('no response body carries a secret', () => {
    const all = { ...secrets, ...extra };
    const leaks = responses.flatMap(({ what, text }) => Object.entries(all).filter(([, secret]) => text.includes(secret)).map(([name]) => `${name} in the ${what} response`));
    expect(leaks).toEqual([]);
    expect(responses.map((r) => r.text).join('\n')).not.toMatch(/scrypt\$|password_hash|"hash"/);
  });

  it('no log line carries a secret', () => {
    const all = { ...secrets, ...extra };
    const leaks = logLines.flatMap((line) => Object.entries(all).filter(([, secret]) => line.includes(secret)).map(([name]) => `${name}: ${line.slice(0, 200)}`));
    expect(leaks).toEqual([]);
  });

  it('db.json and the activity log hold hashes, not passwords, keys or session tokens', async () => {
    await app.store.flush();
    await app.activity.close();
    const stored = [await readFile(path.join(app.config.data_dir, 'db.json'), 'utf8'), await readFile(path.join(app.config.data_dir, 'activity.jsonl'), 'utf8')].join('\n');
    for (const [name, secret] of Object.entries({ ...extra, adminPassword: secrets.adminPassword, userPassword: secrets.userPassword, bootstrapKey: secrets.bootstrapKey })) {
      expect(stored.includes(secret), name).toBe(false);
    }
    expect(stored).toMatch(/scrypt\$32768\$8\$1\$|scrypt\$1024\$8\$1\$/);
  });
});
