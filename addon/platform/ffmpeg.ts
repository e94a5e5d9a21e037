import { execFile, spawn, spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { AppError } from '../errors.js';

export interface FfmpegBinary {
  path: string;
  /** Where it came from, for /api/health and the startup log. */
  source: 'FFMPEG_PATH' | 'PATH' | '@ffmpeg-installer/ffmpeg';
  version: string | null;
}

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function findOnPath(name: string, envPath: string | undefined): string | null {
  for (const dir of (envPath ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, name);
    if (isExecutable(candidate)) return candidate;
  }
  return null;
}

/**
 * `ffmpeg -version`, asynchronously: ffmpeg loads its codec libraries first (tens of ms, more on a
 * busy NAS), and a synchronous probe would stall the whole start-up for that time.
 */
function versionOf(binary: string): Promise<string | null> {
  return new Promise((resolve) => {
    execFile(binary, ['-hide_banner', '-version'], { encoding: 'utf8', timeout: 10_000 }, (err, stdout) => {
      resolve(err ? null : (/ffmpeg version (\S+)/.exec(stdout)?.[1] ?? null));
    });
  });
}

/**
 * FFMPEG_PATH, then `ffmpeg` on PATH, then the static build inside the optional npm package,
 * so `npm start` works on a machine without a system ffmpeg. main.ts starts this before loading
 * the rest of the server, so the probe runs while the modules load.
 */
export async function resolveFfmpeg(configured: string | undefined, envPath: string | undefined): Promise<FfmpegBinary> {
  if (configured) {
    if (!isExecutable(configured)) {
      throw new AppError('ffmpeg_missing', `ffmpeg_path=${configured}: not an executable file`);
    }
    const version = await versionOf(configured);
    if (version === null) throw new AppError('ffmpeg_missing', `ffmpeg_path=${configured}: does not run as ffmpeg (-version failed)`);
    return { path: configured, source: 'FFMPEG_PATH', version };
  }
  const onPath = findOnPath('ffmpeg', envPath);
  if (onPath) return { path: onPath, source: 'PATH', version: await versionOf(onPath) };
  let installed: string | null = null;
  try {
    const require = createRequire(import.meta.url);
    installed = (require('@ffmpeg-installer/ffmpeg') as { path: string }).path;
  } catch {
    // optional dependency not installed for this platform
  }
  if (installed && isExecutable(installed)) return { path: installed, source: '@ffmpeg-installer/ffmpeg', version: await versionOf(installed) };
  throw new AppError(
    'ffmpeg_missing',
    'ffmpeg not found: install it (apt-get install ffmpeg), put it on PATH, or set FFMPEG_PATH',
  );
}

export interface FfmpegRunOptions {
  signal: AbortSignal;
  /** Called with the output position in seconds as ffmpeg reports it. */
  onProgress?: (outTimeSeconds: number) => void;
  cwd?: string;
  /**
   * Byte streams ffmpeg reads as `pipe:3`, `pipe:4`, ... (one extra file descriptor each), so a
   * remux can read its inputs while they are still being downloaded. A stream that errors is
   * cut off: ffmpeg then sees an early end of that input, so the caller must not trust the output.
   */
  inputs?: readonly NodeJS.ReadableStream[];
}

export interface FfmpegRunner {
  run(args: string[], options: FfmpegRunOptions): Promise<void>;
}

const STDERR_TAIL_BYTES = 4096;

/**
 * The command that starts ffmpeg so the kernel kills it when the server dies: util-linux's
 * `setpriv --pdeathsig KILL` (PR_SET_PDEATHSIG, kept across its exec of ffmpeg), when it is on
 * PATH and works; else nothing. Without it, an ffmpeg whose server was killed (kill -9, OOM)
 * runs on: a merge reads its inputs from files, ignores SIGPIPE on its progress pipe, and keeps
 * writing its output while a restarted server merges the same job again.
 */
export function parentDeathLauncher(envPath: string | undefined): string[] {
  const setpriv = findOnPath('setpriv', envPath);
  if (!setpriv) return [];
  const launcher = [setpriv, '--pdeathsig', 'KILL', '--'];
  const works = spawnSync(launcher[0]!, [...launcher.slice(1), 'true'], { stdio: 'ignore', timeout: 10_000 });
  return works.status === 0 ? launcher : [];
}

/**
 * A typed spawn of ffmpeg: progress from `-progress pipe:1`, the stderr tail kept for errors.
 * `launcher` goes in front of the binary (parentDeathLauncher by default).
 */
export function createFfmpegRunner(binary: string, launcherGiven?: readonly string[]): FfmpegRunner {
  // Found on the first run, not at start-up: the check spawns setpriv once.
  let found: readonly string[] | undefined = launcherGiven;
  return {
    run(args, options) {
      return new Promise<void>((resolve, reject) => {
        if (options.signal.aborted) return reject(options.signal.reason);
        const launcher = (found ??= parentDeathLauncher(process.env.PATH));
        const inputs = options.inputs ?? [];
        const command = [...launcher, binary, '-hide_banner', '-nostdin', '-progress', 'pipe:1', '-nostats', ...args];
        const child = spawn(command[0]!, command.slice(1), {
          cwd: options.cwd,
          stdio: ['ignore', 'pipe', 'pipe', ...inputs.map(() => 'pipe' as const)],
        });
        inputs.forEach((input, n) => {
          const pipe = child.stdio[3 + n] as NodeJS.WritableStream & { on(e: 'error', f: (err: Error) => void): void };
          // ffmpeg exiting early closes its end (EPIPE): its exit status tells what happened.
          pipe.on('error', () => undefined);
          input.pipe(pipe);
        });
        let stderrTail = '';
        let stdoutBuffer = '';
        child.stderr!.setEncoding('utf8');
        child.stderr!.on('data', (chunk: string) => {
          stderrTail = (stderrTail + chunk).slice(-STDERR_TAIL_BYTES);
        });
        child.stdout!.setEncoding('utf8');
        child.stdout!.on('data', (chunk: string) => {
          stdoutBuffer += chunk;
          let newline: number;
          while ((newline = stdoutBuffer.indexOf('\n')) >= 0) {
            const line = stdoutBuffer.slice(0, newline).trim();
            stdoutBuffer = stdoutBuffer.slice(newline + 1);
            const match = /^out_time_us=(\d+)$/.exec(line);
            if (match && options.onProgress) options.onProgress(Number(match[1]) / 1e6);
          }
        });
        const onAbort = (): void => {
          child.kill('SIGKILL');
        };
        options.signal.addEventListener('abort', onAbort, { once: true });
        child.once('error', (err) => {
          options.signal.removeEventListener('abort', onAbort);
          reject(new AppError('ffmpeg_failed', `could not start ffmpeg: ${err.message}`, { cause: err }));
        });
        child.once('close', (code, sig) => {
          options.signal.removeEventListener('abort', onAbort);
          if (options.signal.aborted) return reject(options.signal.reason);
          if (code === 0) return resolve();
          const lines = stderrTail.trim().split('\n').slice(-6).join(' | ');
          reject(new AppError('ffmpeg_failed', `ffmpeg failed (${sig ?? `exit ${code}`}): ${lines || 'no output'}`));
        });
      });
    },
  };
}
