/**
 * A real rsync daemon for tests: `rsync --daemon --no-detach` on a free loopback port, one
 * writable module with `auth users` and a secrets file, everything under a temp dir.
 */
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { findProgram, freePort, HOST, spawnServer, tempDir, daemonLifecycle, type ServerHandle } from './common.js';

export interface RsyncdOptions {
  user?: string;
  password?: string;
  module?: string;
  port?: number;
}

export interface RsyncdServer extends ServerHandle {
  readonly host: string;
  readonly user: string;
  readonly password: string;
  readonly module: string;
}

export async function startRsyncd(options: RsyncdOptions = {}): Promise<RsyncdServer> {
  const user = options.user ?? 'm3u-rsync-test';
  const password = options.password ?? 'rsync-Secret-1';
  const module = options.module ?? 'media';
  const port = options.port ?? (await freePort());
  const dir = await tempDir('m3u-rsyncd-');
  const root = path.join(dir, 'module');
  await fsp.mkdir(root);
  const secrets = path.join(dir, 'secrets');
  await fsp.writeFile(secrets, `${user}:${password}\n`, { mode: 0o600 });
  const conf = path.join(dir, 'rsyncd.conf');
  await fsp.writeFile(
    conf,
    `pid file = ${dir}/rsyncd.pid
lock file = ${dir}/rsyncd.lock
use chroot = no
max connections = 20
[${module}]
  path = ${root}
  read only = no
  uid = root
  gid = root
  auth users = ${user}
  secrets file = ${secrets}
  strict modes = yes
`,
  );
  const rsync = findProgram('rsync');
  const handle: RsyncdServer = Object.assign(
    daemonLifecycle({
      what: 'rsync daemon',
      port,
      dir,
      logFile: path.join(dir, 'rsyncd.log'),
      // A killed daemon leaves its pid file behind and then refuses to start.
      beforeStart: () => fsp.rm(path.join(dir, 'rsyncd.pid'), { force: true }),
      launch: () =>
        spawnServer(
          rsync,
          ['--daemon', '--no-detach', `--config=${conf}`, `--port=${port}`, `--address=${HOST}`, `--log-file=${dir}/rsyncd.log`],
          path.join(dir, 'stdout.log'),
        ),
    }),
    {
      host: HOST,
      port,
      root,
      user,
      password,
      module,
    },
  );
  await handle.start();
  return handle;
}
