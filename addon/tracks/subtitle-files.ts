import { readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { TrackMeta } from './track-meta.js';
import { sidecarTag } from './languages.js';
import { mediaStartSeconds } from './media-start.js';
import { joinVttSegments, splitVttDocuments, toSrt } from './webvtt.js';

export interface SubtitleFile extends TrackMeta {
  /** A SubRip file in the work dir, times on the finished video's timeline. */
  path: string;
}

/**
 * Each downloaded subtitle track (its WebVTT segments appended into part files) to one SubRip
 * file: documents split apart, cues placed by X-TIMESTAMP-MAP against the first timestamp of
 * the video, duplicates across segment boundaries dropped. Written as .part and renamed. A track
 * without a single cue is left out (ffmpeg refuses an empty subtitle input, and an empty
 * sidecar helps nobody); `onEmpty` hears about it.
 */
export async function writeSubtitles(
  workDir: string,
  videoFile: string,
  tracks: ReadonlyArray<TrackMeta & { files: string[] }>,
  onEmpty: (track: TrackMeta) => void = () => undefined,
): Promise<SubtitleFile[]> {
  if (tracks.length === 0) return [];
  const videoStart = await mediaStartSeconds(videoFile).catch(() => null);
  const out: SubtitleFile[] = [];
  for (const [n, track] of tracks.entries()) {
    const documents: string[] = [];
    for (const file of track.files) documents.push(...splitVttDocuments(await readFile(file, 'utf8')));
    const cues = joinVttSegments(documents, videoStart);
    if (cues.length === 0) {
      onEmpty(track);
      continue;
    }
    const dest = path.join(workDir, `subtitles-${n}.srt`);
    await writeFile(`${dest}.part`, toSrt(cues));
    await rename(`${dest}.part`, dest);
    out.push({ ...track, path: dest });
  }
  return out;
}

/** Sidecar suffixes `.<lang>[.forced].srt`, numbered when two tracks would share one. */
export function sidecarNames(files: readonly SubtitleFile[]): Array<{ path: string; suffix: string }> {
  const used = new Set<string>();
  return files.map((f) => {
    const base = `.${sidecarTag(f.language)}${f.forced ? '.forced' : ''}`;
    let suffix = `${base}.srt`;
    for (let i = 2; used.has(suffix); i++) suffix = `${base}.${i}.srt`;
    used.add(suffix);
    return { path: f.path, suffix };
  });
}
