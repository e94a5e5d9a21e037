import { spawn } from 'node:child_process';
import { abortError, destinationError } from './errors.js';

export interface RunOptions {
  env?: NodeJS.ProcessEnv;
  /** Written to the child's stdin, which is then closed. */
  input?: string;
  /**
   * Started right after the spawn, to feed the child data by another route (a FIFO) or watch
   * it (progress); gets a promise that settles when the child has exited, and its pid. Its rejection is reported unless it is a
   * broken pipe (the child's exit status tells that story).
   */
  feed?(exited: Promise<void>, pid: number | undefined): Promise<void>;
  signal?: AbortSignal;
  /** Called with each output line of stdout (split on \n and \r, for progress meters). */
  onLine?(line: string): void;
  /** How to explain a missing program. */
  installHint?: string;
}

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** stdout and stderr, each trimmed to its last 64 KiB. */
  stdout: string;
  stderr: string;
}

const KEEP = 64 * 1024;

/**
 * Runs a program without a shell, with arguments as an array (nothing is ever interpolated into
 * a command line). Abort sends SIGTERM, then SIGKILL after 2 s, and rejects with `aborted`
 * once the child is gone. A non-zero exit is NOT an error here: callers read the output.
 */
export function runProgram(program: string, args: string[], opts: RunOptions = {}): Promise<RunResult> {
  const { signal } = opts;
  if (signal?.aborted) return Promise.reject(abortError(signal));
  return new Promise<RunResult>((resolve, reject) => {
    const child = spawn(program, args, { env: opts.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] });
    let markExited: () => void = () => undefined;
    const exited = new Promise<void>((r) => {
      markExited = r;
    });
    let stdout = '';
    let stderr = '';
    let lineBuf = '';
    let spawnError: Error | undefined;
    let killTimer: NodeJS.Timeout | undefined;
    let feedError: unknown;

    const onAbort = (): void => {
      child.kill('SIGTERM');
      killTimer = setTimeout(() => child.kill('SIGKILL'), 2000);
      killTimer.unref();
    };
    signal?.addEventListener('abort', onAbort, { once: true });

    child.stdout?.setEncoding('utf8');
    child.stderr?.setEncoding('utf8');
    child.stdout?.on('data', (d: string) => {
      stdout = (stdout + d).slice(-KEEP);
      if (opts.onLine) {
        lineBuf += d;
        const parts = lineBuf.split(/[\r\n]/);
        lineBuf = parts.pop() ?? '';
        for (const line of parts) if (line !== '') opts.onLine(line);
      }
    });
    child.stderr?.on('data', (d: string) => {
      stderr = (stderr + d).slice(-KEEP);
    });
    child.stdin?.on('error', () => undefined); // child exited early; the exit tells why
    if (opts.input !== undefined) child.stdin?.end(opts.input);
    else child.stdin?.end();

    let feeding: Promise<void> = Promise.resolve();
    if (opts.feed) {
      feeding = opts.feed(exited, child.pid).catch((err: unknown) => {
        feedError = err;
        // The local side failed (file gone) or the child stopped reading: make sure it ends.
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      });
    }

    child.on('error', (err) => {
      spawnError = err;
      markExited();
    });
    child.on('close', (code, sig) => {
      markExited();
      signal?.removeEventListener('abort', onAbort);
      if (killTimer) clearTimeout(killTimer);
      if (opts.onLine && lineBuf !== '') opts.onLine(lineBuf);
      void feeding.then(() => {
        if (signal?.aborted) return reject(abortError(signal));
        if (spawnError) {
          const enoent = (spawnError as NodeJS.ErrnoException).code === 'ENOENT';
          return reject(
            destinationError(
              'destination_invalid_config',
              enoent ? `The program ${program} is not installed${opts.installHint ? ` (${opts.installHint})` : ''}` : `Could not start ${program}: ${spawnError.message}`,
              spawnError,
            ),
          );
        }
        const fe = feedError as NodeJS.ErrnoException | undefined;
        if (fe && fe.code !== 'EPIPE' && fe.code !== 'ERR_STREAM_PREMATURE_CLOSE') {
          return reject(destinationError('destination_protocol_error', `Reading the local file failed: ${fe.message}`, fe));
        }
        resolve({ code, signal: sig, stdout, stderr });
      });
    });
  });
}
