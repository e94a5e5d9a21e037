import request from 'supertest';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isExtensionOrigin } from '../../addon/http/cors.js';
import { hangingHttp } from '../helpers/hanging-http.js';
import { makeTestApp, type TestApp } from '../helpers/app.js';

const CHROME = 'chrome-extension://abcdefghijklmnopabcdefghijklmnop';
const FIREFOX = 'moz-extension://0f8e2a47-6b1c-4f7e-9d3a-2c5b8e1f4a6d';

describe('what the browser extension needs from the API', () => {
  let app: TestApp;
  let server: ReturnType<TestApp['koa']['callback']>;
  let key: string;
  beforeEach(async () => {
    app = await makeTestApp({ MAX_CONCURRENT_DOWNLOADS: '1' }, { http: hangingHttp() });
    server = app.koa.callback();
    key = (await app.auth.createKey({ name: 'Firefox on the laptop', role: 'operator' }, 'test')).key;
  });
  afterEach(() => app.dispose());

  it.each([
    [CHROME, true],
    [FIREFOX, true],
    ['chrome-extension://short', false],
    ['chrome-extension://abcdefghijklmnopabcdefghijklmnoz', false], // z is not in an extension id's alphabet
    ['moz-extension://not-a-uuid', false],
    ['https://evil.example', false],
    ['null', false],
    [`${CHROME}.evil.example`, false],
  ])('treats %s as an extension origin: %s', (origin, expected) => {
    expect(isExtensionOrigin(origin)).toBe(expected);
  });

  it('answers preflights from any extension origin, never with credentials', async () => {
    for (const origin of [CHROME, FIREFOX]) {
      const res = await request(server).options('/api/probe').set('Origin', origin).set('Access-Control-Request-Method', 'POST').set('Access-Control-Request-Headers', 'authorization, content-type');
      expect(res.status).toBe(204);
      expect(res.headers['access-control-allow-origin']).toBe(origin);
      expect(res.headers['access-control-allow-headers']).toMatch(/Authorization/);
      expect(res.headers['access-control-allow-credentials']).toBeUndefined();
      const get = await request(server).get('/api/downloads').set('Origin', origin).set('Authorization', `Bearer ${key}`);
      expect([get.status, get.headers['access-control-allow-origin'], get.headers['access-control-allow-credentials']]).toEqual([200, origin, undefined]);
    }
  });

  it('gives web pages no CORS headers, so their scripts cannot read answers', async () => {
    const res = await request(server).options('/api/probe').set('Origin', 'https://evil.example').set('Access-Control-Request-Method', 'POST');
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
    const get = await request(server).get('/api/downloads').set('Origin', 'https://evil.example').set('Authorization', `Bearer ${key}`);
    expect(get.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('keeps page_url and page_title on the job and uses the page title when no title is given', async () => {
    const res = await request(server)
      .post('/api/downloads')
      .set('Authorization', `Bearer ${key}`)
      .set('Origin', CHROME)
      .send({ url: 'https://cdn.example/v/master.m3u8', page_url: 'https://video.example/watch/42?token=abc', page_title: '  The Big Match  ' });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ title: 'The Big Match', page_title: 'The Big Match', page_url: 'https://video.example/watch/42?token=[redacted]' });
    expect(app.jobs.get(res.body.id).page_url).toBe('https://video.example/watch/42?token=abc');
    const titled = await request(server).post('/api/downloads').set('Authorization', `Bearer ${key}`).send({ url: 'https://cdn.example/v/a.m3u8', title: 'Mine', page_title: 'Theirs' });
    expect([titled.body.title, titled.body.page_title]).toEqual(['Mine', 'Theirs']);
    const bad = await request(server).post('/api/downloads').set('Authorization', `Bearer ${key}`).send({ url: 'https://cdn.example/v/a.m3u8', page_url: 'javascript:alert(1)' });
    expect([bad.status, bad.body.error.field]).toEqual([400, 'page_url']);
  });
});
