import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../../addon/errors.js';
import { isRetryable } from '../../../addon/library/destinations/errors.js';
import { createDestination } from '../../../addon/library/destinations/registry.js';
import { transferFile } from '../../../addon/library/destinations/transfer.js';
import type { Destination, DestinationConfig } from '../../../addon/library/destinations/types.js';
import { startSshd, type SshdServer } from '../../fakes/servers/sshd.js';
import { deps, exists, listFiles, makeBigFile, MB, MOVIE_PATH, progressRecorder, scratch, sha256File } from './helpers.js';

describe('sftp destination (ssh2 against a real OpenSSH sshd)', () => {
  let server: SshdServer;
  let work: string;
  let big: { file: string; sha256: string; size: number };
  const open: Destination[] = [];

  const config = (over: Partial<DestinationConfig> = {}): DestinationConfig => ({
    id: 'box',
    name: 'Seedbox',
    kind: 'sftp',
    host: server.host,
    port: server.port,
    username: server.user,
    password: server.password,
    base_path: `${server.root}/Library`,
    ...over,
  });
  const make = (over: Partial<DestinationConfig> = {}): Destination => {
    const d = createDestination(config(over), deps());
    open.push(d);
    return d;
  };

  beforeAll(async () => {
    work = await scratch('m3u-sftp-test-');
    [server, big] = await Promise.all([startSshd(), makeBigFile(work, 200)]);
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map((d) => d.close()));
  });
  afterAll(async () => {
    await server?.close();
    if (work) await fsp.rm(work, { recursive: true, force: true });
  });

  it('puts a 200 MB file byte-identical under a nested accented path (password login)', async () => {
    const dest = make();
    const progress = progressRecorder();
    const res = await transferFile(dest, big.file, MOVIE_PATH, { onProgress: progress.fn });
    expect(res).toMatchObject({ relPath: MOVIE_PATH, method: 'upload', bytes: big.size, resumedFrom: 0 });
    const landed = path.join(server.root, 'Library', MOVIE_PATH);
    expect(await sha256File(landed)).toBe(big.sha256);
    expect(await listFiles(path.join(server.root, 'Library'))).toEqual([MOVIE_PATH]);
    expect(progress.monotonic()).toBe(true);
    expect(progress.last()).toBe(big.size);
    expect(await dest.stat('Movies/Título (2024)')).toMatchObject({ isDirectory: true });
    expect(await dest.stat('nothing')).toBeNull();
    // a different file never replaces it
    const other = path.join(work, 'other.mp4');
    await fsp.writeFile(other, 'other');
    await expect(transferFile(dest, other, MOVIE_PATH)).rejects.toMatchObject({ code: 'destination_exists' });
    await dest.upload(other, 'x.part');
    await expect(dest.rename('x.part', MOVIE_PATH)).rejects.toMatchObject({ code: 'destination_exists' });
    expect(await sha256File(landed)).toBe(big.sha256);
  });

  it('logs in with a private key and checks a pinned host key', async () => {
    const dest = make({ password: undefined, private_key: server.privateKey, host_key_fingerprint: server.hostKeyFingerprint, base_path: `${server.root}/Keyed` });
    const res = await dest.probe();
    expect(res).toMatchObject({ ok: true, status: 'online', hostKeyFingerprint: server.hostKeyFingerprint });
    expect(res.latencyMs).toBeGreaterThan(0);
    expect(res.freeBytes).toBeGreaterThan(0);
    expect(await listFiles(path.join(server.root, 'Keyed'))).toEqual([]); // probe file deleted
    const small = path.join(work, 'small.bin');
    await fsp.writeFile(small, 'key auth works');
    await transferFile(dest, small, 'Series/Show [tmdbid-1]/Season 01/Show - S01E01.mkv');
    expect(await fsp.readFile(path.join(server.root, 'Keyed/Series/Show [tmdbid-1]/Season 01/Show - S01E01.mkv'), 'utf8')).toBe('key auth works');

    const pinnedWrong = await make({ host_key_fingerprint: 'SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' }).probe();
    expect(pinnedWrong).toMatchObject({ ok: false, status: 'error', code: 'destination_host_key_mismatch', hostKeyFingerprint: server.hostKeyFingerprint });
  });

  it('a wrong password (or key) gives a clear AppError and status error', async () => {
    const res = await make({ password: 'wrong' }).probe();
    expect(res).toMatchObject({ ok: false, status: 'error', code: 'destination_auth_failed' });
    expect(res.message).toBe(`SFTP login refused for user ${server.user} on 127.0.0.1:${server.port}: check username and password`);
    const err = await transferFile(make({ password: 'wrong' }), big.file, 'x.mp4').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe('destination_auth_failed');
    expect(isRetryable(err)).toBe(false);
    const badKey = await make({ password: undefined, private_key: 'not a key' }).probe();
    expect(badKey).toMatchObject({ ok: false, code: 'destination_invalid_config' });
  });

  it('aborting mid-upload leaves no final file (nor .part)', async () => {
    // 20 MB/s: the 170 MB left after the abort would take 8.5 s more, so a transfer that ran on
    // misses the bound below. The bound is timed from the abort, not from the start, so a loaded
    // machine's slow SSH handshake does not count against it.
    const dest = make({ base_path: `${server.root}/Abort`, bandwidth_limit_kbps: 20 * 1024 });
    const ac = new AbortController();
    let abortedAt = 0;
    const err = await transferFile(dest, big.file, MOVIE_PATH, {
      signal: ac.signal,
      onProgress: (b) => {
        if (b >= 30 * MB && !abortedAt) {
          abortedAt = Date.now();
          ac.abort(new Error('user cancelled'));
        }
      },
    }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'aborted' });
    expect(Date.now() - abortedAt).toBeLessThan(5000);
    expect(await listFiles(path.join(server.root, 'Abort'))).toEqual([]);
    // the connection is still usable afterwards
    expect(await dest.stat('Movies')).toMatchObject({ isDirectory: true });
  });

  it('server stopped mid-transfer and restarted: the retry resumes the .part and completes', async () => {
    const dest = make({ base_path: `${server.root}/Restart` });
    let stopping: Promise<void> | undefined;
    const err = await transferFile(dest, big.file, MOVIE_PATH, {
      onProgress: (b) => {
        if (b >= 80 * MB && !stopping) stopping = server.stop();
      },
    }).catch((e: unknown) => e);
    await stopping;
    expect(err).toMatchObject({ code: 'destination_unreachable' });
    expect(isRetryable(err)).toBe(true);
    const partFile = path.join(server.root, 'Restart', `${MOVIE_PATH}.part`);
    const partSize = (await fsp.stat(partFile)).size;
    expect(partSize).toBeGreaterThan(40 * MB);
    expect(await exists(path.join(server.root, 'Restart', MOVIE_PATH))).toBe(false);
    expect(await dest.probe({ write: false })).toMatchObject({ ok: false, status: 'offline' });

    await server.start();
    const progress = progressRecorder();
    const res = await transferFile(dest, big.file, MOVIE_PATH, { onProgress: progress.fn });
    expect(res.resumedFrom).toBe(partSize);
    expect(progress.calls[0]).toBeGreaterThan(30 * MB); // it did not start from 0
    expect(await sha256File(path.join(server.root, 'Restart', MOVIE_PATH))).toBe(big.sha256);
    expect(await listFiles(path.join(server.root, 'Restart'))).toEqual([MOVIE_PATH]);
  });

  it('a resumed .part with garbage in its last 4 MiB is repaired by the rewind', async () => {
    const dest = make({ base_path: `${server.root}/Holes` });
    const { file, sha256, size } = await makeBigFile(work, 24, 'holes.bin');
    const part = path.join(server.root, 'Holes', 'f.bin.part');
    await fsp.mkdir(path.dirname(part), { recursive: true });
    // 20 MiB "uploaded", but the last 2 MiB of that never arrived (a hole of zeros)
    const fh = await fsp.open(part, 'w');
    const src = await fsp.open(file, 'r');
    const buf = Buffer.alloc(18 * MB);
    await src.read(buf, 0, buf.length, 0);
    await fh.write(buf, 0, buf.length, 0);
    await fh.truncate(20 * MB);
    await fh.close();
    await src.close();
    const owner = await fsp.stat(server.root);
    await fsp.chown(path.dirname(part), owner.uid, owner.gid);
    await fsp.chown(part, owner.uid, owner.gid);
    const res = await transferFile(dest, file, 'f.bin');
    expect(res.resumedFrom).toBe(20 * MB);
    expect(res.bytes).toBe(size);
    expect(await sha256File(path.join(server.root, 'Holes', 'f.bin'))).toBe(sha256);
  });

  it('honours the bandwidth limit', async () => {
    const dest = make({ base_path: `${server.root}/Slow`, bandwidth_limit_kbps: 4096 });
    const { file } = await makeBigFile(work, 6, 'six.bin');
    await dest.mkdirp('');
    const t0 = performance.now();
    await dest.upload(file, 'six.bin');
    const secs = (performance.now() - t0) / 1000;
    expect(secs).toBeGreaterThan(1.2);
    expect(secs).toBeLessThan(5);
  });
});
