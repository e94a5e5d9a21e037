import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { brotliCompressSync } from 'node:zlib';
import path from 'node:path';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Koa from 'koa';
import { baseHref, panelMiddleware } from '../../addon/http/panel.js';

describe('baseHref', () => {
  it.each([
    [undefined, '/', './'],
    [undefined, '/index.html', './'],
    [undefined, '/downloads', './'],
    [undefined, '/a/b', '../'],
    [undefined, '/a/b/c', '../../'],
    ['/api/hassio_ingress/abc-123_X', '/', '/api/hassio_ingress/abc-123_X/'],
    ['/api/hassio_ingress/abc/', '/x/y', '/api/hassio_ingress/abc/'],
    ['/api/hassio_ingress/"><script>', '/', './'],
    ['//evil.example', '/', './'],
    ['/a/../../b', '/', './'],
    ['https://evil.example/', '/', './'],
  ])('ingress %s, path %s -> %s', (ingress, p, expected) => {
    expect(baseHref(ingress, p)).toBe(expected);
  });
});

describe('serving the panel', () => {
  let dir: string;
  let koa: Koa;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'm3udl-panel-'));
    await mkdir(path.join(dir, 'assets'));
    await writeFile(path.join(dir, 'index.html'), '<!doctype html><html><head><!--panel-base--><title>t</title></head><body>panel</body></html>');
    await writeFile(path.join(dir, 'assets', 'index-abc123.js'), 'console.log(1)'.repeat(200));
    await writeFile(path.join(dir, 'assets', 'index-abc123.js.br'), brotliCompressSync('/* the brotli copy */'));
    await writeFile(path.join(dir, 'favicon.svg'), '<svg/>');
    koa = new Koa();
    koa.use(panelMiddleware({ dir })!);
    // What the app's API answers behind the panel (the panel must leave /api alone).
    koa.use((ctx) => {
      ctx.status = 404;
      ctx.body = { error: { code: 'not_found', message: `no route for ${ctx.method} ${ctx.path}` } };
    });
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('serves index.html at / with a base, no-cache, an ETag and a CSP', async () => {
    const res = await request(koa.callback()).get('/').expect(200);
    expect(res.headers['content-type']).toMatch(/text\/html/);
    expect(res.text).toContain('<base href="./">');
    expect(res.headers['cache-control']).toBe('no-cache');
    expect(res.headers['content-security-policy']).toContain("default-src 'self'");
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers.vary).toContain('X-Ingress-Path');
    const again = await request(koa.callback()).get('/').set('If-None-Match', res.headers.etag!).expect(304);
    expect(again.text ?? '').toBe('');
  });

  it('puts the ingress prefix in the base when X-Ingress-Path is sent', async () => {
    const res = await request(koa.callback()).get('/').set('X-Ingress-Path', '/api/hassio_ingress/tok3n').expect(200);
    expect(res.text).toContain('<base href="/api/hassio_ingress/tok3n/">');
  });

  it('caches hashed assets for a year, serves pre-compressed copies, revalidates the rest', async () => {
    const asset = await request(koa.callback()).get('/assets/index-abc123.js').set('Accept-Encoding', 'identity').expect(200);
    expect(asset.headers['cache-control']).toBe('max-age=31536000,immutable');
    expect(asset.headers['content-type']).toMatch(/javascript/);
    const br = await request(koa.callback()).get('/assets/index-abc123.js').set('Accept-Encoding', 'br').expect(200);
    expect(br.headers['content-encoding']).toBe('br');
    expect(br.text).toBe('/* the brotli copy */');
    expect(br.headers.vary).toContain('Accept-Encoding');
    const icon = await request(koa.callback()).get('/favicon.svg').expect(200);
    expect(icon.headers['cache-control']).toBe('no-cache');
    await request(koa.callback()).get('/favicon.svg').set('If-Modified-Since', icon.headers['last-modified']!).expect(304);
  });

  it('falls back to the panel for other paths, but not for missing files or the API', async () => {
    const deep = await request(koa.callback()).get('/sources/abc').expect(200);
    expect(deep.text).toContain('<base href="../">');
    await request(koa.callback()).get('/assets/missing.js').expect(404);
    await request(koa.callback()).get('/nothing.png').expect(404);
    for (const evil of ['/../package.json', '/%2e%2e/package.json', '/assets/..%2f..%2fpackage.json']) {
      const r = await request(koa.callback()).get(evil);
      expect([400, 403, 404]).toContain(r.status);
      expect(r.text).not.toContain('m3u-downloader');
    }
    const api = await request(koa.callback()).get('/api/nothing').expect(404);
    expect(api.body.error.code).toBe('not_found');
    await request(koa.callback()).get('/api').expect(404);
    await request(koa.callback()).post('/').expect(404);
  });

  it('is off when no panel is built', () => {
    expect(panelMiddleware({ dir: path.join(dir, 'missing') })).toBeNull();
  });
});
