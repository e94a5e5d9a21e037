import request from 'supertest';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { SyncSummary } from '../../addon/events/app-events.js';
import { MOVIE_BYTES, startMediaOrigin, type MediaOrigin } from '../fakes/media-origin.js';
import { startFakeSupervisor, type FakeSupervisor } from '../fakes/supervisor.js';
import { makeTestApp, waitFor, type TestApp } from '../helpers/app.js';
import { captureLogger } from '../helpers/log-capture.js';

let origin: MediaOrigin;
let supervisor: FakeSupervisor;
const apps: TestApp[] = [];

beforeAll(async () => {
  [origin, supervisor] = await Promise.all([startMediaOrigin(), startFakeSupervisor()]);
});
afterEach(async () => {
  await Promise.all(apps.splice(0).map((a) => a.dispose()));
  supervisor.requests.length = 0;
  supervisor.failNext(0, 0);
});
afterAll(async () => {
  await origin?.close();
  await supervisor?.close();
});

async function start(env: Record<string, string> = {}, logger = captureLogger().logger): Promise<TestApp> {
  const app = await makeTestApp(
    { SUPERVISOR_URL: supervisor.url, SUPERVISOR_TOKEN: supervisor.token, MQTT_ENABLED: 'false', ...env },
    { logger, notify: { retryDelaysMs: [50, 50] } },
  );
  apps.push(app);
  return app;
}

const posts = (path: string) => supervisor.requests.filter((r) => r.method === 'POST' && r.path === path);

describe('Home Assistant events through the Supervisor core API', () => {
  it('fires download_completed with the file details and calls the notify service', async () => {
    const app = await start({ HOMEASSISTANT_NOTIFY_SERVICE: 'notify.mobile_app_phone' });
    const job = app.jobs.create({ url: origin.url('/movie.mp4'), title: 'Big Movie (2024)' });
    await waitFor(() => (app.notifications.status().homeassistant.sent === 2 ? true : undefined), 10_000, 'event and notify call');
    const done = app.jobs.get(job.id);

    const [event] = posts('/core/api/events/m3u_downloader_download_completed');
    expect(event).toMatchObject({ authorization: `Bearer ${supervisor.token}`, contentType: 'application/json' });
    expect(event!.body).toEqual({
      id: job.id,
      url: origin.url('/movie.mp4'),
      title: 'Big Movie (2024)',
      filename: 'Big Movie (2024).mp4',
      path: `${app.config.media_dir}/${done.file_path}`,
      relative_path: done.file_path,
      size: MOVIE_BYTES.length,
      error: null,
      error_code: null,
      duration_s: expect.any(Number),
      status: 'completed',
    });
    expect(posts('/core/api/services/notify/mobile_app_phone')[0]!.body).toEqual({
      title: 'Download complete',
      message: expect.stringMatching(/^Big Movie \(2024\) \(66 kB, \d+s\) saved to Downloads\/Big Movie \(2024\)\.mp4$/), // the default destination's `other` template
    });
    expect(app.notifications.status().homeassistant).toMatchObject({ enabled: true, sent: 2, failed: 0 });
  });

  it('fires download_failed with the error, retries while Home Assistant restarts, and reports syncs', async () => {
    const app = await start();
    supervisor.failNext(1, 502);
    const job = app.jobs.create({ url: origin.url('/missing.mp4') });
    await waitFor(() => (posts('/core/api/events/m3u_downloader_download_failed').length === 2 ? true : undefined), 10_000, 'retry');
    const [first, second] = posts('/core/api/events/m3u_downloader_download_failed');
    expect(second!.body).toEqual(first!.body);
    expect(second!.body).toMatchObject({ id: job.id, title: 'Missing' /* the title rule names a job created without a title */, filename: null, path: null, size: null, error: expect.stringMatching(/HTTP 404/), status: 'failed' });

    const summary: SyncSummary = { source: { id: 's1', name: 'My IPTV' }, new_items: 3, updated_items: 1, removed_items: 0, total_items: 120, queued: 2, duration_ms: 1500, error: null, new_titles: ['A', 'B', 'C'] };
    app.bus.emit('sync.completed', summary);
    await waitFor(() => (posts('/core/api/events/m3u_downloader_sync_completed').length === 1 ? true : undefined), 5000, 'sync event');
    expect(posts('/core/api/events/m3u_downloader_sync_completed')[0]!.body).toEqual(summary);
  });

  it('never lets an unreachable Home Assistant touch a download, and never logs the token', async () => {
    const capture = captureLogger();
    const app = await start({ SUPERVISOR_URL: 'http://127.0.0.1:9' }, capture.logger);
    const job = app.jobs.create({ url: origin.url('/movie.mp4'), title: 'Offline HA' });
    await waitFor(() => (app.notifications.status().homeassistant.failed > 0 ? true : undefined), 10_000, 'failure counted');
    expect(app.jobs.get(job.id).status).toBe('completed');
    const status = app.notifications.status().homeassistant;
    expect(status.last_error).toMatch(/unreachable/);
    const body = JSON.stringify(app.notifications.status());
    expect(body).not.toContain(supervisor.token);
    expect(capture.text()).toContain('home assistant notification failed');
    expect(capture.text()).not.toContain(supervisor.token);
  });

  it('is off outside Home Assistant and says why; the test endpoint fires a test event inside it', async () => {
    const outside = await makeTestApp({ MQTT_ENABLED: 'false' });
    apps.push(outside);
    expect(outside.notifications.status().homeassistant).toMatchObject({ enabled: false, reason: expect.stringMatching(/SUPERVISOR_TOKEN/) });
    const skipped = await request(outside.koa.callback()).post('/api/notifications/test').send({ target: 'homeassistant' });
    expect(skipped.body.results.homeassistant).toMatchObject({ ok: false, skipped: true });

    // In the add-on only ingress or an API key gets in.
    const app = await start({ HOMEASSISTANT_EVENTS: 'false', HOMEASSISTANT_NOTIFY_SERVICE: 'persistent_notification.create', API_KEY: 'test-api-key-1' });
    const res = await request(app.koa.callback()).post('/api/notifications/test').set('authorization', 'Bearer test-api-key-1').send({ target: 'homeassistant' });
    expect(res.status).toBe(200);
    expect(res.body.results.homeassistant).toMatchObject({ ok: true, event: 'm3u_downloader_test' });
    expect(posts('/core/api/events/m3u_downloader_test')).toHaveLength(1);
    expect(posts('/core/api/services/persistent_notification/create')[0]!.body).toEqual({ title: 'M3U Downloader', message: 'Test notification from m3u-downloader' });
  });
});

