import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The project root, whether this runs from tests/ (vitest) or dist/tests/ (the benchmark). */
function projectRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, 'package.json'))) dir = path.dirname(dir);
  return dir;
}
const root = projectRoot();
export const BUILT_MAIN = path.join(root, 'dist/addon/main.js');

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
    srv.once('error', reject);
  });
}

export interface ServerProcess {
  child: ChildProcess;
  baseUrl: string;
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts the built server (`npm test` compiles first) and waits for /api/health. */
/**
 * `nodeArgs` go before the script (e.g. --cpu-prof for bench/cpu.ts; NODE_OPTIONS refuses it);
 * `main` runs another build (bench/cpu.ts compares two).
 */
export async function startServer(env: Record<string, string>, nodeArgs: readonly string[] = [], main = BUILT_MAIN): Promise<ServerProcess> {
  if (!existsSync(main)) throw new Error(`${main} is missing: run "npm run build" (npm test does it)`);
  const port = env.PORT ?? String(await freePort());
  // Same V8 flag as `npm start` and the Dockerfile, so tests and the benchmark run what users run.
  const child = spawn(process.execPath, ['--max-semi-space-size=4', ...nodeArgs, main], {
    env: { PATH: process.env.PATH ?? '', OPTIONS_PATH: '/nonexistent/options.json', LOG_LEVEL: 'info', MIN_FREE_SPACE_MB: '0', ...env, PORT: port },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const baseUrl = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited early:\n${out}`);
    try {
      const res = await fetch(`${baseUrl}/api/health`);
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`server did not start:\n${out}`);
    // Every 10 ms: the benchmark counts spawn to healthy inside the engine's times, and a coarser
    // poll would add its own wait (25 ms on average at 50 ms) to a start-up of ~0.3 s.
    await new Promise((r) => setTimeout(r, 10));
  }
  return { child, baseUrl, output: () => out, exited };
}
