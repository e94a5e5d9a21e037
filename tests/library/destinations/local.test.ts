import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDestination } from '../../../addon/library/destinations/registry.js';
import { transferFile } from '../../../addon/library/destinations/transfer.js';
import type { Destination, DestinationConfig } from '../../../addon/library/destinations/types.js';
import { deps, exists, listFiles, makeBigFile, MB, MOVIE_PATH, progressRecorder, scratch, sha256File } from './helpers.js';

/** The same destination without the hard-link shortcut: what a library on another filesystem gets. */
function copyOnly(dest: Destination): Destination {
  return Object.assign(Object.create(dest) as Destination, {
    capabilities: { ...dest.capabilities, localLink: false },
    linkFrom: undefined,
  });
}

describe('local destination (mounted path)', () => {
  let work: string;
  let lib: string;
  let big: { file: string; sha256: string; size: number };

  const config = (over: Partial<DestinationConfig> = {}): DestinationConfig => ({
    id: 'media',
    name: 'Media',
    kind: 'local',
    base_path: lib,
    ...over,
  });

  beforeAll(async () => {
    work = await scratch('m3u-local-test-');
    lib = path.join(work, 'library');
    await fsp.mkdir(lib);
    big = await makeBigFile(work, 200);
  });
  afterAll(async () => {
    if (work) await fsp.rm(work, { recursive: true, force: true });
  });

  it('copies a 200 MB file byte-identical under a nested accented path via .part', async () => {
    const dest = copyOnly(createDestination(config({ base_path: path.join(lib, 'copy') }), deps()));
    const progress = progressRecorder();
    const res = await transferFile(dest, big.file, MOVIE_PATH, { onProgress: progress.fn });
    expect(res).toMatchObject({ relPath: MOVIE_PATH, method: 'upload', bytes: big.size });
    expect(res.location).toBe(path.join(lib, 'copy', MOVIE_PATH));
    expect(await sha256File(path.join(lib, 'copy', MOVIE_PATH))).toBe(big.sha256);
    expect(await listFiles(path.join(lib, 'copy'))).toEqual([MOVIE_PATH]);
    expect(progress.monotonic()).toBe(true);
    expect(progress.last()).toBe(big.size);
    expect(await exists(big.file)).toBe(true); // the local copy stays unless asked
  });

  it('same filesystem: hard link instead of a copy; with deleteLocal that is a move', async () => {
    const { file, sha256 } = await makeBigFile(work, 20, 'movie.mkv');
    const dest = createDestination(config({ base_path: path.join(lib, 'link') }), deps());
    const res = await transferFile(dest, file, 'Movies/Zoë (2023)/Zoë (2023).mkv', { deleteLocal: true });
    expect(res.method).toBe('link');
    expect(await exists(file)).toBe(false);
    expect(await sha256File(path.join(lib, 'link', 'Movies/Zoë (2023)/Zoë (2023).mkv'))).toBe(sha256);
  });

  it('another filesystem (/dev/shm): linkFrom declines, so transferFile copies', async (ctx) => {
    const shm = await fsp.statfs('/dev/shm').catch(() => undefined);
    if (!shm || shm.bavail * shm.bsize < 64 * MB) return ctx.skip();
    const other = await fsp.mkdtemp('/dev/shm/m3u-local-test-');
    try {
      const { file, sha256 } = await makeBigFile(other, 8, 'ep.mkv');
      const dest = createDestination(config({ base_path: path.join(lib, 'xdev') }), deps());
      const res = await transferFile(dest, file, 'Series/Show/Season 01/Show - S01E01.mkv', { deleteLocal: true });
      expect(res.method).toBe('upload');
      expect(await sha256File(path.join(lib, 'xdev', 'Series/Show/Season 01/Show - S01E01.mkv'))).toBe(sha256);
      expect(await exists(file)).toBe(false); // verified, then cleaned up
    } finally {
      await fsp.rm(other, { recursive: true, force: true });
    }
  });

  it('resumes a .part left by an interrupted copy', async () => {
    const base = path.join(lib, 'resume');
    const dest = copyOnly(createDestination(config({ base_path: base }), deps()));
    const part = path.join(base, `${MOVIE_PATH}.part`);
    await fsp.mkdir(path.dirname(part), { recursive: true });
    const fh = await fsp.open(big.file, 'r');
    const head = Buffer.alloc(50 * MB);
    await fh.read(head, 0, head.length, 0);
    await fh.close();
    await fsp.writeFile(part, head);
    const progress = progressRecorder();
    const res = await transferFile(dest, big.file, MOVIE_PATH, { onProgress: progress.fn });
    expect(res.resumedFrom).toBe(50 * MB);
    expect(progress.calls[0]).toBeGreaterThan(50 * MB);
    expect(await sha256File(path.join(base, MOVIE_PATH))).toBe(big.sha256);
    expect(await listFiles(base)).toEqual([MOVIE_PATH]);
  });

  it('never replaces: fails by default, or uniquifies; same size counts as already there', async () => {
    const base = path.join(lib, 'collide');
    const dest = copyOnly(createDestination(config({ base_path: base }), deps()));
    const a = path.join(work, 'a.mkv');
    const b = path.join(work, 'b.mkv');
    await fsp.writeFile(a, 'first');
    await fsp.writeFile(b, 'second!');
    await transferFile(dest, a, 'Movies/X/X.mkv');
    await expect(transferFile(dest, b, 'Movies/X/X.mkv')).rejects.toMatchObject({ code: 'destination_exists', httpStatus: 409 });
    expect((await transferFile(dest, a, 'Movies/X/X.mkv')).method).toBe('already_present');
    const u = await transferFile(dest, b, 'Movies/X/X.mkv', { onCollision: 'uniquify' });
    expect(u.relPath).toBe('Movies/X/X (2).mkv');
    expect(await fsp.readFile(path.join(base, 'Movies/X/X.mkv'), 'utf8')).toBe('first');
    expect(await fsp.readFile(path.join(base, 'Movies/X/X (2).mkv'), 'utf8')).toBe('second!');
    await expect(dest.rename('Movies/X/X (2).mkv', 'Movies/X/X.mkv')).rejects.toMatchObject({ code: 'destination_exists' });
    await expect(transferFile(dest, a, '../../etc/passwd')).rejects.toMatchObject({ code: 'destination_invalid_path' });
  });

  it('aborting mid-copy leaves no final file (nor .part)', async () => {
    const base = path.join(lib, 'abort');
    const dest = copyOnly(createDestination(config({ base_path: base, bandwidth_limit_kbps: 100 * 1024 }), deps()));
    const ac = new AbortController();
    const err = await transferFile(dest, big.file, MOVIE_PATH, {
      signal: ac.signal,
      onProgress: (bytes) => {
        if (bytes >= 20 * MB) ac.abort(new Error('user cancelled'));
      },
    }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'aborted' });
    expect(await listFiles(base)).toEqual([]);
  });

  it('probe reports latency and free space; a missing path is a clear error', async () => {
    const ok = await createDestination(config(), deps()).probe();
    expect(ok).toMatchObject({ ok: true, status: 'online' });
    expect(ok.latencyMs).toBeGreaterThan(0);
    expect(ok.freeBytes).toBeGreaterThan(0);
    expect(await listFiles(lib)).not.toContainEqual(expect.stringContaining('m3u-probe'));
    const missing = await createDestination(config({ base_path: path.join(work, 'not-mounted') }), deps()).probe();
    expect(missing).toMatchObject({ ok: false, status: 'error', code: 'destination_not_found' });
    expect(missing.message).toContain('does not exist (is the volume mounted?)');
    expect(() => createDestination(config({ base_path: 'relative/path' }), deps())).toThrow(/absolute base_path/);
  });
});
