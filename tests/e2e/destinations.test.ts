import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, type App } from '../../addon/app.js';
import { loadConfig } from '../../addon/config/load.js';
import { workDirOf } from '../../addon/jobs/download-engine.js';
import type { Job } from '../../addon/jobs/model.js';
import { silentLogger } from '../../addon/platform/logger.js';
import { ensureFixtures, type Fixtures } from '../fixtures/media.js';
import { startHlsOrigin, type HlsOrigin } from '../fakes/hls-origin.js';
import type { ServerHandle } from '../fakes/servers/common.js';
import { startRsyncd, type RsyncdServer } from '../fakes/servers/rsyncd.js';
import { startSamba, type SambaServer } from '../fakes/servers/samba.js';
import { startSshd, type SshdServer } from '../fakes/servers/sshd.js';
import { concatFrameHashes, videoFrameHashes } from '../helpers/media-check.js';
import { FAST_RETRY, makeTestApp, TEST_SCRYPT, waitFor, type TestApp } from '../helpers/app.js';

/**
 * Finished downloads into library destinations through the real engine, the loopback HLS origin,
 * real ffmpeg, a real default-configured Samba server, a real OpenSSH sftp server and a real rsync
 * daemon.
 */

const BACKOFF = [300, 600];
let fx: Fixtures;
let origin: HlsOrigin;
let bigOrigin: HlsOrigin;
let bigDir: string;
let bigSha: string;
let samba: SambaServer;
let sshd: SshdServer;
let rsyncd: RsyncdServer;
let app: TestApp;
let api: ReturnType<TestApp['koa']['callback']>;

const sha = async (file: string): Promise<string> => createHash('sha256').update(await readFile(file)).digest('hex');
/** The work dir goes right after the job is recorded as completed, so a moment after a poll sees `completed`. */
const workDirGone = (id: string): Promise<true> =>
  waitFor(() => readdir(workDirOf(app.config.tmp_dir, id)).then(() => undefined, () => true as const), 5_000, `the work dir of ${id} to go`);
const settled = (job: Job): Job | undefined => (['completed', 'failed', 'cancelled'].includes(job.status) ? job : undefined);

beforeAll(async () => {
  bigDir = await mkdtemp(path.join(os.tmpdir(), 'm3u-dest-origin-'));
  fx = await ensureFixtures();
  // An MP4 head and random bytes: about 450 KB the engine keeps as it is (3 s at 150 KiB/s).
  const big = Buffer.concat([await readFile(path.join(fx.root, fx.direct.mp4)), randomBytes(360 * 1024)]);
  await writeFile(path.join(bigDir, 'slow.mp4'), big);
  bigSha = createHash('sha256').update(big).digest('hex');
  [origin, bigOrigin, samba, sshd, rsyncd] = await Promise.all([startHlsOrigin(), startHlsOrigin({ root: bigDir }), startSamba(), startSshd(), startRsyncd()]);
  app = await makeTestApp({ MAX_CONCURRENT_DOWNLOADS: '3', SEGMENT_CONCURRENCY: '4' }, { chunkBytes: 64 * 1024, transferBackoffMs: BACKOFF, destinationCheckIntervalMs: 3_600_000 });
  api = app.koa.callback();
});
afterAll(async () => {
  await app?.dispose();
  await Promise.all([origin?.close(), bigOrigin?.close(), samba?.close(), sshd?.close(), rsyncd?.close()]);
  await rm(bigDir, { recursive: true, force: true });
});

async function download(body: Record<string, unknown>, target: TestApp | App = app): Promise<Job> {
  const res = await request(target.koa.callback()).post('/api/downloads').send(body);
  expect(res.status, res.text).toBe(201);
  return waitFor(() => settled(target.jobs.get(res.body.id as string)), 60_000, `job ${res.body.title as string}`);
}

const smbSettings = (over: Record<string, unknown> = {}) => ({
  name: 'NAS',
  kind: 'smb',
  host: samba.host,
  port: samba.port,
  username: samba.user,
  password: samba.password,
  share: samba.share,
  base_path: 'Library',
  ...over,
});

