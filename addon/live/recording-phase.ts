import { readFile, rename, rm, stat, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { DownloadContext } from '../download/context.js';
import { buildMergeArgs, concatList } from '../hls/merge-args.js';
import type { HlsPlan } from '../hls/hls-download.js';
import type { Container } from '../jobs/model.js';
import type { FfmpegRunner } from '../platform/ffmpeg.js';
import type { LiveRequest, RecordingStatus } from './model.js';
import { recordLive, type RecorderHooks, type RecordingLimits } from './recorder.js';

/** A recorded file ready for the library: one per split part (one without split_minutes). */
export interface RecordedFile {
  file: string;
  ext: string;
  size: number;
  height: number | null;
  /** When its first segment was recorded (ISO): the `{date}` of its name. */
  started_at: string;
}

export interface RecordingResult {
  files: RecordedFile[];
  status: RecordingStatus;
}

export interface RecordingOptions {
  /** max_recording_minutes */
  maxRecordingMinutes: number;
  /** live_outage_tolerance_s */
  outageToleranceS: number;
}

/** Written when the files are complete, so a retry after a failed transfer records nothing again. */
const RESULT_FILE = 'recording.json';

/** The limits of one recording from the request and the options. Pure. */
export function recordingLimits(live: LiveRequest | null | undefined, options: RecordingOptions): RecordingLimits {
  const until = live?.until ? Date.parse(live.until) : NaN;
  return {
    durationS: live?.duration_s && live.duration_s > 0 ? live.duration_s : null,
    untilMs: Number.isFinite(until) ? until : null,
    capS: options.maxRecordingMinutes * 60,
    splitS: live?.split_minutes && live.split_minutes > 0 ? live.split_minutes * 60 : null,
    outageToleranceS: options.outageToleranceS,
  };
}

/** The finished recording of an earlier run, when every file is still there with its size. */
export async function finishedRecording(workDir: string): Promise<RecordingResult | null> {
  try {
    const saved = JSON.parse(await readFile(path.join(workDir, RESULT_FILE), 'utf8')) as RecordingResult;
    for (const f of saved.files) {
      if (f.file.includes('/')) return null;
      const st = await stat(path.join(workDir, f.file));
      if (st.size !== f.size) return null;
    }
    return { status: saved.status, files: saved.files.map((f) => ({ ...f, file: path.join(workDir, f.file) })) };
  } catch {
    return null;
  }
}

/**
 * The recording phase of a job: record the live media playlist of `plan` (recorder.ts), then
 * remux each part into `output-<n>.<ext>` (its pieces joined at discontinuities and gaps by the
 * concat demuxer, as VOD parts are), and note the files in recording.json. Only the main track is
 * recorded: a variant whose audio is a separate rendition is recorded without it (logged).
 */
export async function runRecordingPhase(
  ctx: DownloadContext,
  deps: { ffmpeg: FfmpegRunner },
  input: { plan: HlsPlan; container: Container; limits: RecordingLimits; stop: AbortSignal },
  hooks: RecorderHooks & { merging(): void },
): Promise<RecordingResult> {
  const done = await finishedRecording(ctx.workDir);
  if (done) return done;
  const main = input.plan.tracks.find((t) => t.name === 'main')!;
  if (input.plan.tracks.some((t) => t.name === 'audio')) {
    ctx.logger.warn('this live variant has its audio in a separate playlist; only the main playlist is recorded');
  }
  const outcome = await recordLive(ctx, { url: main.url, text: main.text }, input.limits, input.stop, hooks);
  hooks.merging();
  const files: RecordedFile[] = [];
  const single = outcome.chunks.length === 1;
  for (const chunk of outcome.chunks) {
    const name = single ? `output.${input.container}` : `output-${chunk.index + 1}.${input.container}`;
    const output = path.join(ctx.workDir, name);
    let main = { path: chunk.pieces[0]!, concat: false };
    if (chunk.pieces.length > 1) {
      const list = path.join(ctx.workDir, `chunk-${chunk.index}.ffconcat`);
      await writeFile(list, concatList(chunk.pieces));
      main = { path: list, concat: true };
    }
    const part = `${output}.part`;
    try {
      await deps.ffmpeg.run(buildMergeArgs({ main, audio: null, container: input.container, output: part }), { signal: ctx.signal });
    } catch (err) {
      await unlink(part).catch(() => undefined);
      throw err;
    }
    await rename(part, output);
    const { size } = await stat(output);
    files.push({ file: output, ext: input.container, size, height: input.plan.variant?.height ?? null, started_at: new Date(chunk.startedAt).toISOString() });
  }
  const record = path.join(ctx.workDir, RESULT_FILE);
  await writeFile(`${record}.tmp`, JSON.stringify({ status: outcome.status, files: files.map((f) => ({ ...f, file: path.basename(f.file) })) }));
  await rename(`${record}.tmp`, record);
  // The pieces are in the outputs now: free the space while the transfer runs.
  for (const chunk of outcome.chunks) for (const piece of chunk.pieces) await rm(piece, { force: true });
  await rm(path.join(ctx.workDir, 'seg'), { recursive: true, force: true });
  return { files, status: outcome.status };
}
