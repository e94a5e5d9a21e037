import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newDestinationSchema } from '../../addon/library/destination-schema.js';
import { makeTestApp } from '../helpers/app.js';

const STAGING = '.m3u-downloader-incoming';

/**
 * Work files of downloads that no longer exist (deleted while the server died before their files
 * went, or a db.json restored from its backup) are removed at start: the work dir and the staged
 * output in every local destination's staging folder. Files of known jobs stay; a fresh staged
 * file of an unknown job stays too (another instance may share the library folder).
 */
describe('stale work files at start', () => {
  let root: string;
  beforeAll(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'm3udl-stale-'));
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('removes the work dirs and staged files of unknown jobs, and nothing else', async () => {
    const env = { DATA_DIR: path.join(root, 'data'), MEDIA_DIR: path.join(root, 'media') };
    const nasDir = path.join(root, 'nas');
    await mkdir(nasDir, { recursive: true });
    const first = await makeTestApp(env);
    await first.destinations.create(newDestinationSchema.parse({ name: 'NAS', kind: 'local', base_path: nasDir, content_types: ['movie'] }));
    const kept = first.jobs.create({ url: 'http://127.0.0.1:9/never.m3u8', title: 'kept' });
    await first.jobs.pause(kept.id);
    await first.dispose();

    const work = path.join(env.DATA_DIR, 'tmp', 'jobs');
    const staging = path.join(env.MEDIA_DIR, STAGING);
    const nasStaging = path.join(nasDir, STAGING);
    const [gone, crashed, fresh] = [randomUUID(), randomUUID(), randomUUID()];
    const hoursAgo = new Date(Date.now() - 2 * 3600_000);
    const plant = async (file: string, old = true): Promise<void> => {
      await mkdir(path.dirname(file), { recursive: true });
      await writeFile(file, 'x');
      if (old) await utimes(file, hoursAgo, hoursAgo);
    };
    // A deleted job whose work dir survived, naming its staged output.
    await plant(path.join(work, gone, 'journal.log'));
    await writeFile(path.join(work, gone, 'staging.json'), JSON.stringify({ dir: staging, name: `${gone}.mp4` }));
    await plant(path.join(staging, `${gone}.mp4.part`), false);
    // Only a staged output left (its work dir went), in the other local destination.
    await plant(path.join(nasStaging, `${crashed}.mkv.part`));
    await plant(path.join(staging, `${crashed}.mp4`));
    // Still being written by someone: left alone.
    await plant(path.join(nasStaging, `${fresh}.mp4.part`), false);
    // The kept job's files, and a file that is not ours.
    await plant(path.join(work, kept.id, 'journal.log'));
    await plant(path.join(staging, `${kept.id}.mp4.part`));
    await plant(path.join(staging, 'notes.txt'));

    const second = await makeTestApp(env);
    try {
      expect(second.jobs.get(kept.id).status).toBe('paused');
      expect(await readdir(work)).toEqual([kept.id]);
      expect((await readdir(staging)).sort()).toEqual([`${kept.id}.mp4.part`, 'notes.txt'].sort());
      expect(await readdir(nasStaging)).toEqual([`${fresh}.mp4.part`]);
    } finally {
      await second.dispose();
    }
  });
});
