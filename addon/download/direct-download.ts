import { setMaxListeners } from 'node:events';
import { mkdir, open, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { AppError } from '../errors.js';
import { HttpStatusError } from '../platform/http.js';
import { limitedRequest, type DownloadContext } from './context.js';
import { Journal } from './journal.js';

/** What the first request told us about a URL. */
export interface UrlProbe {
  finalUrl: string;
  rangeSupported: boolean;
  size: number | null;
  head: Buffer;
  /** The probe received the whole body (a small playlist needs no second request). */
  complete: boolean;
  contentType: string | null;
  validator: string | null;
  /** The Content-Disposition header (a filename for the title), null when absent. */
  contentDisposition?: string | null;
}

const PROBE_BYTES = 64 * 1024;
export const CHUNK_BYTES = 8 * 1024 * 1024;

function header(value: string | string[] | undefined): string | null {
  return typeof value === 'string' ? value : null;
}

/**
 * One small ranged GET that tells both what the URL is (the first bytes: a playlist or media)
 * and whether the server can split the file across connections.
 */
export async function probeUrl(ctx: DownloadContext, url: string): Promise<UrlProbe> {
  return limitedRequest(ctx, url, 'first request', async (signal) => {
    const response = await ctx.http.get({ url, headers: ctx.headers, range: { start: 0, end: PROBE_BYTES - 1 }, signal });
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of response.body as AsyncIterable<Buffer>) {
      chunks.push(chunk);
      size += chunk.length;
      if (size >= PROBE_BYTES) break;
    }
    const ended = response.body.readableEnded;
    response.body.destroy();
    const contentRange = header(response.headers['content-range']);
    const total = contentRange ? /\/(\d+)\s*$/.exec(contentRange)?.[1] : undefined;
    const length = header(response.headers['content-length']);
    const rangeSupported = response.status === 206 && total !== undefined;
    return {
      finalUrl: response.url,
      rangeSupported,
      size: rangeSupported ? Number(total) : response.status === 200 && length !== null && !response.headers['content-encoding'] ? Number(length) : null,
      head: Buffer.concat(chunks).subarray(0, PROBE_BYTES),
      complete: rangeSupported ? Number(total) <= size : ended && size < PROBE_BYTES,
      contentType: header(response.headers['content-type']),
      validator: header(response.headers.etag) ?? header(response.headers['last-modified']),
      contentDisposition: header(response.headers['content-disposition']),
    };
  });
}

interface DirectState {
  url: string;
  size: number | null;
  ranges: boolean;
  validator: string | null;
  chunkBytes: number;
}

export interface DirectResult {
  file: string;
  size: number;
}

const DATA_FILE = 'data.bin';

/**
 * A plain file: split into chunks fetched in parallel when the server supports ranges (each
 * chunk written at its offset, completed chunks journalled so a resume skips them), one
 * stream otherwise (a resume then starts over: the server gives no other choice).
 */
export async function downloadDirect(ctx: DownloadContext, probe: UrlProbe, chunkBytes = CHUNK_BYTES): Promise<DirectResult> {
  const { workDir } = ctx;
  await mkdir(workDir, { recursive: true });
  const stateFile = path.join(workDir, 'direct.json');
  const dataFile = path.join(workDir, DATA_FILE);
  const journal = new Journal<{ c: number }>(path.join(workDir, 'chunks.log'));

  let state: DirectState | null = null;
  try {
    state = JSON.parse(await readFile(stateFile, 'utf8')) as DirectState;
  } catch {
    state = null;
  }
  if (state && (state.size !== probe.size || state.validator !== probe.validator || state.ranges !== probe.rangeSupported)) {
    const fetched = await bytesFetched(state, dataFile, journal);
    // Same file (validator, and size when the server still says it), but no more 206: the
    // server stopped honouring ranges, which is not the file changing.
    const rangesLost = state.ranges && !probe.rangeSupported && state.validator === probe.validator && (probe.size === null || probe.size === state.size);
    if (rangesLost) reportStartOver(ctx, probe.finalUrl, fetched);
    else {
      ctx.logger.warn('the file changed on the server since the last attempt; starting over');
      if (fetched > 0) ctx.progress.warn?.(`Downloaded again from the start: the file changed on the server since the last attempt (${formatBytes(fetched)} fetched before were dropped).`);
    }
    state = null;
  }
  if (!state) {
    await unlink(path.join(workDir, 'chunks.log')).catch(() => undefined);
    await unlink(dataFile).catch(() => undefined);
    state = { url: probe.finalUrl, size: probe.size, ranges: probe.rangeSupported, validator: probe.validator, chunkBytes };
    await writeFile(stateFile, JSON.stringify(state));
  }

  if (state.ranges && state.size !== null) {
    await downloadChunks(ctx, state as DirectState & { size: number }, dataFile, journal);
  } else {
    // One stream from byte 0: what an earlier attempt fetched cannot be continued.
    const fetched = await fileSize(dataFile);
    if (fetched > 0) reportStartOver(ctx, state.url, fetched);
    await downloadStream(ctx, state, dataFile);
  }
  const size = (await stat(dataFile)).size;
  if (state.size !== null && size !== state.size) {
    throw new AppError('incomplete', `downloaded ${size} of ${state.size} bytes`);
  }
  return { file: dataFile, size };
}