describe('Home Assistant with a digest', () => {
  it('fires one event per download (automations count on them) but calls the notify service once', async () => {
    const { HomeAssistantNotifier } = await import('../../addon/notify/homeassistant.js');
    const { SupervisorClient } = await import('../../addon/notify/supervisor.js');
    const { systemClock } = await import('../../addon/platform/clock.js');
    const ha = new HomeAssistantNotifier({
      supervisor: new SupervisorClient({ baseUrl: supervisor.url, token: supervisor.token, fetch: globalThis.fetch }),
      events: true,
      notifyService: 'notify.mobile_app_phone',
      mediaDir: '/media',
      fileSize: async () => 1000,
      clock: systemClock,
      logger: captureLogger().logger,
      retryDelaysMs: [],
    });
    ha.start();
    const job = (id: string) => ({ id, url: `http://x/${id}.mp4`, title: `Episode ${id}`, status: 'completed', file_path: `TV/${id}.mp4`, started_at: null, completed_at: null, updated_at: '2026-12-06T10:00:00.000Z', error: null, headers: {}, referer: null }) as never;
    await ha.handle({ type: 'digest', events: [1, 2, 3].map((i) => ({ type: 'download.completed' as const, job: job(`e${i}`) })) });
    expect(posts('/core/api/events/m3u_downloader_download_completed').map((r) => (r.body as { id: string }).id)).toEqual(['e1', 'e2', 'e3']);
    expect(posts('/core/api/services/notify/mobile_app_phone').map((r) => r.body)).toEqual([{ title: '3 downloads complete', message: '• Episode e1\n• Episode e2\n• Episode e3' }]);
    await ha.handle({ type: 'disk.full', reason: 'disk_full', detail: '/media has 1 GB free', since: '2026-12-06T10:00:00.000Z' });
    expect(posts('/core/api/events/m3u_downloader_disk_full')[0]!.body).toEqual({ reason: 'disk_full', detail: '/media has 1 GB free', since: '2026-12-06T10:00:00.000Z' });
    expect(ha.status()).toMatchObject({ kind: 'homeassistant', state: 'ok', sent: 6, failed: 0 });
    await ha.stop();
  });
});
