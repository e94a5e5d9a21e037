/**
 * A real MQTT broker for tests: Debian's mosquitto on a free 127.0.0.1 port with a temp config
 * (no persistence, so a restart forgets retained messages: what comes back was republished).
 * stop()/start() keep the port, to prove reconnects.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

export interface Mosquitto {
  port: number;
  url: string;
  readonly running: boolean;
  start(): Promise<void>;
  stop(): Promise<void>;
  close(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

export async function startMosquitto(options: { users?: Record<string, string> } = {}): Promise<Mosquitto> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'mosquitto-'));
  await chmod(dir, 0o755); // mosquitto started as root reads its files as the mosquitto user
  const port = await freePort();
  const lines = [`listener ${port} 127.0.0.1`, 'persistence false', 'log_dest stderr', 'log_type error', 'log_type warning'];
  if (options.users) {
    const pw = path.join(dir, 'passwd');
    await writeFile(pw, '');
    for (const [user, password] of Object.entries(options.users)) {
      await promisify(execFile)('mosquitto_passwd', ['-b', pw, user, password]);
    }
    await chmod(pw, 0o644);
    lines.push('allow_anonymous false', `password_file ${pw}`);
  } else {
    lines.push('allow_anonymous true');
  }
  const conf = path.join(dir, 'mosquitto.conf');
  await writeFile(conf, `${lines.join('\n')}\n`);

  let child: ChildProcess | null = null;
  let exited: Promise<void> = Promise.resolve();
  let stderr = '';
  const broker: Mosquitto = {
    port,
    url: `mqtt://127.0.0.1:${port}`,
    get running() {
      return child !== null;
    },
    async start() {
      if (child) return;
      const c = spawn('mosquitto', ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
      c.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
      child = c;
      exited = new Promise((resolve) => c.once('exit', () => resolve()));
      const deadline = Date.now() + 10_000;
      while (!(await canConnect(port))) {
        if (c.exitCode !== null) throw new Error(`mosquitto exited: ${stderr}`);
        if (Date.now() > deadline) throw new Error(`mosquitto did not listen on ${port}: ${stderr}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    async stop() {
      if (!child) return;
      child.kill('SIGTERM');
      await exited;
      child = null;
    },
    async close() {
      await broker.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
  await broker.start();
  return broker;
}
