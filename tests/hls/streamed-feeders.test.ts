/**
 * Both ways the streamed remux feeds ffmpeg — FIFOs written by worker threads, and pipes fed
 * from the event loop (the fallback where mkfifo fails) — give the same frames as the source
 * when the part file grows in steps, and neither lets ffmpeg finish on a short input.
 */
import { appendFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildMergeArgs } from '../../addon/hls/merge-args.js';
import { StreamedRemux } from '../../addon/jobs/streamed-remux.js';
import { createFfmpegRunner } from '../../addon/platform/ffmpeg.js';
import { ensureFixtures, type Fixtures } from '../fixtures/media.js';
import { concatFrameHashes, ffmpegPath, videoFrameHashes } from '../helpers/media-check.js';

let fx: Fixtures;
let dir: string;
const ffmpeg = createFfmpegRunner(ffmpegPath);

beforeAll(async () => {
  fx = await ensureFixtures();
  dir = await mkdtemp(path.join(os.tmpdir(), 'm3udl-feeders-'));
}, 120_000);
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function segments(): Promise<Buffer[]> {
  const plain = path.join(fx.root, 'plain');
  const list = (await readFile(path.join(plain, 'index.m3u8'), 'utf8')).split('\n').filter((l) => l.endsWith('.ts'));
  return Promise.all(list.map((name) => readFile(path.join(plain, name))));
}

describe.each([
  ['FIFOs fed by worker threads', true],
  ['pipes fed from the event loop', false],
])('streamed remux through %s', (_name, fifos) => {
  it('reads the part file as it grows and ends exactly at its final size', async () => {
    const work = await mkdtemp(path.join(dir, 'w-'));
    const part = path.join(work, 't0-p0.media');
    await writeFile(part, '');
    const output = path.join(work, 'out.mp4');
    const remux = StreamedRemux.start(
      ffmpeg,
      [{ file: part, size: 0 }],
      (inputs) => buildMergeArgs({ main: { path: inputs[0]!, concat: false }, audio: null, container: 'mp4', output, moovSize: 256 * 1024 }),
      () => undefined,
      { fifos },
    );
    let size = 0;
    for (const seg of await segments()) {
      await appendFile(part, seg);
      size += seg.length;
      remux.appended(0, size);
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(await remux.finish([size])).toBeNull();
    expect(await videoFrameHashes(output)).toEqual(await concatFrameHashes(fx.scenarios.plain.references));
  }, 60_000);

  it('a part file shorter than its journal says is a failure, not a shorter film', async () => {
    const work = await mkdtemp(path.join(dir, 'w-'));
    const part = path.join(work, 't0-p0.media');
    const segs = await segments();
    await writeFile(part, Buffer.concat(segs.slice(0, 3)));
    const output = path.join(work, 'out.mp4');
    const remux = StreamedRemux.start(
      ffmpeg,
      [{ file: part, size: 0 }],
      (inputs) => buildMergeArgs({ main: { path: inputs[0]!, concat: false }, audio: null, container: 'mp4', output, moovSize: 256 * 1024 }),
      () => undefined,
      { fifos },
    );
    const claimed = segs.reduce((n, s) => n + s.length, 0);
    expect(await remux.finish([claimed])).not.toBeNull();
  }, 60_000);
});

