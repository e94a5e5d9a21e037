import { once } from 'node:events';
import { readdir } from 'node:fs/promises';
import net, { type AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { makeTestApp, waitFor, type TestApp } from '../helpers/app.js';
import { call } from '../helpers/http-call.js';

/**
 * Broken uploads (issue 12): a client that closes the tab half-way, a body cut before the closing
 * boundary, a multipart type without a boundary, a JSON body far over the limit. None of them may
 * take the process down; each gets a 4xx (when the client is still there to read it).
 */
describe('broken uploads never take the server down', () => {
  let app: TestApp;
  let base: string;
  let port: number;
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown): void => {
    unhandled.push(reason);
  };

  beforeAll(() => {
    process.on('unhandledRejection', onUnhandled);
    process.on('uncaughtException', onUnhandled);
  });
  afterAll(() => {
    process.off('unhandledRejection', onUnhandled);
    process.off('uncaughtException', onUnhandled);
  });
  beforeEach(async () => {
    unhandled.length = 0;
    app = await makeTestApp({ UPLOAD_MAX_MB: '4' });
    const server = await app.listen(0, '127.0.0.1');
    port = (server.address() as AddressInfo).port;
    base = `http://127.0.0.1:${port}`;
  });
  afterEach(() => app.dispose());

  const BOUNDARY = '----hardening0123';
  const head = (method: string, path: string, length: number): string =>
    `${method} ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: multipart/form-data; boundary=${BOUNDARY}\r\nContent-Length: ${length}\r\nConnection: close\r\n\r\n`;
  const partStart = `--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="list.m3u"\r\nContent-Type: audio/x-mpegurl\r\n\r\n#EXTM3U\r\n`;

  /** Sends headers plus part of the body, then disconnects without reading an answer. */
  async function sendHalfAndHangUp(method: string, path: string): Promise<void> {
    const socket = net.connect(port, '127.0.0.1');
    await once(socket, 'connect');
    const body = partStart + '#EXTINF:-1,Film\r\nhttp://cdn.example/1.mp4\r\n'.repeat(2000);
    socket.write(head(method, path, body.length * 2));
    socket.write(body);
    // Let the server start streaming the part to disk before the client vanishes.
    await waitFor(async () => ((await readdir(app.sources.uploadsDir).catch(() => [])).some((f) => f.startsWith('.upload-')) ? true : undefined), 5000, 'upload started');
    socket.destroy();
  }

  /** Sends a body that ends before the closing boundary (Content-Length matches), reads the answer. */
  async function sendTruncated(method: string, path: string): Promise<string> {
    const socket = net.connect(port, '127.0.0.1');
    await once(socket, 'connect');
    const body = partStart + '#EXTINF:-1,Film\r\nhttp://cdn.example/1.mp4\r\n';
    socket.write(head(method, path, body.length) + body);
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    await once(socket, 'close');
    return Buffer.concat(chunks).toString('utf8');
  }

  async function expectAlive(): Promise<void> {
    const health = await call(base, '/api/health');
    expect(health.status).toBe(200);
    // Give a stray rejection a turn of the event loop to surface before checking.
    await new Promise((r) => setImmediate(r));
    expect(unhandled.map(String)).toEqual([]);
    await waitFor(async () => ((await readdir(app.sources.uploadsDir).catch(() => [])).some((f) => f.startsWith('.upload-')) ? undefined : true), 5000, 'temp upload removed');
  }

  it('POST /api/sources: a client disconnecting half-way', async () => {
    await sendHalfAndHangUp('POST', '/api/sources');
    await expectAlive();
    expect((await call(base, '/api/sources')).body.total).toBe(0);
  });

  it('POST /api/sources: a body cut before the closing boundary answers 400', async () => {
    const answer = await sendTruncated('POST', '/api/sources');
    expect(answer).toMatch(/^HTTP\/1\.1 400/);
    expect(answer).toMatch(/"code":"invalid_request"/);
    await expectAlive();
  });

  it('PUT /api/sources/:id/file: disconnect and truncation', async () => {
    const created = await call(base, '/api/sources', { method: 'POST', json: { name: 'Pendrive', kind: 'file' } });
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    await sendHalfAndHangUp('PUT', `/api/sources/${id}/file`);
    await expectAlive();
    const answer = await sendTruncated('PUT', `/api/sources/${id}/file`);
    expect(answer).toMatch(/^HTTP\/1\.1 400/);
    await expectAlive();
    expect((await call(base, `/api/sources/${id}`)).body.file).toBeNull();
  });

  it('multipart without a boundary answers 400, not 500', async () => {
    const res = await call(base, '/api/sources', { method: 'POST', headers: { 'content-type': 'multipart/form-data', 'content-length': '4' }, rawBody: 'abcd' });
    expect([res.status, res.body?.error?.code]).toEqual([400, 'invalid_request']);
    expect(res.body.error.message).toMatch(/boundary/);
    await expectAlive();
  });

  it('a 50 MB JSON body answers 413', async () => {
    const res = await call(base, '/api/downloads', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      rawBody: Buffer.alloc(50 * 1024 * 1024, 0x20),
    });
    expect([res.status, res.body?.error?.code]).toEqual([413, 'too_large']);
    await expectAlive();
  });
});
