import type { Container } from '../domain/media.js';

/**
 * ffmpeg arguments for the final remux. Pure, so every combination is table-tested.
 * Inputs are either one file per track or an ffconcat list (a few parts split at
 * discontinuities) — never the concat: protocol with one input per segment.
 */
export interface MergeInput {
  /** A media file, or an ffconcat list when `concat` is true. */
  path: string;
  concat: boolean;
}

export interface MergeSpec {
  main: MergeInput;
  /** A separate audio rendition to mux in. */
  audio: MergeInput | null;
  container: Container;
  output: string;
}

function inputArgs(input: MergeInput): string[] {
  return input.concat ? ['-f', 'concat', '-safe', '0', '-i', input.path] : ['-i', input.path];
}

export function buildMergeArgs(spec: MergeSpec): string[] {
  const args = ['-v', 'error', '-y', ...inputArgs(spec.main)];
  if (spec.audio) {
    args.push(...inputArgs(spec.audio), '-map', '0:v?', '-map', '1:a:0');
  } else {
    args.push('-map', '0:v?', '-map', '0:a?');
  }
  args.push('-c', 'copy');
  if (spec.container === 'mp4') {
    args.push('-movflags', '+faststart', '-f', 'mp4');
  } else {
    args.push('-f', 'matroska');
  }
  args.push(spec.output);
  return args;
}

/** An ffconcat list; paths are quoted for ffmpeg's parser. */
export function concatList(files: readonly string[]): string {
  const quote = (p: string): string => `'${p.replace(/'/g, "'\\''")}'`;
  return ['ffconcat version 1.0', ...files.map((f) => `file ${quote(f)}`), ''].join('\n');
}
