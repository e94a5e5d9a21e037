import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../../addon/errors.js';
import { isRetryable } from '../../../addon/library/destinations/errors.js';
import { createDestination } from '../../../addon/library/destinations/registry.js';
import { transferFile } from '../../../addon/library/destinations/transfer.js';
import type { DestinationConfig } from '../../../addon/library/destinations/types.js';
import { startSamba, type SambaServer } from '../../fakes/servers/samba.js';
import { deps, exists, listFiles, makeBigFile, MB, MOVIE_PATH, progressRecorder, scratch, sha256File } from './helpers.js';

describe('smb destination (smbclient against a real, default-configured Samba)', () => {
  let server: SambaServer;
  let work: string;
  let big: { file: string; sha256: string; size: number };

  const config = (over: Partial<DestinationConfig> = {}): DestinationConfig => ({
    id: 'nas',
    name: 'NAS',
    kind: 'smb',
    host: server.host,
    port: server.port,
    username: server.user,
    password: server.password,
    share: server.share,
    base_path: 'Library',
    ...over,
  });

  beforeAll(async () => {
    work = await scratch('m3u-smb-test-');
    [server, big] = await Promise.all([startSamba(), makeBigFile(work, 200)]);
  });
  afterAll(async () => {
    await server?.close();
    if (work) await fsp.rm(work, { recursive: true, force: true });
  });

  it('puts a 200 MB file byte-identical under a nested accented path, via .part', async () => {
    const dest = createDestination(config(), deps());
    const progress = progressRecorder();
    const res = await transferFile(dest, big.file, MOVIE_PATH, { onProgress: progress.fn });
    expect(res).toMatchObject({ relPath: MOVIE_PATH, method: 'upload', bytes: big.size });
    expect(res.location).toBe(`//127.0.0.1:${server.port}/media/Library/${MOVIE_PATH}`);
    const landed = path.join(server.root, 'Library', MOVIE_PATH);
    expect(await sha256File(landed)).toBe(big.sha256);
    expect(await listFiles(path.join(server.root, 'Library'))).toEqual([MOVIE_PATH]);
    expect(progress.monotonic()).toBe(true);
    expect(progress.last()).toBe(big.size);
    expect(progress.calls.some((b) => b > 0 && b < big.size)).toBe(true); // progress during the put, not just at the end
    expect(await dest.stat(MOVIE_PATH)).toEqual({ size: big.size, isDirectory: false });
    expect(await dest.stat('Movies')).toMatchObject({ isDirectory: true });
    expect(await dest.stat('Movies/nothing.mkv')).toBeNull();

    // again: same size at the final name counts as done; a different file is never replaced
    const again = await transferFile(dest, big.file, MOVIE_PATH);
    expect(again.method).toBe('already_present');
    const other = path.join(work, 'other.mp4');
    await fsp.writeFile(other, 'not the same movie');
    await expect(transferFile(dest, other, MOVIE_PATH)).rejects.toMatchObject({ code: 'destination_exists' });
    const uniq = await transferFile(dest, other, MOVIE_PATH, { onCollision: 'uniquify' });
    expect(uniq.relPath).toBe('Movies/Título (2024)/Título (2024) (2).mp4');
    expect(await fsp.readFile(path.join(server.root, 'Library', uniq.relPath), 'utf8')).toBe('not the same movie');
    expect(await sha256File(landed)).toBe(big.sha256);
  });

  it('names with ; and brackets, rename never replaces, remove is idempotent', async () => {
    const dest = createDestination(config(), deps());
    const small = path.join(work, 'small.bin');
    await fsp.writeFile(small, 'x'.repeat(1000));
    const rel = 'Series/Love; Death [tmdbid-1]/S01E01.mkv';
    await transferFile(dest, small, rel);
    expect(await fsp.readFile(path.join(server.root, 'Library', rel), 'utf8')).toHaveLength(1000);
    await dest.upload(small, 'Series/tmp.part');
    await expect(dest.rename('Series/tmp.part', rel)).rejects.toMatchObject({ code: 'destination_exists' });
    await dest.remove('Series/tmp.part');
    await dest.remove('Series/tmp.part');
    expect(await dest.stat('Series/tmp.part')).toBeNull();
    await expect(dest.upload(small, 'bad"name.mkv')).rejects.toMatchObject({ code: 'destination_invalid_path' });
    await expect(dest.upload(small, '../escape.mkv')).rejects.toMatchObject({ code: 'destination_invalid_path' });
  });

  it('probe reports latency and free space, and writes+deletes a probe file', async () => {
    const dest = createDestination(config({ base_path: 'Probe/Here' }), deps());
    const res = await dest.probe();
    expect(res).toMatchObject({ ok: true, status: 'online' });
    expect(res.latencyMs).toBeGreaterThan(0);
    expect(res.freeBytes).toBeGreaterThan(0);
    expect(res.totalBytes).toBeGreaterThanOrEqual(res.freeBytes ?? 0);
    expect(await listFiles(path.join(server.root, 'Probe'))).toEqual([]);
    expect(await dest.freeSpace()).toBeGreaterThan(0);
  });

  it('a wrong password gives a clear AppError and status error', async () => {
    const dest = createDestination(config({ password: 'wrong' }), deps());
    const res = await dest.probe();
    expect(res).toMatchObject({ ok: false, status: 'error', code: 'destination_auth_failed' });
    expect(res.message).toBe(`SMB login refused for user ${server.user} on //127.0.0.1/media: check username and password (NT_STATUS_LOGON_FAILURE)`);
    const err = await transferFile(dest, big.file, 'Movies/x.mp4').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe('destination_auth_failed');
    expect(isRetryable(err)).toBe(false);
    // no password at all: refused too, and smbclient must not sit waiting for one
    expect(await createDestination(config({ password: '' }), deps()).probe()).toMatchObject({ ok: false, code: 'destination_auth_failed' });
    const badShare = await createDestination(config({ share: 'nope' }), deps()).probe();
    expect(badShare).toMatchObject({ ok: false, code: 'destination_not_found' });
    expect(badShare.message).toContain('The share "nope" does not exist');
  });

  it('keeps the password off the command line', async () => {
    const dest = createDestination(config({ base_path: 'Secret' }), deps());
    const seen: string[] = [];
    let stop = false;
    // watch the process table while probes run (one scan at a time)
    const watcher = (async () => {
      while (!stop) {
        for (const pid of await fsp.readdir('/proc')) {
          if (!/^\d+$/.test(pid)) continue;
          const cmd = await fsp.readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
          if (cmd.startsWith('smbclient')) seen.push(cmd.replaceAll('\0', ' '));
        }
      }
    })();
    try {
      // A probe can finish between two scans of /proc: keep probing (bounded) until one was seen.
      for (let i = 0; i < 3 || (seen.length === 0 && i < 40); i++) await dest.probe();
    } finally {
      stop = true;
      await watcher;
    }
    expect(seen.length).toBeGreaterThan(0);
    for (const cmd of seen) expect(cmd).not.toContain(server.password);
  });

  it('aborting mid-upload kills smbclient and leaves no final file (nor .part)', async () => {
    // 20 MB/s: the 180 MB left after the abort would take 9 s more, so a transfer that ran on
    // misses the bound below. The bound is timed from the abort, not from the start, so a loaded
    // machine's slow smbclient start-up does not count against it.
    const dest = createDestination(config({ base_path: 'Abort', bandwidth_limit_kbps: 20 * 1024 }), deps());
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
    expect(await listFiles(path.join(server.root, 'Abort'))).toEqual([]);
  });

  it('server stopped mid-transfer and restarted: the retry completes', async () => {
    const dest = createDestination(config({ base_path: 'Restart' }), deps());
    let stopping: Promise<void> | undefined;
    const err = await transferFile(dest, big.file, MOVIE_PATH, {
      onProgress: (b) => {
        if (b >= 20 * MB && !stopping) stopping = server.stop();
      },
    }).catch((e: unknown) => e);
    await stopping;
    expect(err).toBeInstanceOf(AppError);
    expect(isRetryable(err)).toBe(true);
    expect(await exists(path.join(server.root, 'Restart', MOVIE_PATH))).toBe(false);
    // while it is down, probe says offline
    expect(await dest.probe({ write: false })).toMatchObject({ ok: false, status: 'offline', code: 'destination_unreachable' });
    await server.start();
    const res = await transferFile(dest, big.file, MOVIE_PATH);
    expect(res.method).toBe('upload');
    expect(await sha256File(path.join(server.root, 'Restart', MOVIE_PATH))).toBe(big.sha256);
    expect(await listFiles(path.join(server.root, 'Restart'))).toEqual([MOVIE_PATH]);
  });

  it('honours the bandwidth limit', async () => {
    const dest = createDestination(config({ base_path: 'Slow', bandwidth_limit_kbps: 4096 }), deps());
    const { file } = await makeBigFile(work, 6, 'six.bin');
    const t0 = performance.now();
    await dest.mkdirp('');
    await dest.upload(file, 'six.bin');
    const secs = (performance.now() - t0) / 1000;
    expect(secs).toBeGreaterThan(1.2); // 6 MiB at 4 MiB/s: >= 1.5 s minus the burst allowance
    expect(secs).toBeLessThan(5);
  });
});
