import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { buildRegistry } from '../../addon/domain/provider.js';
import { SOURCE_KIND_LIST, describeSourceKinds, sourceFieldKinds, sourceSecretFields } from '../../addon/sources/kinds/index.js';
import { defineSourceKind, type SourceKindDef } from '../../addon/sources/kinds/types.js';
import { xtreamKind } from '../../addon/sources/kinds/xtream.js';
import { makeTestApp, type TestApp } from '../helpers/app.js';

describe('source kind registry', () => {
  it('refuses a duplicate kind at start', () => {
    expect(() => buildRegistry([...SOURCE_KIND_LIST, xtreamKind])).toThrow('duplicate provider kind "xtream"');
  });

  it.each([
    ['url', ['m3u']],
    ['server', ['xtream']],
    ['username', ['xtream']],
    ['password', ['xtream']],
  ])('%s is a field of %j', (field, kinds) => {
    expect(sourceFieldKinds().get(field)).toEqual(kinds);
  });

  it('lists every kind with the JSON Schema of its fields; secrets are writeOnly', () => {
    const kinds = describeSourceKinds();
    expect(kinds.map((k) => k.kind)).toEqual(['m3u', 'xtream', 'file']);
    const xtream = kinds.find((k) => k.kind === 'xtream')!;
    expect(xtream.secrets).toEqual(['password']);
    expect(xtream.schema).toMatchObject({ type: 'object', required: ['server', 'username', 'password'], properties: { password: { writeOnly: true } } });
    expect(kinds.find((k) => k.kind === 'file')!.schema).toMatchObject({ type: 'object', properties: {} });
    expect(sourceSecretFields()).toEqual(['password']);
  });

  it('a new kind is one object: its fields, secrets and listing follow from it', () => {
    const demo = defineSourceKind({
      kind: 'm3u',
      label: 'Demo',
      help: 'A test kind.',
      settings: z.object({ endpoint: z.string(), token: z.string() }),
      secrets: ['token'],
      defaults: {},
      create: () => ({ fetch: () => Promise.reject(new Error('unused')), downloadHeaders: () => ({}), resolveUrl: (u: string) => u }),
    }) as unknown as SourceKindDef;
    const list = [demo];
    expect(sourceFieldKinds(list).get('endpoint')).toEqual(['m3u']);
    expect(sourceSecretFields(list)).toEqual(['token']);
    expect(describeSourceKinds(list)[0]).toMatchObject({ label: 'Demo', secrets: ['token'] });
  });
});

describe('/api/sources and the kinds', () => {
  let app: TestApp;
  let server: ReturnType<TestApp['koa']['callback']>;
  beforeAll(async () => {
    app = await makeTestApp();
    server = app.koa.callback();
  });
  afterAll(() => app.dispose());

  it('GET /api/sources/kinds lists them', async () => {
    const res = await request(server).get('/api/sources/kinds');
    expect(res.status).toBe(200);
    expect(res.body.items.map((k: { kind: string }) => k.kind)).toEqual(['m3u', 'xtream', 'file']);
  });

  it('validates by the kind: required fields named, fields of another kind refused, secrets write-only', async () => {
    const missing = await request(server).post('/api/sources').send({ name: 'x', kind: 'xtream', server: 'http://127.0.0.1:9', username: 'u' });
    expect(missing.status).toBe(400);
    expect(missing.body.error).toMatchObject({ field: 'password' });
    const other = await request(server).post('/api/sources').send({ name: 'x', kind: 'm3u', url: 'http://127.0.0.1:9/list.m3u', server: 'http://127.0.0.1:9' });
    expect(other.status).toBe(400);
    expect(other.body.error.message).toMatch(/unknown field\(s\): server/);
    const created = await request(server).post('/api/sources').send({ name: 'Acc', kind: 'xtream', server: '127.0.0.1:9', username: 'u', password: 'xtream-Secret-55', schedule: null });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body).toMatchObject({ kind: 'xtream', server: 'http://127.0.0.1:9', has_password: true });
    expect(JSON.stringify((await request(server).get('/api/sources')).body)).not.toContain('xtream-Secret-55');
    const patched = await request(server).patch(`/api/sources/${created.body.id}`).send({ url: 'http://127.0.0.1:9/x.m3u' });
    expect(patched.status).toBe(400);
    expect(patched.body.error).toMatchObject({ field: 'url', message: 'url: not a setting of a xtream source' });
  });
});
