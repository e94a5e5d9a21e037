import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDestination } from '../../../addon/library/destinations/registry.js';
import { transferFile } from '../../../addon/library/destinations/transfer.js';
import { deps, listFiles, scratch } from './helpers.js';

/**
 * A first attempt (adoptExisting false) whose hard link landed but whose record a kill -9 lost:
 * the file at the final name is our own file (the same inode), so the retry adopts it instead of
 * filing a second copy as "Name (2).mp4". A different file of the same size is still not adopted.
 */
describe('a link into the library that was not recorded', () => {
  let work: string;
  let lib: string;
  beforeAll(async () => {
    work = await scratch('m3u-adopt-link-');
    lib = path.join(work, 'library');
    await fsp.mkdir(path.join(lib, 'Downloads'), { recursive: true });
  });
  afterAll(() => fsp.rm(work, { recursive: true, force: true }));

  it('adopts a hard link of the very file, and uniquifies next to a stranger of the same size', async () => {
    const dest = createDestination({ id: 'media', name: 'Media', kind: 'local', base_path: lib }, deps());
    const ours = path.join(work, 'ours.mp4');
    await fsp.writeFile(ours, 'same bytes');
    await fsp.link(ours, path.join(lib, 'Downloads', 'Film.mp4'));
    const again = await transferFile(dest, ours, 'Downloads/Film.mp4', { onCollision: 'uniquify', adoptExisting: false });
    expect(again).toMatchObject({ relPath: 'Downloads/Film.mp4', method: 'already_present' });
    expect(await listFiles(lib)).toEqual(['Downloads/Film.mp4']);

    const stranger = path.join(work, 'stranger.mp4');
    await fsp.writeFile(stranger, 'same bytes');
    const other = await transferFile(dest, stranger, 'Downloads/Film.mp4', { onCollision: 'uniquify', adoptExisting: false });
    expect(other.relPath).toBe('Downloads/Film (2).mp4');
    await dest.close();
  });
});
