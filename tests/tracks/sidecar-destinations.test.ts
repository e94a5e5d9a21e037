import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Job } from '../../addon/jobs/model.js';
import { startHlsOrigin, type HlsOrigin } from '../fakes/hls-origin.js';
import { startRsyncd, type RsyncdServer } from '../fakes/servers/rsyncd.js';
import { startSamba, type SambaServer } from '../fakes/servers/samba.js';
import { startSshd, type SshdServer } from '../fakes/servers/sshd.js';
import { ensureTracksFixtures, type TracksFixtures } from '../fixtures/tracks-media.js';
import { makeTestApp, waitFor, type TestApp } from '../helpers/app.js';

/**
 * Subtitle sidecars travel with the video to every destination kind (real smbd, OpenSSH sftp,
 * rsync daemon), named after the video as it landed, and no .part is left behind.
 */
let fx: TracksFixtures;
let origin: HlsOrigin;
let samba: SambaServer;
let sshd: SshdServer;
let rsyncd: RsyncdServer;
let app: TestApp;

beforeAll(async () => {
  fx = await ensureTracksFixtures();
  [origin, samba, sshd, rsyncd] = await Promise.all([startHlsOrigin({ root: fx.root }), startSamba(), startSshd(), startRsyncd()]);
  app = await makeTestApp({ MAX_CONCURRENT_DOWNLOADS: '3', SEGMENT_CONCURRENCY: '4' });
  const api = app.koa.callback();
  for (const body of [
    { name: 'NAS', kind: 'smb', host: samba.host, port: samba.port, username: samba.user, password: samba.password, share: samba.share, base_path: 'Library', content_types: ['movie'] },
    { name: 'Seedbox', kind: 'sftp', host: sshd.host, port: sshd.port, username: sshd.user, private_key: sshd.privateKey, base_path: sshd.root, content_types: ['series'] },
    { name: 'Mirror', kind: 'rsync', host: rsyncd.host, port: rsyncd.port, username: rsyncd.user, password: rsyncd.password, base_path: `${rsyncd.module}/Mirror`, content_types: ['novela'] },
  ]) {
    const res = await request(api).post('/api/destinations').send(body);
    expect(res.status, res.text).toBe(201);
  }
}, 120_000);
afterAll(async () => {
  await app?.dispose();
  await Promise.all([origin?.close(), samba?.close(), sshd?.close(), rsyncd?.close()]);
});

async function download(body: Record<string, unknown>): Promise<Job> {
  const res = await request(app.koa.callback()).post('/api/downloads').send({ url: origin.url(fx.hls.master), subtitle_languages: 'all', subtitles_as: 'sidecar', ...body });
  expect(res.status, res.text).toBe(201);
  return waitFor(() => {
    const job = app.jobs.get(res.body.id as string);
    return ['completed', 'failed', 'cancelled'].includes(job.status) ? job : undefined;
  }, 60_000, `job ${body.title as string}`);
}

async function expectSidecars(dir: string, stem: string, ext = 'mp4'): Promise<void> {
  expect((await readdir(dir)).sort()).toEqual([`${stem}.en.srt`, `${stem}.${ext}`, `${stem}.pt-BR.forced.srt`].sort());
  expect(await readFile(path.join(dir, `${stem}.en.srt`), 'utf8')).toMatch(/^1\n00:00:00,500 --> 00:00:01,800\nHello there\n/);
}

describe('sidecars on every destination kind', () => {
  it('SMB', async () => {
    const job = await download({ title: 'Filme SMB', year: 2024, content_type: 'movie' });
    expect(job.error).toBeNull();
    expect(job.transfer?.destination_kind).toBe('smb');
    await expectSidecars(path.join(samba.root, 'Library', path.dirname(job.file_path!)), 'Filme SMB (2024)');
  });

  it('SFTP', async () => {
    const job = await download({ title: 'Episódio', show: 'Série', season: 1, episode: 2, content_type: 'series', container: 'mkv' });
    expect(job.error).toBeNull();
    expect(job.transfer?.destination_kind).toBe('sftp');
    const file = path.join(sshd.root, job.file_path!);
    await expectSidecars(path.dirname(file), path.basename(file, '.mkv'), 'mkv');
  });

  it('rsync', async () => {
    const job = await download({ title: 'Novela', content_type: 'novela' });
    expect(job.error).toBeNull();
    expect(job.transfer?.destination_kind).toBe('rsync');
    const file = path.join(rsyncd.root, 'Mirror', job.file_path!);
    await expectSidecars(path.dirname(file), path.basename(file, '.mp4'));
  });

  it('a second download of the same title gets " (2)" and its sidecars follow that name', async () => {
    const job = await download({ title: 'Filme SMB', year: 2024, content_type: 'movie' });
    expect(job.error).toBeNull();
    expect(job.file_path).toMatch(/Filme SMB \(2024\) \(2\)\.mp4$/);
    const dir = path.join(samba.root, 'Library', path.dirname(job.file_path!));
    expect((await readdir(dir)).filter((f) => f.includes('(2).')).sort()).toEqual(['Filme SMB (2024) (2).en.srt', 'Filme SMB (2024) (2).mp4', 'Filme SMB (2024) (2).pt-BR.forced.srt']);
  });
});
