/**
 * A real Samba server (smbd) for tests, in its DEFAULT security configuration (NTLMv2 only,
 * SMB2+), on a free loopback port, with everything (passdb, locks, state, logs, the share)
 * under one temp dir. The login must map to a system account, so one is created if missing.
 */
import { spawn } from 'node:child_process';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { ensureSystemUser, findProgram, freePort, HOST, spawnServer, tempDir, daemonLifecycle, type ServerHandle } from './common.js';

export interface SambaOptions {
  user?: string;
  password?: string;
  share?: string;
  port?: number;
}

export interface SambaServer extends ServerHandle {
  readonly host: string;
  readonly user: string;
  readonly password: string;
  readonly share: string;
}

export async function startSamba(options: SambaOptions = {}): Promise<SambaServer> {
  const user = options.user ?? 'm3u-smb-test';
  const password = options.password ?? 'smb-Secret-1';
  const share = options.share ?? 'media';
  const port = options.port ?? (await freePort());
  await ensureSystemUser(user);

  const dir = await tempDir('m3u-samba-');
  const root = path.join(dir, 'share');
  for (const d of ['pid', 'lock', 'state', 'cache', 'private', 'log', 'share']) await fsp.mkdir(path.join(dir, d), { recursive: true });
  const conf = path.join(dir, 'smb.conf');
  await fsp.writeFile(
    conf,
    `[global]
  server role = standalone server
  smb ports = ${port}
  interfaces = lo
  bind interfaces only = yes
  disable netbios = yes
  pid directory = ${dir}/pid
  lock directory = ${dir}/lock
  state directory = ${dir}/state
  cache directory = ${dir}/cache
  private dir = ${dir}/private
  ncalrpc dir = ${dir}/lock/ncalrpc
  passdb backend = tdbsam:${dir}/private/passdb.tdb
  log file = ${dir}/log/smbd.log
  log level = 1
  load printers = no
  printing = bsd
  printcap name = /dev/null
  disable spoolss = yes

[${share}]
  path = ${root}
  read only = no
  force user = root
`,
  );
  // add the user to this server's own passdb
  await new Promise<void>((resolve, reject) => {
    const p = spawn('smbpasswd', ['-c', conf, '-s', '-a', user], { stdio: ['pipe', 'ignore', 'pipe'] });
    let err = '';
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    p.on('error', reject);
    p.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`smbpasswd failed: ${err}`))));
    p.stdin.end(`${password}\n${password}\n`);
  });

  const smbd = findProgram('smbd');
  const handle: SambaServer = Object.assign(
    daemonLifecycle({
      what: 'smbd',
      port,
      dir,
      logFile: path.join(dir, 'log', 'smbd.log'),
      launch: () => spawnServer(smbd, ['-F', '--no-process-group', '-s', conf], path.join(dir, 'log', 'stdout.log')),
    }),
    {
      host: HOST,
      port,
      root,
      user,
      password,
      share,
    },
  );
  await handle.start();
  return handle;
}
