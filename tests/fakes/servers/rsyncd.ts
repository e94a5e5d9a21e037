/**
 * A real rsync daemon for tests: `rsync --daemon --no-detach` on a free loopback port, one
 * writable module with `auth users` and a secrets file, everything under a temp dir.
 */
import type { ChildProcess } from 'node:child_process';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { findProgram, freePort, HOST, killTree, spawnServer, tempDir, waitForPort, type ServerHandle, type StopOptions } from './common.js';

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
  let child: ChildProcess | undefined;
  const handle: RsyncdServer = {
    host: HOST,
    port,
    root,
    user,
    password,
    module,
    get running() {
      return child !== undefined && child.exitCode === null && child.signalCode === null;
    },
    async start() {
      if (handle.running) return;
      for (let attempt = 0; ; attempt++) {
        await fsp.rm(path.join(dir, 'rsyncd.pid'), { force: true }); // a killed daemon leaves it and refuses to start
        child = await spawnServer(
          rsync,
          ['--daemon', '--no-detach', `--config=${conf}`, `--port=${port}`, `--address=${HOST}`, `--log-file=${dir}/rsyncd.log`],
          path.join(dir, 'stdout.log'),
        );
        try {
          await waitForPort(port, child, 'rsync daemon', path.join(dir, 'rsyncd.log'));
          return;
        } catch (err) {
          await killTree(child);
          if (attempt >= 3) throw err;
          await new Promise((r) => setTimeout(r, 300));
        }
      }
    },
    async stop(stopOptions?: StopOptions) {
      if (child) await killTree(child, stopOptions);
    },
    async close() {
      await handle.stop();
      await fsp.rm(dir, { recursive: true, force: true });
    },
  };
  await handle.start();
  return handle;
}
