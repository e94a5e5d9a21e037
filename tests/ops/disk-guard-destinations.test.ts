import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newDestinationSchema } from '../../addon/library/destination-schema.js';
import { makeTestApp, type TestApp } from '../helpers/app.js';

/**
 * The free-space guard watches every filesystem downloads write to: besides the media and work
 * folders, the folder of each enabled local destination, where the remux writes its output
 * (the staging folder) before the link into the library. A real 20 MB tmpfs is the small disk;
 * mounting it needs root, which the CI container has.
 */
describe('disk guard: local destinations on their own filesystem', () => {
  let work: string;
  let small: string;
  let mounted = false;
  let app: TestApp | null = null;

  beforeAll(async () => {
    work = await mkdtemp(path.join(os.tmpdir(), 'm3udl-guard-dest-'));
    small = path.join(work, 'nas');
    await mkdir(small);
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=20m', 'tmpfs', small], { stdio: 'ignore' });
      mounted = true;
    } catch {
      mounted = false;
    }
  });
  afterAll(async () => {
    await app?.dispose();
    if (mounted) execFileSync('umount', [small]);
    await rm(work, { recursive: true, force: true });
  });

  it('holds the queue when a local destination has less free space than the floor, and not once it is disabled', async (t) => {
    if (!mounted) t.skip('needs root to mount a 20 MB tmpfs (the CI container runs as root)');
    // 50 MB floor: the media and work folders (the big disk) are above it, the 20 MB volume is not.
    app = await makeTestApp({ MIN_FREE_SPACE_MB: '50' });
    expect((await app.disk.check()).status).toBe('ok');
    const nas = await app.destinations.create(newDestinationSchema.parse({ name: 'NAS', kind: 'local', base_path: small, content_types: ['movie'] }));

    const state = await app.disk.check();
    expect(state.dirs.map((d) => d.path)).toContain(small);
    expect(state.status).toBe('low');
    expect(state.free_bytes).toBeLessThanOrEqual(20 * 1024 * 1024);
    expect(app.jobs.stats().queue_holds).toEqual([expect.objectContaining({ reason: 'disk_full' })]);

    await app.destinations.update(nas.id, { enabled: false });
    const after = await app.disk.check();
    expect(after.dirs.map((d) => d.path)).not.toContain(small);
    expect(after.status).toBe('ok');
  });
});
