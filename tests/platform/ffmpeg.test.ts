import { spawn } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createFfmpegRunner, resolveFfmpeg } from '../../addon/platform/ffmpeg.js';
import { AppError } from '../../addon/errors.js';
import { BUILT_MAIN, freePort } from '../helpers/server-process.js';

describe('resolveFfmpeg', () => {
  it('prefers FFMPEG_PATH, then PATH, then the optional npm package', async () => {
    const fromPath = await resolveFfmpeg(undefined, process.env.PATH);
    expect(fromPath.source).toBe('PATH');
    expect(fromPath.version).toMatch(/\d/);
    expect((await resolveFfmpeg(fromPath.path, '')).source).toBe('FFMPEG_PATH');
    const bundled = await resolveFfmpeg(undefined, '/nonexistent');
    expect(bundled.source).toBe('@ffmpeg-installer/ffmpeg');
    expect(bundled.version).not.toBeNull();
  });

  it('explains a configured path that is not ffmpeg', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'ffpath-'));
    const plain = path.join(dir, 'notes.txt');
    await writeFile(plain, 'hello', { mode: 0o644 });
    await expect(resolveFfmpeg(plain, '')).rejects.toThrow(/not an executable file|does not run as ffmpeg/);
    await expect(resolveFfmpeg('/bin/false', '')).rejects.toThrow(/ffmpeg_path=\/bin\/false: does not run as ffmpeg/);
  });
});

const FFMPEG_ON_PATH = (await resolveFfmpeg(undefined, process.env.PATH)).path;

describe('ffmpeg runner', () => {
  const ffmpeg = createFfmpegRunner(FFMPEG_ON_PATH);

  it('reports progress and fails with the tail of stderr', async () => {
    const seen: number[] = [];
    await ffmpeg.run(['-v', 'error', '-f', 'lavfi', '-i', 'testsrc=duration=2:size=64x64', '-f', 'null', '-'], {
      signal: new AbortController().signal,
      onProgress: (t) => seen.push(t),
    });
    expect(seen.at(-1)).toBeGreaterThan(1.5);
    const err = await ffmpeg.run(['-v', 'error', '-i', '/nonexistent.ts', '-f', 'null', '-'], { signal: new AbortController().signal }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).message).toMatch(/ffmpeg failed \(exit 1\).*nonexistent\.ts/);
  });

  it('is killed by its AbortSignal', async () => {
    const controller = new AbortController();
    const started = Date.now();
    const run = ffmpeg.run(['-v', 'error', '-re', '-f', 'lavfi', '-i', 'testsrc=duration=60', '-f', 'null', '-'], { signal: controller.signal });
    setTimeout(() => controller.abort(new Error('stop')), 200);
    await expect(run).rejects.toThrow('stop');
    expect(Date.now() - started).toBeLessThan(5000);
  });
});

describe('the server process', () => {
  it('refuses to start on invalid configuration, listing every problem', async () => {
    const child = spawn(process.execPath, [BUILT_MAIN], {
      env: { PATH: process.env.PATH ?? '', OPTIONS_PATH: '/nonexistent', PORT: '99999', SEGMENT_CONCURRENCY: 'many', API_KEY: 'hunter2', LOG_LEVEL: 'chatty' },
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).toBe(2);
    expect(stderr).toMatch(/port="99999"/);
    expect(stderr).toMatch(/segment_concurrency="many"/);
    expect(stderr).toMatch(/log_level="chatty"/);
    expect(stderr).not.toMatch(/hunter2/);
  });

  it('does not start when FFMPEG_PATH is not ffmpeg, although the probe now runs while the server loads', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'ffbad-'));
    const child = spawn(process.execPath, [BUILT_MAIN], {
      env: { PATH: process.env.PATH ?? '', OPTIONS_PATH: '/nonexistent', PORT: String(await freePort()), FFMPEG_PATH: '/bin/false', DATA_DIR: path.join(dir, 'data'), MEDIA_DIR: path.join(dir, 'media'), TMP_DIR: path.join(dir, 'tmp') },
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).toBe(1);
    expect(output).toMatch(/ffmpeg_path=\/bin\/false: does not run as ffmpeg/);
    expect(output).not.toMatch(/m3u-downloader listening/);
  });
});