describe('the default destination (MEDIA_DIR)', () => {
  it('movies and series land under the Plex/Jellyfin templates, moved by a hard link', async () => {
    const scenario = fx.scenarios.plain;
    const [movie, episode] = await Promise.all([
      download({ url: origin.url(scenario.playlist), title: 'Title', year: 2024, content_type: 'movie' }),
      download({ url: origin.url(fx.direct.mp4), title: 'Dark', content_type: 'series', season: 1, episode: 2, episode_title: 'Lies' }),
    ]);
    expect(movie.error).toBeNull();
    expect(movie).toMatchObject({ status: 'completed', file_path: 'Movies/Title (2024)/Title (2024).mp4', location: path.join(app.config.media_dir, 'Movies/Title (2024)/Title (2024).mp4') });
    expect(movie.transfer).toMatchObject({ destination_id: 'default', method: 'link', attempts: 1, waiting_since: null });
    expect(await videoFrameHashes(movie.location!)).toEqual(await concatFrameHashes(scenario.references));
    expect(episode).toMatchObject({ status: 'completed', file_path: 'Series/Dark/Season 01/Dark - S01E02 - Lies.mp4' });
    expect(await readFile(episode.location!)).toEqual(await readFile(path.join(fx.root, fx.direct.mp4)));
    // the work dir (and with it the second name of the linked file) is gone
    await workDirGone(movie.id);
    expect((await stat(movie.location!)).nlink).toBe(1);
  });
});

describe('an SMB destination (real Samba, default security)', () => {
  it('test writes and deletes a probe file; a movie goes there by content type, byte-identical to a local download, under an accented path', async () => {
    const created = await request(api).post('/api/destinations').send(smbSettings({ content_types: ['movie'] }));
    expect(created.status, created.text).toBe(201);
    const test = await request(api).post('/api/destinations/nas/test');
    expect(test.body).toMatchObject({ ok: true, status: 'online', latency_ms: expect.any(Number), free_bytes: expect.any(Number) });
    expect(await readdir(path.join(samba.root, 'Library'))).toEqual([]); // the probe file was deleted

    const url = origin.url(fx.scenarios.plain.playlist);
    const [remote, local] = await Promise.all([
      download({ url, title: 'Título', year: 2024, content_type: 'movie' }),
      download({ url, title: 'Local copy', content_type: 'other' }),
    ]);
    expect(remote.error).toBeNull();
    const rel = 'Movies/Título (2024)/Título (2024).mp4';
    expect(remote).toMatchObject({ status: 'completed', file_path: rel, location: `//127.0.0.1:${samba.port}/media/Library/${rel}` });
    expect(remote.transfer).toMatchObject({ destination_id: 'nas', destination_kind: 'smb', method: 'upload' });
    expect(local.transfer?.destination_id).toBe('default');
    expect(await sha(path.join(samba.root, 'Library', rel))).toBe(await sha(local.location!));
    expect(await readdir(path.join(samba.root, 'Library', 'Movies', 'Título (2024)'))).toEqual(['Título (2024).mp4']); // no .part left
    await workDirGone(remote.id); // local copy cleaned up
  });

  it('the server stops mid-transfer: the job waits in transferring showing the error, and completes on its own once the server is back', async () => {
    await request(api).patch('/api/destinations/nas').send({ bandwidth_limit_kbps: 150 }).expect(200);
    await waitFor(() => (app.destinations.healthOf('nas').status === 'online' ? true : undefined), 10_000, 'the check after the change');
    const statuses: string[] = [];
    const off = app.bus.on('destination.status', (e) => void (e.id === 'nas' && statuses.push(e.status)));
    try {
      const res = await request(api).post('/api/downloads').send({ url: bigOrigin.url('slow.mp4'), title: 'Slow', year: 2020, content_type: 'movie' });
      const id = res.body.id as string;
      await waitFor(() => {
        const j = app.jobs.get(id);
        return j.status === 'transferring' && j.progress >= 10 ? true : undefined;
      }, 20_000, 'transfer under way');
      await samba.stop();
      const waiting = await waitFor(() => {
        const j = app.jobs.get(id);
        return j.status === 'transferring' && j.error && j.transfer?.next_attempt_at ? structuredClone(j) : undefined;
      }, 20_000, 'the job to wait');
      expect(waiting.error?.code).toMatch(/^destination_(unreachable|protocol_error|size_mismatch)$/);
      expect(waiting.error?.message.length).toBeGreaterThan(10);
      expect(app.destinations.healthOf('nas').status).toBe('offline');
      const view = await request(api).get('/api/destinations/nas');
      expect(view.body).toMatchObject({ status: 'offline', transfers_waiting: 1 });
      await new Promise((r) => setTimeout(r, 700)); // a few attempts while it is down
      expect(app.jobs.get(id).status).toBe('transferring');

      await samba.start();
      const done = await waitFor(() => settled(app.jobs.get(id)), 30_000, 'the job to complete');
      expect(done.error).toBeNull();
      expect(done.status).toBe('completed');
      expect(done.transfer!.attempts).toBeGreaterThanOrEqual(2);
      expect(await sha(path.join(samba.root, 'Library', 'Movies/Slow (2020)/Slow (2020).mp4'))).toBe(bigSha);
      expect(await readdir(path.join(samba.root, 'Library', 'Movies', 'Slow (2020)'))).toEqual(['Slow (2020).mp4']);
      expect(statuses).toEqual(['offline', 'online']);
    } finally {
      off();
      await request(api).patch('/api/destinations/nas').send({ bandwidth_limit_kbps: null }).expect(200);
    }
  });

  it('a wrong password: status error with a message to act on, the job fails with it; fixed, a retry only transfers', async () => {
    const created = await request(api).post('/api/destinations').send(smbSettings({ name: 'Locked', password: 'not-the-password' }));
    expect(created.status).toBe(201);
    const test = await request(api).post('/api/destinations/locked/test');
    expect(test.body).toMatchObject({ ok: false, status: 'error', code: 'destination_auth_failed' });
    expect(test.body.message).toMatch(/password/i);
    expect((await request(api).get('/api/destinations/locked')).body).toMatchObject({ status: 'error', code: 'destination_auth_failed', message: test.body.message });

    const url = origin.url(fx.direct.mp4);
    const failed = await download({ url, title: 'Locked Out', content_type: 'other', destination: 'locked' });
    expect(failed.status).toBe('failed');
    expect(failed.error).toEqual({ code: 'destination_auth_failed', message: test.body.message });
    expect(failed.transfer).toMatchObject({ destination_id: 'locked', attempts: 1 });
    const fetched = origin.requests.count(fx.direct.mp4);

    await request(api).patch('/api/destinations/locked').send({ password: samba.password }).expect(200);
    await request(api).post(`/api/downloads/${failed.id}/retry`).expect(200);
    const done = await waitFor(() => settled(app.jobs.get(failed.id)), 30_000);
    expect(done.error).toBeNull();
    expect(done).toMatchObject({ status: 'completed', file_path: 'Downloads/Locked Out.mp4' });
    expect(origin.requests.count(fx.direct.mp4)).toBe(fetched); // nothing downloaded again
    expect(await readFile(path.join(samba.root, 'Library', 'Downloads', 'Locked Out.mp4'))).toEqual(await readFile(path.join(fx.root, fx.direct.mp4)));
    expect(app.destinations.healthOf('locked').status).toBe('online');

    // delete_file removes it through the destination
    await request(api).delete(`/api/downloads/${done.id}?delete_file=true`).expect(204);
    expect(await readdir(path.join(samba.root, 'Library', 'Downloads'))).toEqual([]);
  });
});

