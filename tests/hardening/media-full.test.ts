import { execFileSync } from 'node:child_process';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDestination } from '../../addon/library/destinations/registry.js';
import { transferFile } from '../../addon/library/destinations/transfer.js';
import { deps, listFiles, makeBigFile, MOVIE_PATH, scratch } from '../library/destinations/helpers.js';

/**
 * The media folder fills up during the final copy (issue 12): the copy fails with a clear
 * destination_no_space, and its .part is removed so the volume does not stay full. A real small
 * filesystem (tmpfs, 4 MB) fills up for real; mounting needs root, which the CI container has.
 */
function tryMount(dir: string): boolean {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', dir], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe('media folder full during the final copy', () => {
  let work: string;
  let lib: string;
  let mounted = false;

  beforeAll(async () => {
    work = await scratch('m3u-full-test-');
    lib = path.join(work, 'small-volume');
    await fsp.mkdir(lib);
    mounted = tryMount(lib);
  });
  afterAll(async () => {
    if (mounted) execFileSync('umount', [lib]);
    await fsp.rm(work, { recursive: true, force: true });
  });

  it('fails with destination_no_space and leaves no .part behind', async (t) => {
    if (!mounted) t.skip('needs root to mount a 4 MB tmpfs (the CI container runs as root)');
    const big = await makeBigFile(work, 8);
    const dest = createDestination({ id: 'media', name: 'Media', kind: 'local', base_path: lib }, deps());
    // Another filesystem than the work dir: a copy, not a hard link.
    const err = await transferFile(dest, big.file, MOVIE_PATH).then(() => null, (e: unknown) => e);
    expect((err as { code?: string })?.code).toBe('destination_no_space');
    expect((await listFiles(lib)).filter((f) => f.endsWith('.part'))).toEqual([]);
    const { bavail, bsize } = await fsp.statfs(lib);
    expect(bavail * bsize).toBeGreaterThan(3 * 1024 * 1024);
  });
});
