import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTestApp, type TestApp } from '../helpers/app.js';
import { call } from '../helpers/http-call.js';

/**
 * Every JSON route (POST/PUT/PATCH of the route table, so routes added later are covered too)
 * against malformed JSON, wrong types, huge strings, control characters, deep nesting and
 * prototype keys: the answer is a 4xx with the JSON error shape (a route that ignores its body
 * may answer 2xx), never a 500, and the server is alive and unchanged in the ways that matter
 * afterwards.
 */
const KEY = 'fuzz-admin-key-0123456789abcdef';
const BIG = 'a'.repeat(120_000);
const FIELDS = ['url', 'name', 'kind', 'title', 'username', 'password', 'role', 'enabled', 'rules', 'schedule', 'headers', 'server', 'base_path', 'host', 'port', 'templates', 'ids', 'priority', 'quality', 'container', 'max_concurrent_downloads', 'current_password', 'new_password', 'content_type', 'referer', 'naming', 'scope'];
const all = (value: unknown): Record<string, unknown> => Object.fromEntries(FIELDS.map((f) => [f, value]));
const nested = (depth: number): string => '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);

/** [label, raw body, must be exactly 400 (unparseable)] */
const PAYLOADS: Array<[string, string, boolean]> = [
  ['truncated object', '{"url": "http://x', true],
  ['truncated array', '[1, 2', true],
  ['bare word', 'nul', true],
  ['NUL byte', '\u0000', true],
  ['trailing garbage', '{} {}', true],
  ['single quotes', "{'url': 'x'}", true],
  ['null', 'null', false],
  ['array', '[]', false],
  ['string', '"hello"', false],
  ['number', '123', false],
  ['boolean', 'true', false],
  ['numbers everywhere', JSON.stringify(all(123)), false],
  ['arrays everywhere', JSON.stringify(all([1, 'x', null])), false],
  ['objects everywhere', JSON.stringify(all({ x: { y: 1 } })), false],
  ['nulls everywhere', JSON.stringify(all(null)), false],
  ['huge strings', JSON.stringify(Object.fromEntries(FIELDS.slice(0, 7).map((f) => [f, BIG]))), false],
  ['control characters', JSON.stringify(all('a\u0000b\u001b[31m\r\nX-Injected: 1\u202e\ud800')), false],
  ['header injection', JSON.stringify({ url: 'http://192.0.2.1/a.mp4', headers: { 'x-a': 'v\r\nHost: evil', 'bad name': 'v' } }), false],
  ['extreme numbers', JSON.stringify(all(1e308)), false],
  ['negative numbers', JSON.stringify(all(-1)), false],
  ['deep nesting', nested(5000), false],
  ['prototype keys', '{"__proto__": {"role": "admin", "polluted": true}, "constructor": {"prototype": {"polluted": true}}}', false],
];

/** Routes that take no body (the action is in the path): 2xx is a fine answer to any JSON. */
const BODY_IGNORED = [/\/(pause|resume|cancel|retry|sync|test|check|logout)$/];

let app: TestApp;
let base: string;
let ids: Record<string, string>;

beforeAll(async () => {
  app = await makeTestApp({ API_KEY: KEY, API_WRITE_RATE_PER_MINUTE: '0' });
  base = `http://127.0.0.1:${((await app.listen(0, '127.0.0.1')).address() as AddressInfo).port}`;
  const auth = { authorization: `Bearer ${KEY}` };
  await call(base, '/api/queue/pause', { method: 'POST', headers: auth });
  const job = app.jobs.create({ url: 'http://127.0.0.1:1/never.mp4', title: 'fuzz' });
  const source = await call(base, '/api/sources', { method: 'POST', headers: auth, json: { name: 'Fuzz list', kind: 'm3u', url: 'http://127.0.0.1:1/list.m3u', schedule: null } });
  const user = await call(base, '/api/users', { method: 'POST', headers: auth, json: { username: 'fuzzuser', password: 'fuzz-password-123', role: 'viewer' } });
  const key = await app.auth.createKey({ name: 'fuzz key', role: 'viewer' }, 'test');
  const dests = await call(base, '/api/destinations', { headers: auth });
  ids = { id: job.id, source: source.body.id, user: user.body.id, key: key.id, destination: dests.body.items[0].id };
  for (const [name, value] of Object.entries(ids)) expect(value, name).toBeTruthy();
});
afterAll(() => app?.dispose());

describe('fuzz: every JSON route', () => {
  it('answers 4xx (never 5xx) to malformed bodies, and the server stays up', async () => {
    const routes = app.koa.routeTable.flatMap((r) => r.methods.filter((m) => ['POST', 'PUT', 'PATCH'].includes(m)).map((method) => ({ method, pattern: r.path })));
    expect(routes.length).toBeGreaterThan(25);
    const concrete = (pattern: string): string =>
      pattern
        .replace(/^\/api\/sources\/:id/, `/api/sources/${ids.source}`)
        .replace(/^\/api\/users\/:id/, `/api/users/${ids.user}`)
        .replace(/^\/api\/keys\/:id/, `/api/keys/${ids.key}`)
        .replace(/^\/api\/destinations\/:id/, `/api/destinations/${ids.destination}`)
        .replace(/:id/, ids.id!);
    const problems: string[] = [];
    let sent = 0;
    for (const { method, pattern } of routes) {
      const path = concrete(pattern);
      for (const [label, body, unparseable] of PAYLOADS) {
        const res = await call(base, path, { method, headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' }, rawBody: body });
        sent++;
        const what = `${method} ${pattern} <- ${label}: ${res.status} ${res.text.slice(0, 160)}`;
        if (res.status >= 500) problems.push(what);
        else if (unparseable && res.status !== 400) problems.push(what);
        else if (res.status >= 400 && typeof res.body?.error?.code !== 'string') problems.push(`${what} (no JSON error)`);
        else if (res.status < 400 && !BODY_IGNORED.some((re) => re.test(pattern))) problems.push(`${what} (accepted)`);
      }
    }
    // The wrong content types, including multipart without its boundary.
    for (const { method, pattern } of routes) {
      for (const type of ['multipart/form-data', 'multipart/form-data; boundary=', 'text/plain', 'application/x-www-form-urlencoded']) {
        const res = await call(base, concrete(pattern), { method, headers: { authorization: `Bearer ${KEY}`, 'content-type': type }, rawBody: '{"url":"http://192.0.2.1/a.mp4","name":"x"}' });
        sent++;
        const what = `${method} ${pattern} <- ${type}: ${res.status} ${res.text.slice(0, 160)}`;
        if (res.status >= 500) problems.push(what);
        else if (res.status >= 400 && typeof res.body?.error?.code !== 'string') problems.push(`${what} (no JSON error)`);
        else if (res.status < 400 && !BODY_IGNORED.some((re) => re.test(pattern))) problems.push(`${what} (accepted)`);
      }
    }
    expect(problems).toEqual([]);
    expect(sent).toBeGreaterThan(500);
    // Alive, answering, and nothing polluted.
    expect((await call(base, '/api/health')).status).toBe(200);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(({} as Record<string, unknown>).role).toBeUndefined();
    const me = await call(base, '/api/auth/me', { headers: { authorization: `Bearer ${KEY}` } });
    expect(me.status).toBe(200);
  }, 120_000);
});
