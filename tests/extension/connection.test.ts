import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS, ServerError, testConnection } from '../../extension/src/api.js';
import { MESSAGES } from '../../extension/src/messages.js';
import { hangingHttp } from '../helpers/hanging-http.js';
import { makeTestApp, type TestApp } from '../helpers/app.js';

/** The options page's "Test connection", against the real server and a few impostors. */
describe('extension: Test connection', () => {
  let app: TestApp;
  let server: Server;
  let url: string;
  let version: string;
  const impostors: Server[] = [];

  async function serve(handler: http.RequestListener): Promise<string> {
    const s = http.createServer(handler);
    impostors.push(s);
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    return `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
  }

  beforeAll(async () => {
    app = await makeTestApp({}, { http: hangingHttp() });
    server = await app.listen(0, '127.0.0.1');
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    version = ((await (await fetch(`${url}/api/health`)).json()) as { version: string }).version;
  });
  afterAll(async () => {
    for (const s of impostors) await new Promise((r) => s.close(r));
    await app?.dispose();
  });

  const settings = (serverUrl: string, apiKey: string) => ({ ...DEFAULT_SETTINGS, serverUrl, apiKey });
  const failure = async (p: Promise<unknown>): Promise<string> => {
    const err = await p.then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(ServerError);
    return (err as ServerError).message;
  };

  it('connects with an operator key and names the key and role', async () => {
    const key = (await app.auth.createKey({ name: 'Laptop Firefox', role: 'operator' }, 'test')).key;
    expect(await testConnection(settings(`${url}/`, key))).toBe(MESSAGES.connected(version, 'Laptop Firefox', 'operator'));
  });

  it('says a viewer key cannot send downloads', async () => {
    const key = (await app.auth.createKey({ name: 'read only', role: 'viewer' }, 'test')).key;
    expect(await failure(testConnection(settings(url, key)))).toBe(MESSAGES.wrongRole('viewer'));
  });

  it('says the key was rejected', async () => {
    expect(await failure(testConnection(settings(url, 'm3udl_nope')))).toBe(MESSAGES.keyRejected);
  });

  it('says a server without /api/probe is too old, and something else is not the downloader', async () => {
    const old = await serve((req, res) => {
      res.setHeader('Content-Type', 'application/json');
      if (req.url === '/api/health') return res.end(JSON.stringify({ status: 'ok', version: '0.0.9' }));
      if (req.url === '/api/auth/me') return res.end(JSON.stringify({ authenticated: true, principal: { name: 'k', role: 'operator' } }));
      res.statusCode = 404;
      res.end(JSON.stringify({ error: { code: 'not_found', message: 'no route' } }));
    });
    expect(await failure(testConnection(settings(old, 'k')))).toBe(MESSAGES.oldServer('0.0.9'));
    const other = await serve((_req, res) => res.writeHead(200, { 'Content-Type': 'text/html' }).end('<h1>My router</h1>'));
    expect(await failure(testConnection(settings(other, 'k')))).toBe(MESSAGES.notOurServer(other));
  });

  it('says how to trust a self-signed certificate when an https address cannot be reached', async () => {
    // A plain-http server spoken to with https fails the TLS handshake, as an untrusted certificate does.
    const https = url.replace('http:', 'https:');
    expect(await failure(testConnection(settings(https, 'k')))).toBe(MESSAGES.unreachableTls(https));
  });

  it('refuses an address that is not http(s)', async () => {
    expect(await failure(testConnection(settings('ftp://nas.local', 'k')))).toBe(MESSAGES.badUrl);
    expect(await failure(testConnection(settings('192.168.1.10:8099', 'k')))).toBe(MESSAGES.badUrl);
  });
});
