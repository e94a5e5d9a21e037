import * as fsp from 'node:fs/promises';
import { PART_SUFFIX } from '../../domain/media.js';
import { AppError } from '../../errors.js';
import type { Logger } from '../../platform/logger.js';
import { destinationError, throwIfAborted } from './errors.js';
import { normRel, parentRel, uniquifiedName } from './paths.js';
import type { Destination } from './types.js';

export interface TransferOptions {
  signal?: AbortSignal;
  /** Bytes of the file now at the destination, and the file's size. */
  onProgress?(bytes: number, total: number): void;
  /**
   * The final name is taken by a file of a different size: `fail` (default) throws
   * `destination_exists`; `uniquify` uses `Name (2).ext`, `Name (3).ext`, ...
   * A file of exactly the local file's size at the final name counts as this file, already
   * transferred (a retry after a crash between the rename and recording it).
   */
  onCollision?: 'fail' | 'uniquify';
  /** Delete the local file once the remote copy is verified (the destination's cleanup_local). */
  deleteLocal?: boolean;
  /**
   * A file of exactly the local file's size already at the final name counts as this file,
   * already transferred (default true: a retry after a crash between the rename and recording
   * it). A first attempt sets false, so another job's file of the same size is never adopted.
   */
  adoptExisting?: boolean;
  /**
   * On abort, keep the partial upload for a later resume instead of deleting it (default false).
   * A function is asked when the abort happens (pause keeps it, cancel does not).
   */
  keepPartialOnAbort?: boolean | (() => boolean);
  logger?: Logger;
}

export interface TransferResult {
  /** The relative path the file has at the destination (differs from the asked one when uniquified). */
  relPath: string;
  /** For the UI / job record: where it landed, no secrets. */
  location: string;
  bytes: number;
  /** link: same-filesystem hard link (no copy); upload: copied; already_present: nothing to do. */
  method: 'link' | 'upload' | 'already_present';
  /** Byte offset a resumed upload continued from (0 = from scratch or unknown). */
  resumedFrom: number;
}

const MAX_UNIQUE = 100;

/**
 * The safe way to put a finished download into a library, for every destination kind:
 *
 * 1. mkdir -p the parent folder;
 * 2. pick the final name (see onCollision) and never replace an existing file;
 * 3. local destination on the same filesystem: hard link, done (no copy, no .part);
 * 4. otherwise upload to `<final>.part` (resuming a .part left by an earlier attempt when the
 *    destination can append, else rewriting it), or straight to the final name for destinations
 *    whose uploads are atomic (rsync: temp name + rename by rsync itself, resume via its partial
 *    dir);
 * 5. stat and compare the size with the local file; a mismatch deletes the .part and throws
 *    the retryable `destination_size_mismatch`;
 * 6. rename the .part to the final name (no-replace rename: a file that appeared meanwhile
 *    makes it fail with `destination_exists`);
 * 7. only then, optionally, delete the local file.
 *
 * So a media server never sees a half-written file under the final name, and a retry after
 * any failure (server restarted, connection lost, process killed) picks up where it can.
 */
