import type { Container } from '../domain/media.js';
import { iso6392B, iso6392T } from '../tracks/languages.js';

/**
 * ffmpeg arguments for the final remux. Pure, so every combination is table-tested.
 * Inputs are either one file per track or an ffconcat list (a few parts split at
 * discontinuities) — never the concat: protocol with one input per segment.
 */
export interface MergeInput {
  /** A media file, or an ffconcat list when `concat` is true. */
  path: string;
  concat: boolean;
  /** Seconds this input starts after the others (`-itsoffset`): a live audio track that began later. */
  offsetS?: number;
}

/** How a stream is labelled in the finished file. */
export interface StreamTags {
  /** As the stream gave it (BCP 47 or ISO 639); written as ISO 639-2 ("und" when unknown). */
  language: string | null;
  /** Shown by players in the track menu (the HLS NAME, the DASH label). */
  title: string | null;
  isDefault: boolean;
  forced?: boolean;
}

export interface AudioTrackInput extends StreamTags {
  input: MergeInput;
}

export interface SubtitleInput extends StreamTags {
  /** A SubRip file whose times are already on the video's timeline. */
  path: string;
}

export interface MergeSpec {
  main: MergeInput;
  /** A separate audio rendition to mux in, untagged (ignored when `audioTracks` is given). */
  audio: MergeInput | null;
  /** Separate audio renditions, each tagged. */
  audioTracks?: readonly AudioTrackInput[];
  /**
   * Tags for the audio inside `main` when the stream names it as a rendition: it is kept (first)
   * beside `audioTracks`. Without it, `main`'s audio is kept only when there are no audioTracks.
   */
  mainAudio?: StreamTags | null;
  subtitles?: readonly SubtitleInput[];
  container: Container;
  output: string;
  /**
   * MP4: bytes reserved at the front for the index (`-moov_size`), so the finished file has its
   * moov first without the second full pass `+faststart` makes. Too small and ffmpeg cannot
   * write the index there (the caller checks the file and remuxes again with `+faststart`).
   */
  moovSize?: number;
}

/**
 * Room to reserve for an MP4 index: its tables grow with the number of samples, about 16 bytes
 * per video frame and 8 per audio frame. 3 kB per second for the main input (60 fps video plus
 * a few muxed audio streams fit), 1 kB per second per separate audio track, plus 64 KiB. The
 * unused rest stays in the file as a `free` box (about 0.5 % of a 5 Mb/s stream). Pure.
 */
export function moovReserve(durationS: number, separateAudioTracks: number): number {
  const seconds = Math.max(1, Math.ceil(durationS));
  return 64 * 1024 + seconds * (3000 + 1000 * separateAudioTracks);
}

function inputArgs(input: MergeInput): string[] {
  const offset = input.offsetS && input.offsetS > 0 ? ['-itsoffset', input.offsetS.toFixed(6)] : [];
  return input.concat ? [...offset, '-f', 'concat', '-safe', '0', '-i', input.path] : [...offset, '-i', input.path];
}

function tagArgs(spec: 'a' | 's', n: number, tags: StreamTags, container: Container): string[] {
  // MP4 wants ISO 639-2/T; Matroska's Language element is ISO 639-2/B (ffmpeg 5.1 cannot write LanguageBCP47).
  const language = container === 'mp4' ? iso6392T(tags.language) : iso6392B(tags.language);
  const args = [`-metadata:s:${spec}:${n}`, `language=${language}`];
  // MP4 has no track title: players show the handler name instead (VLC, ffprobe, Jellyfin).
  if (tags.title) args.push(`-metadata:s:${spec}:${n}`, `${container === 'mp4' ? 'handler_name' : 'title'}=${tags.title.replace(/[\r\n]+/g, ' ')}`);
  const flags = [tags.isDefault ? 'default' : '', tags.forced ? 'forced' : ''].filter(Boolean);
  args.push(`-disposition:${spec}:${n}`, flags.length > 0 ? flags.join('+') : '0');
  return args;
}

export function buildMergeArgs(spec: MergeSpec): string[] {
  const args = ['-v', 'error', '-y', ...inputArgs(spec.main)];
  const audioTracks = spec.audioTracks ?? [];
  const subtitles = spec.subtitles ?? [];
  const maps: string[] = [];
  let next = 1;
  const mainAudio = spec.mainAudio ?? null;
  if (audioTracks.length > 0 || mainAudio) {
    maps.push('-map', '0:v?');
    if (mainAudio) maps.push('-map', '0:a?');
    for (const track of audioTracks) {
      args.push(...inputArgs(track.input));
      maps.push('-map', `${next++}:a:0`);
    }
  } else if (spec.audio) {
    args.push(...inputArgs(spec.audio));
    maps.push('-map', '0:v?', '-map', `${next++}:a:0`);
  } else {
    maps.push('-map', '0:v?', '-map', '0:a?');
  }
  for (const sub of subtitles) {
    args.push('-i', sub.path);
    maps.push('-map', `${next++}:s:0`);
  }
  args.push(...maps, '-c', 'copy');
  if (subtitles.length > 0) args.push('-c:s', spec.container === 'mp4' ? 'mov_text' : 'srt');
  const tagged = [...(mainAudio ? [mainAudio] : []), ...audioTracks];
  tagged.forEach((t, n) => args.push(...tagArgs('a', n, t, spec.container)));
  subtitles.forEach((s, n) => args.push(...tagArgs('s', n, s, spec.container)));
  if (spec.container === 'mp4') {
    if (spec.moovSize && spec.moovSize > 0) args.push('-moov_size', String(Math.ceil(spec.moovSize)), '-f', 'mp4');
    else args.push('-movflags', '+faststart', '-f', 'mp4');
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
