/**
 * Section transfers: the SMB destination against a plain `smbclient put` of the same file, and
 * the SFTP destination (ssh2, in process) against OpenSSH's `sftp` put, on loopback Samba and
 * sshd started for the run (tests/fakes/servers). Four tools in alternating rounds, the order
 * rotated each round. Same start-up treatment: every tool's connection set-up is counted (a
 * destination is created fresh for each upload, so its SSH handshake is inside its time, as it is
 * inside `sftp`'s; the SMB destination spawns smbclient per upload, as the plain put does).
 * MB/s are 10^6 bytes per second.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fsp from 'node:fs/promises';
import path from 'node:path';
import { createDestination } from '../addon/library/destinations/registry.js';
import { silentLogger } from '../addon/platform/logger.js';
import { startSamba } from '../tests/fakes/servers/samba.js';
import { startSshd } from '../tests/fakes/servers/sshd.js';
import { alternate, compare, hasTool, logFigures, MB, toolVersion, type BenchContext } from './context.js';
import type { Figure } from './figure.js';

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv, input?: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env, stdio: [input === undefined ? 'ignore' : 'pipe', 'ignore', 'pipe'] });
    let err = '';
    child.stderr!.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-2000)));
    if (input !== undefined) child.stdin!.end(input);
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${cmd} exited ${code}: ${err}`))));
  });
}

export async function benchTransfersSection(ctx: BenchContext): Promise<Figure[]> {
  if (!hasTool(ctx, 'smbclient', ['--version']) || !hasTool(ctx, 'sftp', ['-h'])) return [];
  const sizeMb = Number(process.env.BENCH_TRANSFER_MB ?? (ctx.quick ? 50 : 200));
  const rounds = ctx.quick ? 2 : 5;
  ctx.log(`a ${sizeMb} MiB file on loopback, ${rounds} rounds; peers: ${toolVersion('smbclient', ['--version'])}, ${toolVersion('ssh', ['-V'])}`);
  const work = path.join(ctx.work, 'transfers');
  await fsp.mkdir(work, { recursive: true });
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
    type Tool = 'smb' | 'smbclient' | 'sftp-dest' | 'sftp';
    const runs = await alternate(rounds, ['smb', 'smbclient', 'sftp-dest', 'sftp'] as Tool[], async (tool) => {
      const t0 = performance.now();
      switch (tool) {
        case 'smb': {
          const dest = createDestination(
            { id: 'bench-smb', name: 'bench', kind: 'smb', host: smb.host, port: smb.port, username: smb.user, password: smb.password, share: smb.share, base_path: '' },
            deps,
          );
          await dest.upload(file, 'adapter.bin');
          break;
        }
        case 'smbclient':
          await run('smbclient', ['-s', '/dev/null', `//${smb.host}/${smb.share}`, '-p', String(smb.port), '-m', 'SMB3', '-U', smb.user, '-c', `put ${file} plain.bin`], { ...process.env, PASSWD: smb.password });
          break;
        case 'sftp-dest': {
          const dest = createDestination(
            { id: 'bench-sftp', name: 'bench', kind: 'sftp', host: ssh.host, port: ssh.port, username: ssh.user, private_key: ssh.privateKey, base_path: ssh.root },
            deps,
          );
          try {
            await dest.upload(file, 'adapter.bin');
          } finally {
            await (dest as { close?: () => Promise<void> }).close?.();
          }
          break;
        }
        case 'sftp':
          await run(
            'sftp',
            ['-q', '-i', keyFile, '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-P', String(ssh.port), '-b', '-', `${ssh.user}@${ssh.host}`],
            process.env,
            `put ${file} ${ssh.root}/plain.bin\n`,
          );
          break;
      }
      return bytes / MB / ((performance.now() - t0) / 1000);
    });
    const section = 'transfers';
    const figures = [
      compare({
        id: 'transfers.smb-vs-smbclient', section, unit: 'MB/s', better: 'higher',
        label: `SMB destination vs smbclient put, ${sizeMb} MiB on loopback`,
        values: runs.smb, peerLabel: 'smbclient put', peerValues: runs.smbclient, targetRatio: 0.9,
        note: 'both spawn smbclient per file (process start and login counted for both)',
      }),
      compare({
        id: 'transfers.sftp-vs-openssh', section, unit: 'MB/s', better: 'higher',
        label: `SFTP destination (ssh2) vs OpenSSH sftp put, ${sizeMb} MiB on loopback`,
        values: runs['sftp-dest'], peerLabel: 'OpenSSH sftp put', peerValues: runs.sftp,
        note: 'SSH handshake counted for both (a fresh destination per upload; sftp starts a process)',
      }),
    ];
    logFigures(ctx, figures);
    return figures;
  } finally {
    await Promise.all([smb.close(), ssh.close()]);
    await fsp.rm(work, { recursive: true, force: true });
  }
}
