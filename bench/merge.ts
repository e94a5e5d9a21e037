/**
 * Section merge: the remux the engine runs after a download (ffmpeg with the arguments of
 * addon/hls/merge-args.ts, so this follows whatever the engine passes) on the downloaded part
 * file, against `cp` of the same file to the same folder. Both are processes started per round
 * (process start counted for both); both read the input from the page cache and leave their
 * writes to the kernel (neither syncs). MP4 (+faststart today) and MKV.
 */
import { mkdir, open, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { buildMergeArgs } from '../addon/hls/merge-args.js';
import { alternate, compare, logFigures, MB, timeCommand, type BenchContext } from './context.js';
import type { Figure } from './figure.js';
import { bigStream } from './hls.js';

/** The part file a download leaves: every segment's bytes in order. */
async function partFile(ctx: BenchContext): Promise<{ file: string; bytes: number }> {
  const stream = await bigStream(ctx);
  const file = path.join(stream.dir, 'part.ts.bench');
  const marker = `${file}.json`;
  try {
    return { file, bytes: (JSON.parse(await readFile(marker, 'utf8')) as { bytes: number }).bytes };
  } catch {
    // build it
  }
  const segments = (await readdir(stream.dir)).filter((f) => f.endsWith('.ts')).sort();
  const out = await open(file, 'w');
  try {
    for (const s of segments) await out.write(await readFile(path.join(stream.dir, s)));
  } finally {
    await out.close();
  }
  const { size } = await stat(file);
  await writeFile(marker, JSON.stringify({ bytes: size }));
  return { file, bytes: size };
}

export async function benchMerge(ctx: BenchContext): Promise<Figure[]> {
  const part = await partFile(ctx);
  const rounds = ctx.quick ? 3 : 5;
  const dir = path.join(ctx.work, 'merge');
  await mkdir(dir, { recursive: true });
  const size = `${(part.bytes / MB).toFixed(0)} MB`;
  ctx.log(`part file of ${size} (the unthrottled stream's segments in order); ${rounds} rounds`);
  type Tool = 'merge-mp4' | 'merge-mkv' | 'cp';
  const runs = await alternate(rounds, ['merge-mp4', 'merge-mkv', 'cp'] as Tool[], async (tool) => {
    const output = path.join(dir, `out-${tool}`);
    try {
      const run =
        tool === 'cp'
          ? await timeCommand('cp', [part.file, output], dir)
          : await timeCommand('ffmpeg', buildMergeArgs({ main: { path: part.file, concat: false }, audio: null, container: tool === 'merge-mp4' ? 'mp4' : 'mkv', output }), dir);
      const written = (await stat(output)).size;
      if (written < part.bytes * 0.8) throw new Error(`${tool} wrote ${written} of ${part.bytes} bytes`);
      return run.seconds;
    } finally {
      await rm(output, { force: true });
    }
  });
  const section = 'merge';
  const figures = (['mp4', 'mkv'] as const).map((container) =>
    compare({
      id: `merge.${container}-vs-cp`, section, unit: 's',
      label: `remux of a ${size} part file to ${container.toUpperCase()} (the engine's ffmpeg arguments) vs cp`,
      values: runs[`merge-${container}`],
      peerLabel: 'cp of the same file', peerValues: runs.cp,
      note: container === 'mp4' ? `arguments from addon/hls/merge-args.ts: ${buildMergeArgs({ main: { path: 'in', concat: false }, audio: null, container, output: 'out' }).filter((a) => a.startsWith('+') || a === '-movflags').join(' ') || 'no movflags'}; same folder, page cache, no sync` : 'same folder, page cache, no sync',
    }),
  );
  logFigures(ctx, figures);
  return figures;
}
