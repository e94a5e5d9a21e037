/**
 * Shared plumbing for the real-server harnesses (Samba, OpenSSH, rsync daemon): free loopback
 * ports, waiting for a port, killing a server with every per-connection child it forked,
 * and the system users those servers insist on. Linux only (reads /proc); run as root.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';

export const execFileP = promisify(execFile);
export const HOST = '127.0.0.1';

export interface ServerHandle {
  readonly port: number;
  /** The directory on disk where uploaded files land (the share / module / sftp root). */
  readonly root: string;
  /** Start again on the same port (after stop()). */
  start(): Promise<void>;
  /**
   * Stop the server and all its connection processes at once: SIGKILL by default (a crash or
   * power cut), or SIGTERM with `graceful` (a service restart: the processes may clean up).
   */
  stop(options?: StopOptions): Promise<void>;
  /** stop() and delete every temp file. */
  close(): Promise<void>;
  readonly running: boolean;
}

export interface StopOptions {
  graceful?: boolean;
}

export type Lifecycle = Pick<ServerHandle, 'start' | 'stop' | 'close' | 'running'>;

/**
 * start() (with a few retries: the previous run may still hold the port), stop() and close()
 * for one daemon; each harness adds its own connection details with Object.assign, which keeps
 * the `running` getter live.
 */
export function daemonLifecycle(options: {
  what: string;
  port: number;
  /** Removed by close(). */
  dir: string;
  /** The daemon's own log, quoted when it fails to start. */
  logFile: string;
  launch: () => Promise<ChildProcess>;
  /** Runs before every start attempt (e.g. remove a stale pid file). */
  beforeStart?: () => Promise<void>;
}): Lifecycle {
  let child: ChildProcess | undefined;
  const life: Lifecycle = {
    get running() {
      return child !== undefined && child.exitCode === null && child.signalCode === null;
    },
    async start() {
      if (life.running) return;
      for (let attempt = 0; ; attempt++) {
        await options.beforeStart?.();
        child = await options.launch();
        try {
          await waitForPort(options.port, child, options.what, options.logFile);
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
      await life.stop();
      await fsp.rm(options.dir, { recursive: true, force: true });
    },
  };
  return life;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, HOST, () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

export function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host: HOST, port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
    s.setTimeout(1000, () => {
      s.destroy();
      resolve(false);
    });
  });
}

export async function waitForPort(port: number, child: ChildProcess | undefined, what: string, logFile?: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child && child.exitCode !== null) break;
    if (await canConnect(port)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  const log = logFile && existsSync(logFile) ? readFileSync(logFile, 'utf8').slice(-2000) : '';
  throw new Error(`${what} did not listen on ${HOST}:${port}${child?.exitCode !== null && child ? ` (exited ${child.exitCode})` : ''}\n${log}`);
}

/** pid and all its descendants (from /proc), children first. */
export function processTree(pid: number): number[] {
  const parents = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const list = parents.get(ppid) ?? [];
      list.push(Number(entry));
      parents.set(ppid, list);
    } catch {
      // process ended while we looked
    }
  }
  const out: number[] = [];
  const walk = (p: number): void => {
    for (const c of parents.get(p) ?? []) walk(c);
    out.push(p);
  };
  walk(pid);
  return out;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return !existsSync(`/proc/${pid}/stat`) ? false : !/\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/**
 * Signal a server and every process it forked (SIGKILL, or SIGTERM when graceful, escalating to
 * SIGKILL after 5 s); resolves when they are all gone.
 */
export async function killTree(child: ChildProcess, options: StopOptions = {}): Promise<void> {
  const pid = child.pid;
  if (pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const pids = processTree(pid);
  const send = (sig: NodeJS.Signals): void => {
    for (const p of pids) {
      try {
        process.kill(p, sig);
      } catch {
        // already gone
      }
    }
  };
  send(options.graceful ? 'SIGTERM' : 'SIGKILL');
  let deadline = Date.now() + 5000;
  while (pids.some(alive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  if (pids.some(alive)) send('SIGKILL');
  await exited;
  deadline = Date.now() + 5000;
  while (pids.some(alive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
}

/** Servers still running, killed (with their connection processes) if the test process exits first. */
const live = new Set<ChildProcess>();
let exitHookInstalled = false;

function killLiveServersNow(): void {
  for (const child of live) {
    if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) continue;
    for (const p of processTree(child.pid)) {
      try {
        process.kill(p, 'SIGKILL');
      } catch {
        // gone
      }
    }
  }
  live.clear();
}

/** Spawn a server in its own process group, output to a log file. */
export async function spawnServer(program: string, args: string[], logFile: string, env?: NodeJS.ProcessEnv): Promise<ChildProcess> {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', killLiveServersNow);
  }
  const log = await fsp.open(logFile, 'a');
  const child = spawn(program, args, { stdio: ['ignore', log.fd, log.fd], detached: true, env: env ?? process.env });
  child.on('error', () => undefined);
  live.add(child);
  child.once('exit', () => live.delete(child));
  await log.close();
  return child;
}

export async function tempDir(prefix: string): Promise<string> {
  return fsp.mkdtemp(path.join(os.tmpdir(), prefix));
}

/** The system account a server maps the test login to; created once (useradd), no home. */
export async function ensureSystemUser(name: string): Promise<{ uid: number; gid: number }> {
  for (let attempt = 0; ; attempt++) {
    try {
      const { stdout } = await execFileP('id', ['-u', name]);
      const { stdout: g } = await execFileP('id', ['-g', name]);
      return { uid: Number(stdout.trim()), gid: Number(g.trim()) };
    } catch {
      try {
        await execFileP('useradd', ['-M', '-U', '-d', '/nonexistent', '-s', '/bin/sh', name]);
      } catch (err) {
        // another test file may be creating it at the same time (passwd lock)
        if (attempt > 20) throw err;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }
}

/** Find a daemon in the sbin directories (sshd must be started by absolute path). */
export function findProgram(name: string): string {
  for (const dir of ['/usr/sbin', '/usr/local/sbin', '/sbin', '/usr/bin', '/usr/local/bin', '/bin']) {
    const p = path.join(dir, name);
    if (existsSync(p)) return p;
  }
  throw new Error(`${name} not found: install it (see .ci/run)`);
}
