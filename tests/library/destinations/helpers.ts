import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { silentLogger } from '../../../addon/platform/logger.js';
import type { DestinationDeps } from '../../../addon/library/destinations/types.js';

export const MB = 1024 * 1024;
/** Where a movie lands in every kind's test: nested, with accents and spaces. */
export const MOVIE_PATH = 'Movies/Título (2024)/Título (2024).mp4';

export function deps(): DestinationDeps {
  return { logger: silentLogger() };
}

/**
 * A file of `sizeMb` MiB that does not compress or dedupe trivially: one random 1 MiB block,
 * each copy stamped with its index. Returns its path and sha256.
 */
export async function makeBigFile(dir: string, sizeMb: number, name = 'source.mp4'): Promise<{ file: string; sha256: string; size: number }> {
  const file = path.join(dir, name);
  const block = randomBytes(MB);
  const hash = createHash('sha256');
  const fh = await fsp.open(file, 'w');
  try {
    for (let i = 0; i < sizeMb; i++) {
      block.writeUInt32BE(i, 0);
      block.writeUInt32BE(i ^ 0x5a5a5a5a, MB - 4);
      hash.update(block);
      await fh.write(block, 0, MB);
    }
  } finally {
    await fh.close();
  }
  return { file, sha256: hash.digest('hex'), size: sizeMb * MB };
}

export async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file, { highWaterMark: MB })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

export async function exists(p: string): Promise<boolean> {
  return fsp.access(p).then(
    () => true,
    () => false,
  );
}

export async function scratch(prefix: string): Promise<string> {
  return fsp.mkdtemp(path.join(os.tmpdir(), prefix));
}

/** All file paths under dir, relative, sorted (to assert that nothing else was left behind). */
export async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string, rel: string): Promise<void> => {
    for (const e of await fsp.readdir(d, { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) await walk(path.join(d, e.name), r);
      else out.push(r);
    }
  };
  await walk(dir, '');
  return out.sort();
}

/** Records progress calls and checks they only go up. */
export function progressRecorder(): { calls: number[]; fn: (bytes: number) => void; monotonic(): boolean; last(): number } {
  const calls: number[] = [];
  return {
    calls,
    fn: (b) => calls.push(b),
    monotonic: () => calls.every((v, i) => i === 0 || v >= (calls[i - 1] ?? 0)),
    last: () => calls[calls.length - 1] ?? 0,
  };
}
