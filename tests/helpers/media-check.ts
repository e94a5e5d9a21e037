import { spawn } from 'node:child_process';

/** Debian's ffmpeg by default; override with FFMPEG_PATH / FFPROBE_PATH. */
export const ffmpegPath = process.env.FFMPEG_PATH ?? 'ffmpeg';
export const ffprobePath = process.env.FFPROBE_PATH ?? 'ffprobe';

export interface ToolResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  timeoutMs?: number;
  cwd?: string;
  /** Reject when the exit code is not 0 (default true). */
  check?: boolean;
}

/** Runs a program without a shell and collects its output. */
export function runTool(cmd: string, args: readonly string[], options: RunOptions = {}): Promise<ToolResult> {
  const { timeoutMs = 120_000, cwd, check = true } = options;
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const result: ToolResult = {
        code,
        signal,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
      };
      if (check && code !== 0) {
        const why = signal ? `signal ${signal}` : `exit code ${code}`;
        reject(new Error(`${cmd} ${args.join(' ')} failed (${why}):\n${result.stderr.slice(-4000)}`));
      } else {
        resolve(result);
      }
    });
  });
}

/** ffmpeg with the flags every non-interactive call wants. */
export function ffmpeg(args: readonly string[], options?: RunOptions): Promise<ToolResult> {
  return runTool(ffmpegPath, ['-hide_banner', '-nostdin', '-v', 'error', '-y', ...args], options);
}

export interface ProbeStream {
  index: number;
  codec_name?: string;
  codec_type?: 'video' | 'audio' | 'subtitle' | 'data' | 'attachment';
  profile?: string;
  level?: number;
  width?: number;
  height?: number;
  pix_fmt?: string;
  r_frame_rate?: string;
  avg_frame_rate?: string;
  sample_rate?: string;
  channels?: number;
  start_time?: string;
  duration?: string;
  bit_rate?: string;
  nb_frames?: string;
  tags?: Record<string, string>;
  [key: string]: unknown;
}

export interface ProbeFormat {
  filename: string;
  nb_streams: number;
  nb_programs?: number;
  format_name: string;
  format_long_name?: string;
  start_time?: string;
  duration?: string;
  size?: string;
  bit_rate?: string;
  tags?: Record<string, string>;
  [key: string]: unknown;
}

export interface ProbeResult {
  streams: ProbeStream[];
  format: ProbeFormat;
}

/** ffprobe -show_streams -show_format as JSON. `file` may also be a URL. */
export async function probe(file: string, extraArgs: readonly string[] = []): Promise<ProbeResult> {
  const { stdout } = await runTool(ffprobePath, [
    '-v', 'error', ...extraArgs, '-print_format', 'json', '-show_streams', '-show_format', file,
  ]);
  const parsed = JSON.parse(stdout) as Partial<ProbeResult>;
  if (!parsed.format) throw new Error(`ffprobe returned no format for ${file}`);
  return { streams: parsed.streams ?? [], format: parsed.format };
}

/** Container duration in seconds (NaN when ffprobe does not know it). */
export async function durationSec(file: string): Promise<number> {
  return Number((await probe(file)).format.duration);
}

/** Decodes every stream fully; returns ffmpeg's error output, '' when the file is clean. */
export async function decodeErrors(file: string): Promise<string> {
  const res = await runTool(ffmpegPath, ['-hide_banner', '-nostdin', '-v', 'error', '-i', file, '-f', 'null', '-'], {
    check: false,
  });
  const text = res.stderr.trim();
  if (res.code !== 0 && text === '') return `ffmpeg exited with code ${res.code}`;
  return text;
}

/**
 * MD5 of every decoded frame of the first video stream, in decode output order, without
 * timestamps, so a remuxed or re-timestamped copy compares equal to its source.
 * `-fps_mode passthrough` stops ffmpeg from dropping or duplicating frames around timestamp jumps.
 */
export async function videoFrameHashes(file: string): Promise<string[]> {
  const { stdout } = await runTool(ffmpegPath, [
    '-hide_banner', '-nostdin', '-v', 'error', '-i', file,
    '-map', '0:v:0', '-fps_mode', 'passthrough', '-f', 'framemd5', '-',
  ]);
  const hashes: string[] = [];
  for (const line of stdout.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const hash = line.slice(line.lastIndexOf(',') + 1).trim();
    if (hash) hashes.push(hash);
  }
  return hashes;
}

/** Frame hashes of several files, concatenated in order (a reference for discontinuities). */
export async function concatFrameHashes(files: readonly string[]): Promise<string[]> {
  const all: string[] = [];
  for (const f of files) all.push(...(await videoFrameHashes(f)));
  return all;
}

/** True when the file has at least one audio stream. */
export async function audioPresent(file: string): Promise<boolean> {
  return (await probe(file)).streams.some((s) => s.codec_type === 'audio');
}