describe('an SFTP destination (real OpenSSH)', () => {
  it('an episode arrives byte-identical under the series template, key authentication', async () => {
    const created = await request(api)
      .post('/api/destinations')
      .send({ name: 'Seedbox', kind: 'sftp', host: sshd.host, port: sshd.port, username: sshd.user, private_key: sshd.privateKey, base_path: sshd.root, content_types: ['series'] });
    expect(created.status, created.text).toBe(201);
    expect(created.body).toMatchObject({ has_private_key: true });
    const job = await download({ url: origin.url(fx.direct.mp4), title: 'Fe@r; Street', content_type: 'series', season: 2, episode: 10 });
    expect(job.error).toBeNull();
    const rel = 'Series/Fe@r; Street/Season 02/Fe@r; Street - S02E10.mp4';
    expect(job).toMatchObject({ status: 'completed', file_path: rel });
    expect(job.location).toMatch(/^sftp:\/\//);
    expect(await readFile(path.join(sshd.root, rel))).toEqual(await readFile(path.join(fx.root, fx.direct.mp4)));
  });
});

/**
 * The job-level restart flow shared by the SFTP and rsync tests: a ~450 KB direct file to a
 * destination limited to 150 KiB/s (about 3 s), the server killed once the transfer is under
 * way, a few fast-backoff attempts while it is down, then started again on the same port. No API
 * call is made in between: the job must finish on its own, byte-identical to the origin's file.
 */
async function stopMidTransfer(server: ServerHandle, destId: string, body: Record<string, unknown>, landed: () => string, rel: string): Promise<void> {
  // The test writes and deletes a probe file, creating the base folder. The check run on creation
  // may have seen that folder missing (status error) and land late: check again until online.
  const test = await request(api).post(`/api/destinations/${destId}/test`);
  expect(test.body).toMatchObject({ ok: true, status: 'online' });
  await waitFor(async () => ((await app.destinations.check(destId)).status === 'online' ? true : undefined), 10_000, 'the destination to be online');
  const statuses: string[] = [];
  const off = app.bus.on('destination.status', (e) => void (e.id === destId && statuses.push(e.status)));
  try {
    const res = await request(api).post('/api/downloads').send({ url: bigOrigin.url('slow.mp4'), destination: destId, ...body });
    expect(res.status, res.text).toBe(201);
    const id = res.body.id as string;
    await waitFor(() => {
      const j = app.jobs.get(id);
      return j.status === 'transferring' && j.progress >= 10 && j.progress < 90 ? true : undefined;
    }, 20_000, 'transfer under way');
    await server.stop();
    const waiting = await waitFor(() => {
      const j = app.jobs.get(id);
      return j.status === 'transferring' && j.error && j.transfer?.next_attempt_at ? structuredClone(j) : undefined;
    }, 20_000, 'the job to wait');
    expect(waiting.error?.code).toMatch(/^destination_(unreachable|protocol_error|size_mismatch)$/);
    expect(waiting.error?.message).toMatch(/reach|connection|lost/i);
    expect(waiting.transfer?.waiting_since).toEqual(expect.any(String));
    expect(app.destinations.healthOf(destId).status).toBe('offline');
    expect((await request(api).get(`/api/destinations/${destId}`)).body).toMatchObject({ status: 'offline', transfers_waiting: 1 });
    await new Promise((r) => setTimeout(r, 700)); // a few attempts while it is down
    expect(app.jobs.get(id)).toMatchObject({ status: 'transferring', error: { code: expect.stringMatching(/^destination_/) } });

    await server.start();
    const done = await waitFor(() => settled(app.jobs.get(id)), 30_000, 'the job to complete');
    expect(done.error).toBeNull();
    expect(done).toMatchObject({ status: 'completed', file_path: rel, retry_count: 0 });
    expect(done.transfer!.attempts).toBeGreaterThanOrEqual(2);
    expect(done.transfer!.waiting_since).toBeNull();
    expect(await sha(landed())).toBe(bigSha);
    expect(await readdir(path.dirname(landed()))).toEqual([path.basename(rel)]); // no .part, temp or partial dir left
    expect(statuses).toEqual(['offline', 'online']);
    await workDirGone(id); // local copy cleaned up
  } finally {
    off();
    if (!server.running) await server.start();
  }
}

/** A wrong password: the test says so (status error), and a job to it fails at once with the same message. */
async function wrongPassword(destId: string, body: Record<string, unknown>): Promise<void> {
  const test = await request(api).post(`/api/destinations/${destId}/test`);
  expect(test.body).toMatchObject({ ok: false, status: 'error', code: 'destination_auth_failed' });
  expect(test.body.message).toMatch(/check username and password/);
  expect((await request(api).get(`/api/destinations/${destId}`)).body).toMatchObject({ status: 'error', code: 'destination_auth_failed', message: test.body.message });
  const failed = await download({ url: origin.url(fx.direct.mp4), destination: destId, ...body });
  expect(failed.status).toBe('failed');
  expect(failed.error).toEqual({ code: 'destination_auth_failed', message: test.body.message });
  expect(failed.transfer).toMatchObject({ destination_id: destId, attempts: 1 });
  expect(app.destinations.healthOf(destId).status).toBe('error');
}

describe('an SFTP destination: password login, restart and wrong password at the job level', () => {
  it('sshd is killed mid-transfer: the job waits showing the error and completes on its own once sshd is back, under an accented movie path', async () => {
    const created = await request(api)
      .post('/api/destinations')
      .send({ name: 'Vault', kind: 'sftp', host: sshd.host, port: sshd.port, username: sshd.user, password: sshd.password, base_path: `${sshd.root}/Vault`, bandwidth_limit_kbps: 150 });
    expect(created.status, created.text).toBe(201);
    expect(created.body).toMatchObject({ id: 'vault', has_password: true, has_private_key: false });
    const rel = 'Movies/Canción Lenta (2021)/Canción Lenta (2021).mp4';
    await stopMidTransfer(sshd, 'vault', { title: 'Canción Lenta', year: 2021, content_type: 'movie' }, () => path.join(sshd.root, 'Vault', rel), rel);
  });

  it('a wrong password', async () => {
    await request(api)
      .post('/api/destinations')
      .send({ name: 'Vault Locked', kind: 'sftp', host: sshd.host, port: sshd.port, username: sshd.user, password: 'not-the-password', base_path: `${sshd.root}/Locked` })
      .expect(201);
    await wrongPassword('vault-locked', { title: 'Cerrado', content_type: 'other' });
  });
});

describe('an rsync daemon destination: restart and wrong password at the job level', () => {
  it('the daemon is killed mid-transfer: the job waits showing the error and completes on its own once it is back, under an accented series path', async () => {
    const created = await request(api)
      .post('/api/destinations')
      .send({ name: 'Mirror', kind: 'rsync', host: rsyncd.host, port: rsyncd.port, username: rsyncd.user, password: rsyncd.password, base_path: `${rsyncd.module}/Mirror`, bandwidth_limit_kbps: 150 });
    expect(created.status, created.text).toBe(201);
    expect(created.body).toMatchObject({ id: 'mirror', has_password: true });
    const rel = 'Series/Señor Ávila/Season 01/Señor Ávila - S01E03 - Ñandú.mp4';
    await stopMidTransfer(
      rsyncd,
      'mirror',
      { title: 'x', show: 'Señor Ávila', content_type: 'series', season: 1, episode: 3, episode_title: 'Ñandú' },
      () => path.join(rsyncd.root, 'Mirror', rel),
      rel,
    );
  });

  it('a wrong password', async () => {
    await request(api)
      .post('/api/destinations')
      .send({ name: 'Mirror Locked', kind: 'rsync', host: rsyncd.host, port: rsyncd.port, username: rsyncd.user, password: 'not-the-password', base_path: `${rsyncd.module}/Locked` })
      .expect(201);
    await wrongPassword('mirror-locked', { title: 'Cerrado', content_type: 'other' });
  });
});

describe('a restart while a job waits for its destination', () => {
  it('resumes the transfer, not the download', async () => {
    const root = await mkdtemp(path.join(os.tmpdir(), 'm3u-dest-restart-'));
    const config = loadConfig({ env: { DATA_DIR: path.join(root, 'data'), MEDIA_DIR: path.join(root, 'media') }, optionsPath: path.join(root, 'none.json') });
    const boot = async (): Promise<App> => {
      const a = await createApp(config, silentLogger(), { retry: FAST_RETRY, scrypt: TEST_SCRYPT, transferBackoffMs: BACKOFF, destinationCheckIntervalMs: 3_600_000 });
      await a.start();
      return a;
    };
    let first: App | null = await boot();
    let second: App | null = null;
    try {
      await request(first.koa.callback()).post('/api/destinations').send(smbSettings({ name: 'Shelf', base_path: 'Restart', content_types: ['movie'] })).expect(201);
      await samba.stop();
      const url = origin.url(fx.direct.mp4);
      const res = await request(first.koa.callback()).post('/api/downloads').send({ url, title: 'Persistent', year: 1999, content_type: 'movie' });
      const id = res.body.id as string;
      await waitFor(() => (first!.jobs.get(id).error ? true : undefined), 20_000, 'the job to wait');
      expect(first.jobs.get(id).status).toBe('transferring');
      await first.stop();
      first = null;
      const fetched = origin.requests.count(fx.direct.mp4);

      second = await boot();
      const app2 = second;
      await waitFor(() => (app2.jobs.get(id).status === 'transferring' ? true : undefined), 10_000, 'the transfer to resume');
      await samba.start();
      const done = await waitFor(() => settled(app2.jobs.get(id)), 30_000);
      expect(done).toMatchObject({ status: 'completed', error: null, file_path: 'Movies/Persistent (1999)/Persistent (1999).mp4' });
      expect(origin.requests.count(fx.direct.mp4)).toBe(fetched); // not downloaded again
      expect(await readFile(path.join(samba.root, 'Restart', done.file_path!))).toEqual(await readFile(path.join(fx.root, fx.direct.mp4)));
    } finally {
      if (!samba.running) await samba.start();
      await first?.stop();
      await second?.stop();
      await rm(root, { recursive: true, force: true });
    }
  });
});
