import Koa from 'koa';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { jsonBodies } from '../../addon/http/json-body.js';

/** A Koa app with only the JSON body middleware, echoing what it saw; `loads` counts imports of @koa/bodyparser. */
function echoApp(load?: () => Promise<typeof import('@koa/bodyparser')>): { app: Koa; loads: () => number } {
  let loads = 0;
  const counted = async (): Promise<typeof import('@koa/bodyparser')> => {
    loads++;
    return load ? load() : import('@koa/bodyparser');
  };
  const app = new Koa();
  app.use(jsonBodies(counted));
  app.use((ctx) => {
    ctx.body = { method: ctx.method, body: ctx.request.body ?? null };
  });
  return { app, loads: () => loads };
}

describe('JSON request bodies', () => {
  it('loads the parser on the first request with a body, never for GET or DELETE', async () => {
    const { app, loads } = echoApp();
    const server = app.callback();
    expect((await request(server).get('/api/health')).body).toEqual({ method: 'GET', body: null });
    expect((await request(server).delete('/api/downloads/x')).body).toEqual({ method: 'DELETE', body: null });
    expect(loads()).toBe(0);
    const posted = await request(server).post('/api/downloads').send({ url: 'http://example.test/a.m3u8' });
    expect(posted.body).toEqual({ method: 'POST', body: { url: 'http://example.test/a.m3u8' } });
    expect((await request(server).patch('/api/settings').send({ max_concurrent_downloads: 2 })).body.body).toEqual({ max_concurrent_downloads: 2 });
    expect(loads()).toBe(1);
  });

  it('loads it once for concurrent first requests', async () => {
    const { app, loads } = echoApp();
    const server = app.callback();
    const answers = await Promise.all([1, 2, 3, 4].map((n) => request(server).put(`/x/${n}`).send({ n })));
    expect(answers.map((a) => a.body.body)).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }, { n: 4 }]);
    expect(loads()).toBe(1);
  });

  it('answers 400 for malformed JSON and 413 over 1 MB, as before', async () => {
    const server = echoApp().app.callback();
    const bad = await request(server).post('/x').set('content-type', 'application/json').send('{"url": ');
    expect(bad.status).toBe(400);
    expect(bad.text).toMatch(/^invalid JSON body: /);
    const big = await request(server).post('/x').send({ pad: 'x'.repeat(1_100_000) });
    expect(big.status).toBe(413);
    expect(big.text).toBe('the JSON body is larger than 1 MB');
  });

  it('retries the import after a failure instead of failing every later request', async () => {
    let fail = true;
    const { app, loads } = echoApp(async () => {
      if (fail) throw new Error('EMFILE: too many open files');
      return import('@koa/bodyparser');
    });
    const server = app.callback();
    expect((await request(server).post('/x').send({ a: 1 })).status).toBe(500);
    fail = false;
    expect((await request(server).post('/x').send({ a: 1 })).body.body).toEqual({ a: 1 });
    expect(loads()).toBe(2);
  });
});
