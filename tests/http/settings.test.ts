import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../addon/app.js';
import { loadConfig } from '../../addon/config/load.js';
import { silentLogger } from '../../addon/platform/logger.js';
import { hangingHttp } from '../helpers/hanging-http.js';
import { FAST_RETRY, makeTestApp, TEST_SCRYPT, type TestApp } from '../helpers/app.js';

const SECRETS = {
  API_KEY: 'bootstrap-admin-key-Zq81xY',
  MQTT_PASSWORD: 'mqtt-Secret-Pw-77aa',
  MQTT_URL: 'mqtt://broker-user:UrlSecret99@127.0.0.1:1',
  TELEGRAM_BOT_TOKEN: '123456:ABCdefGHIjklMNOpqrSTUvwxYZ012345',
  TMDB_API_KEY: 'tmdb-Key-Secret-4242',
};

/** GET/PATCH /api/settings and POST /api/naming/preview: roles, no secrets, precedence, persistence, audit. */
describe('settings API', () => {
  let app: TestApp;
  let server: ReturnType<TestApp['koa']['callback']>;
  const keys: Record<'viewer' | 'operator' | 'admin', string> = { viewer: '', operator: '', admin: '' };

  beforeAll(async () => {
    app = await makeTestApp(
      { ...SECRETS, MQTT_ENABLED: 'false', TELEGRAM_CHAT_IDS: '-1001234567890', MAX_CONCURRENT_DOWNLOADS: '2', SEGMENT_CONCURRENCY: '6', DEFAULT_QUALITY: '720p', MIN_FREE_SPACE_MB: '0' },
      { http: hangingHttp() },
    );
    server = app.koa.callback();
    for (const role of ['viewer', 'operator', 'admin'] as const) keys[role] = (await app.auth.createKey({ name: role, role }, 'test')).key;
  });
  afterAll(() => app?.dispose());

  const as = (role: keyof typeof keys) => ({ authorization: `Bearer ${keys[role]}` });

  it('operators and admins read the effective settings, without a secret; viewers get 403', async () => {
    expect((await request(server).get('/api/settings')).status).toBe(401);
    expect((await request(server).get('/api/settings').set(as('viewer'))).status).toBe(403);
    const res = await request(server).get('/api/settings').set(as('operator'));
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      max_concurrent_downloads: 2,
      segment_concurrency: 6,
      default_quality: '720p',
      default_container: 'mp4',
      max_connections_per_host: 16,
      min_free_space_mb: 0,
      job_retention_days: 30,
      editable: [
        'max_concurrent_downloads',
        'segment_concurrency',
        'default_quality',
        'default_container',
        'alert_disk_free_percent',
        'alert_failure_rate_percent',
        'alert_failure_min_jobs',
        'alert_queue_length',
        'alert_destination_down_minutes',
        'alert_stalled_minutes',
      ],
      base: { max_concurrent_downloads: 2, segment_concurrency: 6, default_quality: '720p', default_container: 'mp4', alert_disk_free_percent: 10, alert_queue_length: 50 },
      overrides: {},
      integrations: {
        mqtt: { enabled: false, configured: false },
        telegram: { configured: true, chats: 1 },
        tmdb: { configured: true },
        api_key_option: { configured: true },
      },
    });
    for (const secret of [...Object.values(SECRETS), 'UrlSecret99', 'broker-user']) expect(res.text).not.toContain(secret);
  });

  it('admins change the editable settings at run time; the queue and new jobs use them at once', async () => {
    expect((await request(server).patch('/api/settings').set(as('operator')).send({ max_concurrent_downloads: 5 })).status).toBe(403);
    const res = await request(server).patch('/api/settings').set(as('admin')).send({ max_concurrent_downloads: 5, segment_concurrency: 3, default_quality: '1080P', default_container: 'mkv' });
    expect(res.status, res.text).toBe(200);
    expect(res.body).toMatchObject({ max_concurrent_downloads: 5, segment_concurrency: 3, default_quality: '1080p', default_container: 'mkv', base: { max_concurrent_downloads: 2 } });
    expect(res.body.overrides).toEqual({ max_concurrent_downloads: 5, segment_concurrency: 3, default_quality: '1080p', default_container: 'mkv' });
    expect(app.jobs.options.maxConcurrent).toBe(5);
    const job = await request(server).post('/api/downloads').set(as('operator')).send({ url: 'http://127.0.0.1:9/x.m3u8', title: 'uses the defaults' });
    expect(job.body).toMatchObject({ quality: '1080p', container: 'mkv' });
    await request(server).delete(`/api/downloads/${job.body.id}`).set(as('operator'));

    // Recorded in the activity log with what changed.
    const entry = app.activity.list({ limit: 5, offset: 0, action: 'settings.updated' }).items[0]!;
    expect(entry).toMatchObject({ actor: { role: 'admin' }, target: 'settings', details: { changes: { max_concurrent_downloads: { from: 2, to: 5 } } } });

    // Persisted in db.json.
    await app.store.flush();
    const db = JSON.parse(await readFile(path.join(app.config.data_dir, 'db.json'), 'utf8')) as { settings: Record<string, unknown> };
    expect(db.settings).toEqual({ max_concurrent_downloads: 5, segment_concurrency: 3, default_quality: '1080p', default_container: 'mkv' });
  });

  it('null resets a setting to the add-on options / environment', async () => {
    const res = await request(server).patch('/api/settings').set(as('admin')).send({ max_concurrent_downloads: null, default_container: null });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ max_concurrent_downloads: 2, default_container: 'mp4', segment_concurrency: 3 });
    expect(res.body.overrides).toEqual({ segment_concurrency: 3, default_quality: '1080p' });
    expect(app.jobs.options.maxConcurrent).toBe(2);
    const entry = app.activity.list({ limit: 5, offset: 0, action: 'settings.updated' }).items[0]!;
    expect(entry.details).toMatchObject({ reset: ['max_concurrent_downloads', 'default_container'] });
  });

  it('refuses bad values with a 400 naming the field; read-only settings cannot be patched', async () => {
    for (const [body, field] of [
      [{ max_concurrent_downloads: 0 }, 'max_concurrent_downloads'],
      [{ max_concurrent_downloads: 2.5 }, 'max_concurrent_downloads'],
      [{ segment_concurrency: 65 }, 'segment_concurrency'],
      [{ default_quality: 'great' }, 'default_quality'],
      [{ default_container: 'avi' }, 'default_container'],
    ] as const) {
      const res = await request(server).patch('/api/settings').set(as('admin')).send(body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error.field).toBe(field);
      expect(res.body.error.message).toMatch(new RegExp(`^${field}: `));
    }
    const readOnly = await request(server).patch('/api/settings').set(as('admin')).send({ min_free_space_mb: 1, mqtt_password: 'x' });
    expect(readOnly.status).toBe(400);
    expect(readOnly.body.error.message).toMatch(/read-only setting\(s\): min_free_space_mb, mqtt_password/);
    expect(app.jobs.options.maxConcurrent).toBe(2);
  });

  it('panel changes survive a restart and win over the options; the options stay the base', async () => {
    await request(server).patch('/api/settings').set(as('admin')).send({ max_concurrent_downloads: 7 });
    const env = { DATA_DIR: app.config.data_dir, MEDIA_DIR: app.config.media_dir, MIN_FREE_SPACE_MB: '0', MAX_CONCURRENT_DOWNLOADS: '4', SEGMENT_CONCURRENCY: '9' };
    await app.stop();
    const config = loadConfig({ env, optionsPath: path.join(app.root, 'no-options.json') });
    const again = await createApp(config, silentLogger(), { retry: FAST_RETRY, scrypt: TEST_SCRYPT, http: hangingHttp() });
    await again.start();
    try {
      expect(again.jobs.options.maxConcurrent).toBe(7);
      const view = again.settings.view();
      // Overridden in the panel: the panel's value. Not overridden: the new option value.
      expect(view).toMatchObject({ max_concurrent_downloads: 7, segment_concurrency: 3, base: { max_concurrent_downloads: 4, segment_concurrency: 9 } });
      await again.settings.update({ segment_concurrency: null });
      expect(again.settings.view().segment_concurrency).toBe(9);
    } finally {
      await again.stop();
    }
    // Give the suite a fresh app for anything after this.
    await rm(app.root, { recursive: true, force: true });
    app = await makeTestApp({}, { http: hangingHttp() });
    server = app.koa.callback();
    for (const role of ['viewer', 'operator', 'admin'] as const) keys[role] = (await app.auth.createKey({ name: role, role }, 'test')).key;
  });

  it('previews naming templates with the server code, for viewers too, changing nothing', async () => {
    const all = await request(server).post('/api/naming/preview').set(as('viewer')).send({ templates: { movie: 'Films/{title} ({year})/{title}.{ext}', series: '' } });
    expect(all.status, all.text).toBe(200);
    const byType = Object.fromEntries((all.body.items as Array<{ content_type: string }>).map((i) => [i.content_type, i]));
    expect(byType.movie).toEqual({ content_type: 'movie', template: 'Films/{title} ({year})/{title}.{ext}', default: false, path: 'Films/Dune Part Two (2024)/Dune Part Two.mkv', problems: [] });
    expect(byType.series).toMatchObject({ default: true, path: 'Series/The Boys/Season 04/The Boys - S04E08 - Assembly.mp4', problems: [] });
    expect(byType.other).toMatchObject({ path: 'Downloads/Conference keynote.mp4' });

    const bad = await request(server).post('/api/naming/preview').set(as('viewer')).send({ template: 'Movies/{titel}/{title}', content_type: 'movie' });
    expect(bad.status).toBe(200);
    expect(bad.body.items[0].path).toBeNull();
    expect(bad.body.items[0].problems.join(' ')).toMatch(/titel/);
    expect(bad.body.items[0].problems.join(' ')).toMatch(/\{ext\}/);

    // Sample data given by the caller; values are sanitised exactly as for a real job.
    const sample = await request(server)
      .post('/api/naming/preview')
      .set(as('viewer'))
      .send({ template: 'Movies/{title} ({year}).{ext}', content_type: 'movie', sample: { title: '../../etc/passwd', year: null } });
    expect(sample.body.items[0].path).toBe('Movies/etc-passwd.mkv');

    const invalid = await request(server).post('/api/naming/preview').set(as('viewer')).send({ content_type: 'film' });
    expect(invalid.status).toBe(400);
    expect(invalid.body.error.field).toBe('content_type');
    expect(app.activity.list({ limit: 50, offset: 0 }).items.filter((e) => e.action.includes('naming'))).toEqual([]);
  });

  it('the default destination templates (what the Settings form edits) are checked and previewed alike', async () => {
    const bad = await request(server).patch('/api/destinations/default').set(as('admin')).send({ naming: { movie: 'Movies/{titel}.{ext}' } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.field).toBe('naming.movie');
    const ok = await request(server).patch('/api/destinations/default').set(as('admin')).send({ naming: { movie: 'Films/{title}.{ext}' } });
    expect(ok.status).toBe(200);
    expect(ok.body.templates.movie).toBe('Films/{title}.{ext}');
    const preview = await request(server).post('/api/naming/preview').set(as('viewer')).send({ templates: ok.body.naming, content_type: 'movie' });
    expect(preview.body.items[0].path).toBe('Films/Dune Part Two.mkv');
  });
});

describe('alert thresholds in the settings', () => {
  it('a threshold changed in the panel is what the next alert evaluation uses; null goes back to the option', async () => {
    const app = await makeTestApp({ ALERT_QUEUE_LENGTH: '50' });
    try {
      const server = app.koa.callback();
      app.jobs.pauseQueue();
      for (let i = 0; i < 3; i++) app.jobs.create({ url: `https://cdn.example/${i}.m3u8`, title: `q${i}` });
      expect((await app.observability.alerts.evaluate()).raised).toEqual([]);
      const bad = await request(server).patch('/api/settings').send({ alert_queue_length: 0 }).expect(400);
      expect(bad.body.error.field).toBe('alert_queue_length');
      await request(server).patch('/api/settings').send({ alert_queue_length: 2 }).expect(200);
      expect((await app.observability.alerts.evaluate()).raised.map((a) => a.id)).toEqual(['queue_long']);
      await request(server).patch('/api/settings').send({ alert_queue_length: null }).expect(200);
      expect((await app.observability.alerts.evaluate()).resolved.map((a) => a.id)).toEqual(['queue_long']);
    } finally {
      await app.dispose();
    }
  });
});