/** What an earlier attempt fetched: the journalled chunks, or the streamed file's length. */
async function bytesFetched(state: DirectState, dataFile: string, journal: Journal<{ c: number }>): Promise<number> {
  if (!state.ranges || state.size === null) return fileSize(dataFile);
  const size = state.size;
  const chunks = new Set((await journal.read()).map((e) => e.c));
  return [...chunks].reduce((n, c) => n + Math.max(0, Math.min(state.chunkBytes, size - c * state.chunkBytes)), 0);
}

async function fileSize(file: string): Promise<number> {
  try {
    return (await stat(file)).size;
  } catch {
    return 0;
  }
}

/**
 * A resume that cannot resume: the server answers a ranged request with the whole file (200),
 * so the bytes of the earlier attempt are fetched again. Said once on the job and once in the
 * log, with what it costs and what the user can do about it.
 */
function reportStartOver(ctx: DownloadContext, url: string, fetched: number): void {
  let host = url;
  try {
    host = new URL(url).host;
  } catch {
    // keep the URL as given
  }
  const lost = formatBytes(fetched);
  ctx.progress.warn?.(`Resumed from the start: ${host} ignores byte ranges, so the ${lost} fetched before were downloaded again.`);
  ctx.logger.warn(
    { host, discardedBytes: fetched },
    `resume had to start over: ${host} answered a ranged request with the whole file (HTTP 200, no byte ranges), so the ${lost} already fetched are downloaded again; every pause or restart of this download costs the whole file, so let it run to the end`,
  );
}

function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  if (n < 1024 * 1024 * 1024) return `${(n / (1024 * 1024)).toFixed(1)} MB`;
  return `${(n / (1024 * 1024 * 1024)).toFixed(2)} GB`;
}

async function downloadChunks(ctx: DownloadContext, state: DirectState & { size: number }, dataFile: string, journal: Journal<{ c: number }>): Promise<void> {
  const chunkCount = Math.max(1, Math.ceil(state.size / state.chunkBytes));
  const done = new Set((await journal.read()).map((e) => e.c));
  const handle = await open(dataFile, 'a+').then(async (h) => {
    await h.close();
    return open(dataFile, 'r+');
  });
  try {
    await handle.truncate(state.size);
    const doneBytes = [...done].reduce((n, c) => n + Math.min(state.chunkBytes, state.size - c * state.chunkBytes), 0);
    ctx.progress.totals({ segmentsTotal: chunkCount, bytesTotal: state.size });
    ctx.progress.segmentsDone(done.size);
    ctx.progress.resumed(doneBytes);

    const pending: number[] = [];
    for (let c = 0; c < chunkCount; c++) if (!done.has(c)) pending.push(c);
    const stop = new AbortController();
    const signal = AbortSignal.any([ctx.signal, stop.signal]);
    setMaxListeners(Math.max(50, ctx.concurrency * 4), signal);
    let failure: unknown = null;
    let cursor = 0;
    const worker = async (): Promise<void> => {
      while (failure === null && !signal.aborted) {
        const c = pending[cursor++];
        if (c === undefined) return;
        const start = c * state.chunkBytes;
        const end = Math.min(state.size, start + state.chunkBytes) - 1;
        try {
          await limitedRequest(ctx, state.url, `bytes ${start}-${end}`, async (s) => {
            const response = await ctx.http.get({ url: state.url, headers: ctx.headers, range: { start, end }, signal: s });
            if (response.status !== 206) {
              response.body.destroy();
              throw new AppError('range_unsupported', 'the server stopped honouring byte ranges; retry the download to fetch it in one piece');
            }
            let pos = start;
            for await (const chunk of response.body as AsyncIterable<Buffer>) {
              await handle.write(chunk, 0, chunk.length, pos);
              pos += chunk.length;
              ctx.progress.bytes(chunk.length);
            }
            if (pos !== end + 1) throw Object.assign(new Error(`chunk ended at ${pos}, expected ${end + 1}`), { code: 'ERR_TRUNCATED_BODY' });
          }, signal);
        } catch (err) {
          if (!ctx.signal.aborted && failure === null) {
            failure = err instanceof HttpStatusError || err instanceof AppError ? err : new AppError('download_failed', `bytes ${start}-${end}: ${(err as Error).message}`, { cause: err });
            stop.abort(failure);
          }
          return;
        }
        await journal.append({ c });
        done.add(c);
        ctx.progress.segmentsDone(done.size);
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, Math.min(ctx.concurrency, pending.length)) }, worker));
    if (ctx.signal.aborted) throw ctx.signal.reason;
    if (failure !== null) throw failure;
  } finally {
    await handle.close();
  }
}

async function downloadStream(ctx: DownloadContext, state: DirectState, dataFile: string): Promise<void> {
  ctx.progress.totals({ segmentsTotal: 1, bytesTotal: state.size });
  await limitedRequest(ctx, state.url, 'file', async (signal) => {
    const handle = await open(dataFile, 'w');
    try {
      const response = await ctx.http.get({ url: state.url, headers: ctx.headers, signal });
      for await (const chunk of response.body as AsyncIterable<Buffer>) {
        await handle.write(chunk);
        ctx.progress.bytes(chunk.length);
      }
    } finally {
      await handle.close();
    }
  });
  ctx.progress.segmentsDone(1);
}

/** Moves a finished work file next to its final name, across filesystems if need be. */
export async function moveFile(from: string, to: string): Promise<void> {
  try {
    await rename(from, to);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EXDEV') throw err;
    const { copyFile } = await import('node:fs/promises');
    await copyFile(from, to);
    await unlink(from);
  }
}
