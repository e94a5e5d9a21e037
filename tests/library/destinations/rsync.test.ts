import { existsSync, statSync } from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../../addon/errors.js';
import { isRetryable } from '../../../addon/library/destinations/errors.js';
import { createDestination } from '../../../addon/library/destinations/registry.js';
import { PARTIAL_DIR } from '../../../addon/library/destinations/rsync.js';
import { transferFile } from '../../../addon/library/destinations/transfer.js';
import type { DestinationConfig } from '../../../addon/library/destinations/types.js';
import { startRsyncd, type RsyncdServer } from '../../fakes/servers/rsyncd.js';
import { startSshd, type SshdServer } from '../../fakes/servers/sshd.js';
import { deps, exists, listFiles, makeBigFile, MB, MOVIE_PATH, progressRecorder, scratch, sha256File } from './helpers.js';

describe('rsync destination (rsync daemon, and rsync over OpenSSH)', () => {
  let server: RsyncdServer;
  let work: string;
  let big: { file: string; sha256: string; size: number };

  const config = (over: Partial<DestinationConfig> = {}): DestinationConfig => ({
    id: 'rs',
    name: 'rsync NAS',
    kind: 'rsync',
    host: server.host,
    port: server.port,
    username: server.user,
    password: server.password,
    base_path: `${server.module}/Library`,
    ...over,
  });

  beforeAll(async () => {
    work = await scratch('m3u-rsync-test-');
    [server, big] = await Promise.all([startRsyncd(), makeBigFile(work, 200)]);
  });
  afterAll(async () => {
    await server?.close();
    if (work) await fsp.rm(work, { recursive: true, force: true });
  });

  it('puts a 200 MB file byte-identical under a nested accented path; the final name only appears complete', async () => {
    const dest = createDestination(config(), deps());
    const progress = progressRecorder();
    const landed = path.join(server.root, 'Library', MOVIE_PATH);
    let seenEarly = false;
    const res = await transferFile(dest, big.file, MOVIE_PATH, {
      onProgress: (b) => {
        progress.fn(b);
        // rsync's progress lags its rename, so a late report may find the file already there:
        // what must never happen is a final name holding less than the whole file.
        if (b < big.size && existsSync(landed) && statSync(landed).size !== big.size) seenEarly = true;
      },
    });
    expect(res).toMatchObject({ relPath: MOVIE_PATH, method: 'upload', bytes: big.size });
    expect(seenEarly).toBe(false);
    expect(await sha256File(landed)).toBe(big.sha256);
    expect(await listFiles(path.join(server.root, 'Library'))).toEqual([MOVIE_PATH]);
    expect(progress.monotonic()).toBe(true);
    expect(progress.last()).toBe(big.size);
    expect(await dest.stat(MOVIE_PATH)).toEqual({ size: big.size, isDirectory: false });
    expect(await dest.stat('Movies/Título (2024)')).toMatchObject({ isDirectory: true });
    expect(await dest.stat('Movies/none.mkv')).toBeNull();
    // never replaced by a different file
    const other = path.join(work, 'other.mp4');
    await fsp.writeFile(other, 'other');
    await expect(transferFile(dest, other, MOVIE_PATH)).rejects.toMatchObject({ code: 'destination_exists' });
    expect(await sha256File(landed)).toBe(big.sha256);
  });

  it('wildcard characters in names are literal (stat, remove)', async () => {
    const dest = createDestination(config(), deps());
    const small = path.join(work, 'small.bin');
    await fsp.writeFile(small, 'abc');
    await transferFile(dest, small, 'Movies/A [tmdbid-1]/A [tmdbid-1].mkv');
    await transferFile(dest, small, 'Movies/A [tmdbid-1]/A t.mkv');
    expect(await dest.stat('Movies/A [tmdbid-1]/A [tmdbid-1].mkv')).toEqual({ size: 3, isDirectory: false });
    expect(await dest.stat('Movies/A [tmdbid-1]/A ?.mkv')).toBeNull();
    await dest.remove('Movies/A [tmdbid-1]/A [tmdbid-1].mkv');
    await dest.remove('Movies/A [tmdbid-1]/A [tmdbid-1].mkv');
    expect(await listFiles(path.join(server.root, 'Library', 'Movies', 'A [tmdbid-1]'))).toEqual(['A t.mkv']);
    await expect(dest.rename('a', 'b')).rejects.toMatchObject({ code: 'destination_unsupported' });
  });

  it('probe reports latency (free space is not something rsync tells)', async () => {
    const dest = createDestination(config({ base_path: `${server.module}/Probe/Deep` }), deps());
    const res = await dest.probe();
    expect(res).toMatchObject({ ok: true, status: 'online', freeBytes: null });
    expect(res.latencyMs).toBeGreaterThan(0);
    expect(await listFiles(path.join(server.root, 'Probe'))).toEqual([]);
    expect(await dest.freeSpace()).toBeNull();
  });

  it('a wrong password gives a clear AppError and status error', async () => {
    const res = await createDestination(config({ password: 'wrong' }), deps()).probe();
    expect(res).toMatchObject({ ok: false, status: 'error', code: 'destination_auth_failed' });
    expect(res.message).toBe(`rsync login refused for user ${server.user} on module "media" at 127.0.0.1:${server.port}: check username and password`);
    const err = await transferFile(createDestination(config({ password: 'wrong' }), deps()), big.file, 'x.mp4').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe('destination_auth_failed');
    expect(isRetryable(err)).toBe(false);
    const badModule = await createDestination(config({ base_path: 'nomodule/x' }), deps()).probe();
    expect(badModule).toMatchObject({ ok: false, code: 'destination_not_found' });
  });

  it('aborting mid-upload leaves no final file (and discards the partial)', async () => {
    // 20 MB/s: the 180 MB left after the abort would take 9 s more, so a transfer that ran on
    // misses the bound below. The bound is timed from the abort, not from the start, so a loaded
    // machine's slow rsync start-up does not count against it.
    const dest = createDestination(config({ base_path: `${server.module}/Abort`, bandwidth_limit_kbps: 20 * 1024 }), deps());
    const ac = new AbortController();
    let abortedAt = 0;
    const err = await transferFile(dest, big.file, MOVIE_PATH, {
      signal: ac.signal,
      onProgress: (b) => {
        if (b >= 20 * MB && !abortedAt) {
          abortedAt = Date.now();
          ac.abort(new Error('user cancelled'));
        }
      },
    }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'aborted' });
    expect(Date.now() - abortedAt).toBeLessThan(5000);
    expect(await exists(path.join(server.root, 'Abort', MOVIE_PATH))).toBe(false);
    // the daemon side may take a moment to notice; then nothing but (empty) folders is left
    await expect.poll(() => listFiles(path.join(server.root, 'Abort')), { timeout: 5000 }).toEqual([]);
  });

  for (const graceful of [false, true]) {
    it(`daemon ${graceful ? 'restarted (SIGTERM)' : 'killed (SIGKILL)'} mid-transfer: the retry completes${graceful ? ' from the partial dir' : ''}`, async () => {
      const base = `${server.module}/Restart-${graceful ? 'term' : 'kill'}`;
      const dir = path.join(server.root, `Restart-${graceful ? 'term' : 'kill'}`);
      // rsync prints progress about once a second: slow the first attempt so the stop lands mid-file
      const dest = createDestination(config({ base_path: base, bandwidth_limit_kbps: 40 * 1024 }), deps());
      let stopping: Promise<void> | undefined;
      const err = await transferFile(dest, big.file, MOVIE_PATH, {
        onProgress: (b) => {
          if (b >= 10 * MB && !stopping) stopping = server.stop({ graceful });
        },
      }).catch((e: unknown) => e);
      await stopping;
      expect(err).toBeInstanceOf(AppError);
      expect(isRetryable(err)).toBe(true);
      expect(await exists(path.join(dir, MOVIE_PATH))).toBe(false);
      expect(await createDestination(config(), deps()).probe({ write: false })).toMatchObject({ ok: false, status: 'offline' });
      const leftovers = await listFiles(dir);
      if (graceful) {
        // the receiver saved what it had for the next run
        expect(leftovers).toEqual([`Movies/Título (2024)/${PARTIAL_DIR}/Título (2024).mp4`]);
        expect((await fsp.stat(path.join(dir, leftovers[0] ?? ''))).size).toBeGreaterThan(5 * MB);
      } else {
        // killed outright: only its hidden temp file is there
        expect(leftovers).toHaveLength(1);
        expect(leftovers[0]).toMatch(/^Movies\/Título \(2024\)\/\.Título \(2024\)\.mp4\.\w{6}$/);
      }

      await server.start();
      const fast = createDestination(config({ base_path: base }), deps());
      const res = await transferFile(fast, big.file, MOVIE_PATH);
      expect(res.method).toBe('upload');
      expect(await sha256File(path.join(dir, MOVIE_PATH))).toBe(big.sha256);
      expect(await listFiles(dir)).toEqual([MOVIE_PATH]);
    });
  }

  describe('over ssh', () => {
    let sshd: SshdServer;
    beforeAll(async () => {
      sshd = await startSshd();
    });
    afterAll(async () => {
      await sshd?.close();
    });
    const sshConfig = (over: Partial<DestinationConfig> = {}): DestinationConfig => ({
      id: 'rs-ssh',
      name: 'rsync over ssh',
      kind: 'rsync',
      transport: 'ssh',
      host: sshd.host,
      port: sshd.port,
      username: sshd.user,
      base_path: `${sshd.root}/Library`,
      ...over,
    });

    it('transfers with a private key and with a password; a wrong password is a clear error', async () => {
      const { file, sha256 } = await makeBigFile(work, 8, 'eight.bin');
      const keyed = createDestination(sshConfig({ private_key: sshd.privateKey }), deps());
      await transferFile(keyed, file, 'Series/Show/Season 01/Show - S01E01.mkv');
      expect(await sha256File(path.join(sshd.root, 'Library/Series/Show/Season 01/Show - S01E01.mkv'))).toBe(sha256);

      const pw = createDestination(sshConfig({ password: sshd.password }), deps());
      await transferFile(pw, file, 'Movies/Título (2024)/Título (2024).mkv');
      expect(await sha256File(path.join(sshd.root, 'Library/Movies/Título (2024)/Título (2024).mkv'))).toBe(sha256);

      const wrong = await createDestination(sshConfig({ password: 'wrong' }), deps()).probe();
      expect(wrong).toMatchObject({ ok: false, status: 'error', code: 'destination_auth_failed' });
      expect(wrong.message).toContain(`SSH login refused for user ${sshd.user}`);
      expect(await listFiles(sshd.root)).not.toContainEqual(expect.stringContaining(PARTIAL_DIR));
    });
  });
});
