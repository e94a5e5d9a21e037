import { readFile, rename, rm, stat, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { DownloadContext } from '../download/context.js';
import { AppError, errorMessage } from '../errors.js';
import { buildMergeArgs, concatList, type AudioTrackInput, type MergeInput, type SubtitleInput } from '../hls/merge-args.js';
import { trackMeta, type HlsPlan, type PlanTrack } from '../hls/hls-download.js';
import { redactUrl } from '../platform/http.js';
import { joinVttSegments, splitVttDocuments, toSrt } from '../tracks/webvtt.js';
import { audioConcat, layAudio, placeCues } from './audio-timeline.js';
import { mediaStartSeconds } from '../tracks/media-start.js';
import type { Container } from '../jobs/model.js';
import type { FfmpegRunner } from '../platform/ffmpeg.js';
import type { LiveRequest, RecordingStatus } from './model.js';
import { piecePath, recordLive, type RecorderHooks, type RecordingLimits, type RecordingOutcome } from './recorder.js';

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
 * After the video ends, how long a separate audio track may take to catch up with it: three
 * reloads of its playlist and a little, within these bounds.
 */
const AUDIO_CATCH_UP_MIN_MS = 6_000;
const AUDIO_CATCH_UP_MAX_MS = 30_000;

function catchUpMs(playlistText: string | undefined): number {
  const target = Number(/#EXT-X-TARGETDURATION:\s*(\d+(?:\.\d+)?)/.exec(playlistText ?? '')?.[1] ?? 6);
  return Math.min(AUDIO_CATCH_UP_MAX_MS, Math.max(AUDIO_CATCH_UP_MIN_MS, (3 * target + 3) * 1000));
}

interface FollowerRecording {
  track: PlanTrack;
  kind: 'audio' | 'subtitle';
  /** "audio:<language or name>" or "subtitles:<…>": on its gaps and log lines. */
  label: string;
  workDir: string;
  stop: AbortController;
  status: RecordingStatus | null;
  done: Promise<RecordingOutcome>;
  /** Called on each of its progress reports while the video waits for it to catch up. */
  wake: (() => void) | null;
}

/**
 * The recording phase of a job: record the live media playlist of `plan` (recorder.ts) and,
 * beside it, each chosen audio rendition that has its own playlist and each chosen WebVTT
 * subtitle rendition (followers: the same recorder in its own directory, with its own sequence
 * numbers, window, reloads, outages and gaps), then remux each part into `output-<n>.<ext>`
 * (pieces joined at discontinuities and gaps by the concat demuxer, as VOD parts are; the audio
 * and the cues laid onto the video's timeline by audio-timeline.ts) and note the files in
 * recording.json. The video decides when the recording ends; the followers then catch up to
 * where the video stopped. An audio track that records nothing fails the recording: a file
 * without its sound is not a recording; a subtitle track that records nothing is left out, said.
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
  // Followers: a chosen audio or subtitle rendition with its own playlist, recorded for as long as the video.
  // Their outages are ridden out for as long as the video runs (the video's end stops them).
  const catchUp = catchUpMs(main.text);
  const followerLimits: RecordingLimits = { durationS: null, untilMs: null, capS: input.limits.capS + catchUp / 1000, splitS: null, outageToleranceS: input.limits.capS + catchUp / 1000 };
  const followers: FollowerRecording[] = [];
  let mainStatus: RecordingStatus | null = null;
  const combined = (status: RecordingStatus): RecordingStatus => withFollowers(status, followers);
  for (const track of input.plan.tracks.filter((t) => t.name !== 'main' && trackMeta(t).kind !== 'video')) {
    const kind = trackMeta(track).kind === 'subtitle' ? 'subtitle' : 'audio';
    const label = `${kind === 'audio' ? 'audio' : 'subtitles'}:${track.language ?? track.title ?? track.name}`;
    const workDir = path.join(ctx.workDir, track.name);
    const stop = new AbortController();
    const entry: FollowerRecording = { track, kind, label, workDir, stop, status: null, done: null as unknown as Promise<RecordingOutcome>, wake: null };
    const actx: DownloadContext = { ...ctx, workDir, logger: ctx.logger.child({ track: label }), progress: { ...ctx.progress, totals: () => undefined, segmentsDone: () => undefined } };
    entry.done = recordLive(actx, { url: track.url, text: track.text }, followerLimits, stop.signal, {
      started: () => undefined,
      progress: (s) => {
        entry.status = s;
        if (mainStatus) hooks.progress(combined(mainStatus));
        entry.wake?.();
      },
    }, { text: kind === 'subtitle' });
    // Settled here, awaited after the video: an early failure must not go unhandled meanwhile.
    entry.done.catch(() => undefined);
    followers.push(entry);
  }
  if (followers.length > 0) ctx.logger.info({ tracks: followers.map((a) => a.label) }, 'recording the separate audio and subtitle playlists beside the video');

  let outcome: RecordingOutcome;
  try {
    outcome = await recordLive(ctx, { url: main.url, text: main.text }, input.limits, input.stop, {
      started: (s) => {
        mainStatus = s;
        hooks.started(combined(s));
      },
      progress: (s) => {
        mainStatus = s;
        hooks.progress(combined(s));
      },
    });
  } catch (err) {
    for (const a of followers) a.stop.abort();
    await Promise.allSettled(followers.map((a) => a.done));
    throw err;
  }
  mainStatus = outcome.status;

  // The video has ended: each audio track records on until it covers as much of the stream.
  const audioOutcomes: Array<{ audio: FollowerRecording; outcome: RecordingOutcome; offset: number }> = [];
  const subtitleOutcomes: Array<{ track: FollowerRecording; outcome: RecordingOutcome }> = [];
  const missingSubtitles: string[] = [];
  const videoStart = await pieceStart(outcome.timeline[0]);
  if (followers.length > 0) {
    const videoCovered = outcome.status.recorded_s + outcome.status.lost_s;
    const behind = async (a: FollowerRecording): Promise<boolean> => {
      if (!a.status || a.status.ended) return false;
      const offset = await trackOffset(videoStart, a.workDir);
      return a.status.recorded_s + a.status.lost_s + offset < videoCovered - 0.05;
    };
    const deadline = AbortSignal.any([ctx.signal, AbortSignal.timeout(catchUp)]);
    await Promise.all(
      followers.map(async (a) => {
        while (!deadline.aborted && (await behind(a))) {
          await new Promise<void>((resolve) => {
            a.wake = resolve;
            deadline.addEventListener('abort', () => resolve(), { once: true });
            a.done.then(() => resolve(), () => resolve());
          });
        }
        a.wake = null;
        a.stop.abort();
      }),
    );
    if (ctx.signal.aborted) throw ctx.signal.reason;
    for (const a of followers) {
      let result: RecordingOutcome;
      try {
        result = await a.done;
      } catch (err) {
        if (ctx.signal.aborted) throw ctx.signal.reason;
        if (a.kind === 'subtitle') {
          // Subtitles are not the programme: the recording is filed without them, and says so.
          missingSubtitles.push(a.label.slice('subtitles:'.length));
          ctx.logger.warn({ track: a.label, err: errorMessage(err) }, 'live recording: a subtitle track recorded nothing; it is left out');
          continue;
        }
        throw new AppError('live_audio_missing', `the audio track ${a.label} (${redactUrl(a.track.url)}) could not be recorded: ${errorMessage(err)}; a recording without its sound is not filed`, { cause: err });
      }
      a.status = result.status;
      if (a.kind === 'subtitle') {
        subtitleOutcomes.push({ track: a, outcome: result });
        continue;
      }
      const first = result.timeline[0];
      const audioStart = await pieceStart(first);
      const offset = videoStart !== null && audioStart !== null ? audioStart - videoStart : first?.pdt != null && outcome.timeline[0]?.pdt != null ? (first.pdt - outcome.timeline[0].pdt) / 1000 : 0;
      audioOutcomes.push({ audio: a, outcome: result, offset });
      ctx.logger.info({ track: a.label, recordedSeconds: result.status.recorded_s, lostSeconds: result.status.lost_s, offsetSeconds: round3(offset) }, 'live audio track recorded');
    }
  }
  const status = combined(outcome.status);
  status.ended = outcome.status.ended;

  hooks.merging();
  // Each audio track's stretches per part, cut to the video's timeline.
  const laid = await Promise.all(
    audioOutcomes.map(async ({ outcome: o, offset }) => {
      const pieces = await Promise.all(o.timeline.map(async (p) => ({ ...p, start: await pieceStart(p) })));
      return layAudio({ pieces: outcome.timeline, gaps: outcome.status.gaps }, pieces, offset);
    }),
  );
  // Each subtitle track's cues (placed by X-TIMESTAMP-MAP against the video's first timestamp,
  // as VOD subtitles are) per part, cut to the video's timeline.
  const cuesOf = await Promise.all(
    subtitleOutcomes.map(async ({ outcome: o }) => {
      const documents: string[] = [];
      for (const piece of o.timeline) documents.push(...splitVttDocuments(await readFile(piece.file, 'utf8')));
      return placeCues({ pieces: outcome.timeline, gaps: outcome.status.gaps }, joinVttSegments(documents, videoStart));
    }),
  );
  const files: RecordedFile[] = [];
  const silentParts: number[] = [];
  const single = outcome.chunks.length === 1;
  for (const chunk of outcome.chunks) {
    const name = single ? `output.${input.container}` : `output-${chunk.index + 1}.${input.container}`;
    const output = path.join(ctx.workDir, name);
    let mainInput: MergeInput = { path: chunk.pieces[0]!, concat: false };
    if (chunk.pieces.length > 1) {
      const list = path.join(ctx.workDir, `chunk-${chunk.index}.ffconcat`);
      await writeFile(list, concatList(chunk.pieces));
      mainInput = { path: list, concat: true };
    }
    const audioTracks: AudioTrackInput[] = [];
    const anyDefault = audioOutcomes.some(({ audio }) => trackMeta(audio.track).isDefault) || main.mainAudio?.isDefault === true;
    for (const [n, { audio }] of audioOutcomes.entries()) {
      const entries = laid[n]!.get(chunk.index) ?? [];
      if (entries.length === 0) continue;
      const { list, offset } = audioConcat(entries);
      const file = path.join(ctx.workDir, `chunk-${chunk.index}-${audio.track.name}.ffconcat`);
      await writeFile(file, list);
      const meta = trackMeta(audio.track);
      audioTracks.push({ input: { path: file, concat: true, offsetS: offset }, language: meta.language, title: meta.title, isDefault: anyDefault ? meta.isDefault : n === 0 && !main.mainAudio, forced: false });
    }
    if (audioOutcomes.length > 0 && audioTracks.length === 0) silentParts.push(chunk.index + 1);
    const subtitleInputs: SubtitleInput[] = [];
    for (const [n, { track }] of subtitleOutcomes.entries()) {
      const cues = cuesOf[n]!.get(chunk.index) ?? [];
      if (cues.length === 0) continue; // ffmpeg refuses an empty subtitle input
      const file = path.join(ctx.workDir, `chunk-${chunk.index}-${track.track.name}.srt`);
      await writeFile(file, toSrt(cues));
      const meta = trackMeta(track.track);
      subtitleInputs.push({ path: file, language: meta.language, title: meta.title, isDefault: meta.isDefault, forced: meta.forced });
    }
    const part = `${output}.part`;
    try {
      await deps.ffmpeg.run(buildMergeArgs({ main: mainInput, audio: null, audioTracks, mainAudio: main.mainAudio ?? null, subtitles: subtitleInputs, container: input.container, output: part }), { signal: ctx.signal });
    } catch (err) {
      await unlink(part).catch(() => undefined);
      throw err;
    }
    await rename(part, output);
    const { size } = await stat(output);
    files.push({ file: output, ext: input.container, size, height: input.plan.variant?.height ?? null, started_at: new Date(chunk.startedAt).toISOString() });
  }
  if (missingSubtitles.length > 0) {
    const note = `the subtitle track${missingSubtitles.length === 1 ? '' : 's'} ${missingSubtitles.join(', ')} recorded nothing and ${missingSubtitles.length === 1 ? 'is' : 'are'} left out`;
    status.warning = status.warning ? `${status.warning}; ${note}` : note;
  }
  if (silentParts.length > 0) {
    const note = `part${silentParts.length === 1 ? '' : 's'} ${silentParts.join(', ')} had no audio: the audio playlist was down the whole time`;
    status.warning = status.warning ? `${status.warning}; ${note}` : note;
    ctx.logger.warn({ parts: silentParts }, `live recording: ${note}`);
  }
  const record = path.join(ctx.workDir, RESULT_FILE);
  await writeFile(`${record}.tmp`, JSON.stringify({ status, files: files.map((f) => ({ ...f, file: path.basename(f.file) })) }));
  await rename(`${record}.tmp`, record);
  // The pieces are in the outputs now: free the space while the transfer runs.
  for (const chunk of outcome.chunks) for (const piece of chunk.pieces) await rm(piece, { force: true });
  await rm(path.join(ctx.workDir, 'seg'), { recursive: true, force: true });
  for (const a of followers) await rm(a.workDir, { recursive: true, force: true });
  return { files, status };
}

/** The video's status with each follower's gaps (tagged with its track) and losses in its warning. */
function withFollowers(status: RecordingStatus, followers: readonly FollowerRecording[]): RecordingStatus {
  const out: RecordingStatus = { ...status, gaps: status.gaps.map((g) => ({ ...g })) };
  const notes: string[] = [];
  for (const a of followers) {
    const gaps = a.status?.gaps ?? [];
    for (const g of gaps) out.gaps.push({ ...g, track: a.label });
    const lost = round3(gaps.reduce((n, g) => n + g.lost_s, 0));
    const name = a.label.slice(a.label.indexOf(':') + 1);
    if (lost > 0) notes.push(`${lost} s of the ${a.kind === 'audio' ? 'audio' : 'subtitle'} track ${name} were lost in ${gaps.length} gap${gaps.length === 1 ? '' : 's'}${a.kind === 'audio' ? ' (silent there)' : ''}`);
  }
  if (notes.length > 0 && status.ended !== null) out.warning = [status.warning, ...notes].filter(Boolean).join('; ');
  // The most any one track lost: an outage both tracks rode out together is not counted twice,
  // and a loss of the sound alone still shows (the panel shows "n gaps, x s lost").
  for (const a of followers) if (a.kind === 'audio') out.lost_s = Math.max(out.lost_s, a.status?.lost_s ?? 0);
  return out;
}

/**
 * The first timestamp of a recorded piece on the encoder's clock (MPEG-TS PTS, fMP4 tfdt: the
 * same reader the VOD subtitles use), seconds; null when unreadable. Renditions of one stream
 * share that clock (RFC 8216 6.2.4: matching content has matching timestamps), so it lines
 * tracks up to the frame without syncing by sequence numbers (which 6.3.4 forbids).
 */
async function pieceStart(piece: { file: string } | undefined): Promise<number | null> {
  if (!piece) return null;
  return mediaStartSeconds(piece.file, 512 * 1024).catch(() => null);
}

/** How far a track's first piece starts after the video's, while it still records (its first piece file). */
async function trackOffset(videoStart: number | null, workDir: string): Promise<number> {
  if (videoStart === null) return 0;
  for (const ext of ['ts', 'mp4']) {
    const start = await pieceStart({ file: piecePath(workDir, 0, ext) });
    if (start !== null) return start - videoStart;
  }
  return 0;
}

function round3(n: number): number {
  return Math.round(n * 1000) / 1000;
}
