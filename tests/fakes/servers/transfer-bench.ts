/**
 * Transfer throughput on loopback, for `npm run bench`: the SMB destination against a plain
 * `smbclient put` of the same file, and the SFTP destination against OpenSSH's `sftp` put,
 * alternating, same servers, same run. Returns medians in MB/s (10^6 bytes per second).
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { silentLogger } from '../../../addon/platform/logger.js';
import { createDestination } from '../../../addon/library/destinations/registry.js';
import { startSamba } from './samba.js';
import { startSshd } from './sshd.js';
import { tempDir } from './common.js';

export interface PairFigure {
  adapterMBps: number;
  plainMBps: number;
  /** adapter / plain (the target for SMB is >= 0.9). */
  ratio: number;
}

export interface TransferBenchResult {
  sizeMb: number;
  rounds: number;
  smb: PairFigure;
  sftp: PairFigure;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;

export async function benchTransfers(options: { sizeMb?: number; rounds?: number } = {}): Promise<TransferBenchResult> {
  const sizeMb = options.sizeMb ?? 200;
  const rounds = options.rounds ?? 5;
  const work = await tempDir('m3u-bench-transfer-');
  const [smb, ssh] = await Promise.all([startSamba(), startSshd()]);
  try {
    const file = path.join(work, 'bench.bin');
    const block = randomBytes(1024 * 1024);
    const fh = await fsp.open(file, 'w');
    for (let i = 0; i < sizeMb; i++) {
      block.writeUInt32BE(i, 0);
      await fh.write(block);
    }
    await fh.close();
    const bytes = sizeMb * 1024 * 1024;
    const keyFile = path.join(work, 'id');
    await fsp.writeFile(keyFile, ssh.privateKey, { mode: 0o600 });

    const deps = { logger: silentLogger() };
    const smbDest = createDestination(
      { id: 'bench-smb', name: 'bench', kind: 'smb', host: smb.host, port: smb.port, username: smb.user, password: smb.password, share: smb.share, base_path: '' },
      deps,
    );
    const sftpDest = createDestination(
      { id: 'bench-sftp', name: 'bench', kind: 'sftp', host: ssh.host, port: ssh.port, username: ssh.user, private_key: ssh.privateKey, base_path: ssh.root },
      deps,
    );
    const time = async (fn: () => Promise<void> | void): Promise<number> => {
      const t0 = performance.now();
      await fn();
      return (performance.now() - t0) / 1000;
    };
    const run = (cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env, input?: string): void => {
      const r = spawnSync(cmd, args, { env, ...(input ? { input } : {}) });
      if (r.status !== 0) throw new Error(`${cmd} failed: ${String(r.stderr)}`);
    };
    const t = { smbA: [] as number[], smbP: [] as number[], sftpA: [] as number[], sftpP: [] as number[] };
    await sftpDest.stat('warm-up'); // a destination keeps its SSH connection: measure the transfer
    for (let i = 0; i < rounds; i++) {
      t.smbA.push(await time(() => smbDest.upload(file, 'adapter.bin')));
      t.smbP.push(
        await time(() =>
          run('smbclient', ['-s', '/dev/null', `//${smb.host}/${smb.share}`, '-p', String(smb.port), '-m', 'SMB3', '-U', smb.user, '-c', `put ${file} plain.bin`], {
            ...process.env,
            PASSWD: smb.password,
          }),
        ),
      );
      t.sftpA.push(await time(() => sftpDest.upload(file, 'adapter.bin')));
      t.sftpP.push(
        await time(() =>
          run(
            'sftp',
            ['-q', '-i', keyFile, '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-P', String(ssh.port), '-b', '-', `${ssh.user}@${ssh.host}`],
            process.env,
            `put ${file} ${ssh.root}/plain.bin\n`,
          ),
        ),
      );
    }
    await sftpDest.close();
    const fig = (a: number[], p: number[]): PairFigure => {
      const adapterMBps = bytes / 1e6 / median(a);
      const plainMBps = bytes / 1e6 / median(p);
      return { adapterMBps: Math.round(adapterMBps), plainMBps: Math.round(plainMBps), ratio: Math.round((adapterMBps / plainMBps) * 100) / 100 };
    };
    return { sizeMb, rounds, smb: fig(t.smbA, t.smbP), sftp: fig(t.sftpA, t.sftpP) };
  } finally {
    await Promise.all([smb.close(), ssh.close()]);
    await fsp.rm(work, { recursive: true, force: true });
  }
}
