/**
 * multipart/form-data uploads with busboy: the file part streams to disk (never into memory)
 * under a size limit; past it the request gets a clear 413. Text fields are kept (small).
 */
import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, unlink } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import busboy from 'busboy';
import type { Context } from 'koa';
import { AppError } from '../errors.js';

export interface Upload {
  fields: Record<string, string>;
  /** The file part, written to `dir`; null when the request had none. */
  file: { path: string; name: string; size: number } | null;
}

const MB = 1024 * 1024;

function tooLarge(maxBytes: number): AppError {
  return new AppError('too_large', `the file is larger than the upload limit of ${Math.round(maxBytes / MB)} MB (option upload_max_mb)`, { httpStatus: 413 });
}

/** Reads a multipart request; `fileField` is the part that holds the file. */
export async function receiveUpload(ctx: Context, opts: { maxBytes: number; dir: string; fileField?: string }): Promise<Upload> {
  const fileField = opts.fileField ?? 'file';
  if (!ctx.is('multipart/form-data')) {
    throw new AppError('unsupported_media_type', 'send the list as multipart/form-data with a "file" part', { httpStatus: 415 });
  }
  const declared = Number(ctx.get('content-length'));
  if (Number.isFinite(declared) && declared > opts.maxBytes + MB) {
    // Answer before reading a byte; the connection is closed rather than drained.
    ctx.set('Connection', 'close');
    throw tooLarge(opts.maxBytes);
  }
  // busboy throws synchronously on a multipart type without a boundary: that is the client's error.
  const boundary = /;\s*boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(ctx.get('content-type'));
  if (!boundary) {
    throw new AppError('invalid_request', 'multipart/form-data needs a boundary parameter in its Content-Type', { httpStatus: 400 });
  }
  await mkdir(opts.dir, { recursive: true });
  const req = ctx.req;
  const fields: Record<string, string> = {};
  let file: Upload['file'] = null;
  let writing: Promise<void> | null = null;
  let truncated = false;
  let tmp: string | null = null;
  /** Closed once its file exists and is closed (or never opened): see the catch below. */
  let tmpClosed: Promise<void> | null = null;

  const bb = busboy({ headers: req.headers, limits: { fileSize: opts.maxBytes, files: 1, fields: 20, fieldSize: 64 * 1024, parts: 22 } });
  const done = new Promise<void>((resolve, reject) => {
    bb.on('field', (name, value) => {
      fields[name] = value;
    });
    bb.on('file', (name, stream, info) => {
      if (name !== fileField || writing) {
        stream.resume();
        return;
      }
      tmp = path.join(opts.dir, `.upload-${randomUUID()}`);
      let size = 0;
      stream.on('data', (chunk: Buffer) => (size += chunk.length));
      stream.on('limit', () => {
        truncated = true;
      });
      const target = tmp;
      const out = createWriteStream(target);
      tmpClosed = new Promise<void>((resolve) => (out.closed ? resolve() : out.once('close', () => resolve())));
      writing = pipeline(stream, out).then(() => {
        file = { path: target, name: path.basename(info.filename || 'playlist.m3u'), size };
      });
      writing.catch(() => undefined);
    });
    bb.on('error', reject);
    bb.on('close', resolve);
  });
  // A client that disconnects (or a body cut before the closing boundary) rejects `done` while
  // the pipeline below is already failing; without this handler that second rejection would be
  // unhandled and take the whole process down.
  done.catch(() => undefined);
  try {
    const unreadable = (err: unknown): AppError =>
      new AppError('invalid_request', `could not read the upload: ${(err as Error).message}`, { httpStatus: 400 });
    await pipeline(req, bb).catch((err: unknown) => {
      throw unreadable(err);
    });
    await done.catch((err: unknown) => {
      throw unreadable(err);
    });
    if (writing) {
      await (writing as Promise<void>).catch((err: unknown) => {
        throw unreadable(err);
      });
    }
    if (truncated) {
      ctx.set('Connection', 'close');
      throw tooLarge(opts.maxBytes);
    }
    return { fields, file };
  } catch (err) {
    // Let the file part settle before removing its temp file, so nothing is re-created after.
    // pipeline() settles on the first error without waiting for the write stream to finish
    // opening: a slow open would create the file after the unlink, left behind for good.
    if (writing) await (writing as Promise<void>).catch(() => undefined);
    if (tmpClosed) await tmpClosed;
    if (tmp) await unlink(tmp).catch(() => undefined);
    throw err;
  }
}