export async function transferFile(
  dest: Destination,
  localFile: string,
  finalRelPath: string,
  options: TransferOptions = {},
): Promise<TransferResult> {
  const { signal, logger } = options;
  const wanted = normRel(finalRelPath);
  const total = (await fsp.stat(localFile)).size;
  throwIfAborted(signal);

  await dest.mkdirp(parentRel(wanted), signal);

  // 2. the final name
  let finalRel = wanted;
  for (let n = 1; ; n++) {
    if (n > MAX_UNIQUE) throw destinationError('destination_exists', `Too many files named like ${dest.describe(wanted)}`);
    const candidate = n === 1 ? wanted : uniquifiedName(wanted, n);
    const st = await dest.stat(candidate, signal);
    if (!st) {
      finalRel = candidate;
      break;
    }
    // Our own file already there: the same size where adopting is allowed, or (a first attempt
    // whose record a kill -9 lost) a hard link of this very file, which cannot be another job's.
    if (!st.isDirectory && st.size === total && (options.adoptExisting !== false || (await dest.isLinkOf?.(localFile, candidate)) === true)) {
      logger?.info({ destination: dest.id, path: candidate }, 'already at the destination with the same size; not copied again');
      options.onProgress?.(total, total);
      await cleanupLocal(localFile, options);
      return { relPath: candidate, location: dest.describe(candidate), bytes: total, method: 'already_present', resumedFrom: 0 };
    }
    if ((options.onCollision ?? 'fail') === 'fail') {
      throw destinationError(
        'destination_exists',
        `${dest.describe(candidate)} already exists${st.isDirectory ? ' as a folder' : ` with a different size (${st.size} bytes, ours ${total})`}; not replaced`,
      );
    }
  }

  // 3. same filesystem: link instead of copying
  if (dest.capabilities.localLink && dest.linkFrom && (await dest.linkFrom(localFile, finalRel))) {
    await verifySize(dest, finalRel, total, signal, false);
    options.onProgress?.(total, total);
    await cleanupLocal(localFile, options);
    return { relPath: finalRel, location: dest.describe(finalRel), bytes: total, method: 'link', resumedFrom: 0 };
  }

  const onProgress = options.onProgress ? (b: number): void => options.onProgress?.(b, total) : undefined;
  let resumedFrom = 0;

  if (dest.capabilities.atomicUpload) {
    // 4b. rsync-like: the final name appears only complete
    try {
      await dest.upload(localFile, finalRel, { signal, noReplace: true, ...(onProgress ? { onProgress } : {}) });
    } catch (err) {
      if (signal?.aborted && !keepPartial(options)) await bestEffort(() => dest.discardPartial?.(finalRel), logger);
      throw err;
    }
    await verifySize(dest, finalRel, total, signal, false);
  } else {
    // 4a. <final>.part, resumed or rewritten
    const partRel = `${finalRel}${PART_SUFFIX}`;
    const part = await dest.stat(partRel, signal);
    if (part && !part.isDirectory && dest.capabilities.resume && part.size > 0 && part.size <= total) {
      resumedFrom = part.size;
      logger?.info({ destination: dest.id, path: partRel, from: part.size, total }, 'resuming a partial upload');
    }
    try {
      await dest.upload(localFile, partRel, { signal, resumeFrom: resumedFrom, ...(onProgress ? { onProgress } : {}) });
    } catch (err) {
      if (signal?.aborted && !keepPartial(options)) await bestEffort(() => dest.remove(partRel), logger);
      // A full volume must not stay full because of our own half-written copy: free the space.
      else if (isNoSpaceError(err)) {
        logger?.warn({ destination: dest.id, path: partRel }, 'the destination is full: removing the partial copy');
        await bestEffort(() => dest.remove(partRel), logger);
      }
      throw err;
    }
    await verifySize(dest, partRel, total, signal, true);
    try {
      await dest.rename(partRel, finalRel, signal);
    } catch (err) {
      if (err instanceof AppError && err.code === 'destination_exists') {
        throw destinationError('destination_exists', `${dest.describe(finalRel)} appeared while uploading; not replaced (the upload stays at ${partRel})`, err);
      }
      throw err;
    }
  }

  await cleanupLocal(localFile, options);
  return { relPath: finalRel, location: dest.describe(finalRel), bytes: total, method: 'upload', resumedFrom };
}

async function verifySize(dest: Destination, rel: string, total: number, signal: AbortSignal | undefined, removeOnMismatch: boolean): Promise<void> {
  const st = await dest.stat(rel, signal);
  if (st && !st.isDirectory && st.size === total) return;
  if (removeOnMismatch && st) await dest.remove(rel, signal).catch(() => undefined);
  throw destinationError(
    'destination_size_mismatch',
    `${dest.describe(rel)} has ${st ? `${st.size} bytes` : 'nothing'} after the upload, expected ${total}; it will be uploaded again`,
  );
}

function isNoSpaceError(err: unknown): boolean {
  for (let e = err as { code?: unknown; message?: unknown; cause?: unknown } | undefined, depth = 0; e && depth < 5; e = e.cause as typeof e, depth++) {
    if (e.code === 'destination_no_space' || e.code === 'ENOSPC' || e.code === 'EDQUOT') return true;
    if (typeof e.message === 'string' && /no space left|disk full|quota exceeded|STATUS_DISK_FULL/i.test(e.message)) return true;
  }
  return false;
}

function keepPartial(options: TransferOptions): boolean {
  const keep = options.keepPartialOnAbort;
  return typeof keep === 'function' ? keep() : Boolean(keep);
}

async function cleanupLocal(localFile: string, options: TransferOptions): Promise<void> {
  if (!options.deleteLocal) return;
  await fsp.rm(localFile, { force: true });
}

/** Cleanup after an abort: bounded in time, never throws (the server may be the reason). */
async function bestEffort(fn: () => Promise<unknown> | undefined, logger?: Logger): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      fn(),
      new Promise((resolve) => {
        timer = setTimeout(resolve, 10_000);
        timer.unref();
      }),
    ]);
  } catch (err) {
    logger?.debug({ err: (err as Error).message }, 'cleanup after abort failed');
  } finally {
    if (timer) clearTimeout(timer);
  }
}

