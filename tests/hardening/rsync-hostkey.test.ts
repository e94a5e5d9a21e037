import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDestination } from '../../addon/library/destinations/registry.js';
import { transferFile } from '../../addon/library/destinations/transfer.js';
import type { DestinationConfig } from '../../addon/library/destinations/types.js';
import { startSshd, type SshdServer } from '../fakes/servers/sshd.js';
import { deps, exists, makeBigFile, scratch } from '../library/destinations/helpers.js';

/**
 * rsync over ssh pins the server's host key like SFTP does (issue 12): the fingerprint the server
 * shows is reported, a pinned one lets transfers through, and a different key (a reinstalled or
 * impersonated server) stops them with a message naming both fingerprints. Real OpenSSH.
 */
describe('rsync over ssh: host key pinning', () => {
  let sshd: SshdServer;
  let work: string;
  beforeAll(async () => {
    sshd = await startSshd();
    work = await scratch('m3u-rsync-pin-');
  });
  afterAll(async () => {
    await sshd?.close();
    if (work) await fsp.rm(work, { recursive: true, force: true });
  });
  const config = (over: Partial<DestinationConfig> = {}): DestinationConfig => ({
    id: 'rs-pin',
    name: 'rsync pinned',
    kind: 'rsync',
    transport: 'ssh',
    host: sshd.host,
    port: sshd.port,
    username: sshd.user,
    private_key: sshd.privateKey,
    base_path: `${sshd.root}/Pinned`,
    ...over,
  });

  it('reports the fingerprint it saw, as SFTP does', async () => {
    const result = await createDestination(config(), deps()).probe();
    expect(result.ok).toBe(true);
    expect(result.hostKeyFingerprint).toBe(sshd.hostKeyFingerprint);
  });

  it('the pinned key gets through; a changed key stops the transfer with a clear message', async () => {
    const { file } = await makeBigFile(work, 1, 'one.bin');
    await transferFile(createDestination(config({ host_key_fingerprint: sshd.hostKeyFingerprint }), deps()), file, 'Movies/A/A.mkv');
    expect(await exists(path.join(sshd.root, 'Pinned/Movies/A/A.mkv'))).toBe(true);

    const other = 'SHA256:' + 'A'.repeat(43);
    const err = await transferFile(createDestination(config({ host_key_fingerprint: other }), deps()), file, 'Movies/B/B.mkv').then(() => null, (e: unknown) => e);
    expect((err as { code?: string })?.code).toBe('destination_host_key_mismatch');
    expect((err as Error).message).toContain(`(${sshd.hostKeyFingerprint}) is not the pinned one (${other})`);
    expect(await exists(path.join(sshd.root, 'Pinned/Movies/B/B.mkv'))).toBe(false);
  });
});
