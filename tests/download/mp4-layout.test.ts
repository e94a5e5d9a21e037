/**
 * The cheap check of a remuxed MP4 (box headers and the index only) against files real ffmpeg
 * made: moov-first from reserved room, moov-last, reserved room too small (ffmpeg 5.1 exits 0
 * but leaves no index), a file cut short. Plus the memory slabs segment bodies are copied into.
 */
import { mkdtemp, rm, truncate, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryBudget } from '../../addon/download/fetch-to-file.js';
import { mp4Problem, readMp4Layout } from '../../addon/download/mp4-layout.js';
import { buildMergeArgs, moovReserve } from '../../addon/hls/merge-args.js';
import { ffmpeg } from '../helpers/media-check.js';

let dir: string;
let source: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'm3udl-mp4-layout-'));
  source = path.join(dir, 'in.ts');
  await ffmpeg(['-v', 'error', '-f', 'lavfi', '-i', 'testsrc=size=160x120:rate=25', '-f', 'lavfi', '-i', 'sine', '-t', '20', '-c:v', 'libx264', '-preset', 'ultrafast', '-c:a', 'aac', '-f', 'mpegts', source]);
}, 60_000);
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function remux(name: string, extra: { moovSize?: number }): Promise<string> {
  const output = path.join(dir, name);
  const args = buildMergeArgs({ main: { path: source, concat: false }, audio: null, container: 'mp4', output, ...extra });
  await ffmpeg(args);
  return output;
}

async function problemOf(file: string): Promise<string | null> {
  const layout = await readMp4Layout(file);
  return mp4Problem(layout, layout.fileSize);
}

describe('remuxed MP4 layout', () => {
  it('room reserved by moovReserve: moov first, a free box after it, both tracks, no problem', async () => {
    const file = await remux('reserved.mp4', { moovSize: moovReserve(20, 0) });
    const layout = await readMp4Layout(file);
    const types = layout.boxes.map((b) => b.type);
    expect(types.slice(0, 3)).toEqual(['ftyp', 'moov', 'free']);
    expect(types).toContain('mdat');
    expect(layout.tracks.sort()).toEqual(['soun', 'vide']);
    expect(mp4Problem(layout, layout.fileSize)).toBeNull();
  });

  it('+faststart (the fallback) passes too', async () => {
    expect(await problemOf(await remux('faststart.mp4', {}))).toBeNull();
  });

  it('room too small: ffmpeg leaves the file without a usable index, and the check says so', async () => {
    const file = await remux('small.mp4', { moovSize: 2000 });
    expect(await problemOf(file)).toMatch(/no index|no media data/);
  });

  it('moov after the media, or a file cut short, are refused', async () => {
    const last = path.join(dir, 'last.mp4');
    await ffmpeg(['-v', 'error', '-i', source, '-c', 'copy', last]);
    expect(await problemOf(last)).toMatch(/after the media/);
    const cut = await remux('cut.mp4', { moovSize: moovReserve(20, 0) });
    await truncate(cut, (await stat(cut)).size - 1000);
    expect(await problemOf(cut)).toMatch(/boxes end at byte/);
  });
});

describe('MemoryBudget', () => {
  it('hands out slabs within its limit and reuses the ones given back', () => {
    const budget = new MemoryBudget(4 * 65536);
    const a = budget.acquire(100_000)!;
    expect(a.length).toBe(2 * 65536);
    const b = budget.acquire(100_000)!;
    expect(budget.acquire(1000)).toBeNull(); // full
    const body = budget.mark(a.subarray(0, 90_000), a);
    budget.release(body);
    expect(budget.inUse).toBe(2 * 65536);
    expect(budget.acquire(70_000)).toBe(a); // the same slab again, no new allocation
    budget.release(b);
    expect(budget.acquire(5 * 65536)).toBeNull(); // larger than the whole budget
  });
});
