import { createDecipheriv } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rename, unlink } from 'node:fs/promises';
import { Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { AppError } from '../errors.js';
import type { HttpClient } from '../platform/http.js';

export interface FetchToFileRequest {
  url: string;
  headers: Record<string, string>;
  byteRange?: { offset: number; length: number } | null;
  /** AES-128-CBC key and IV: the body is decrypted on its way to disk. */
  decrypt?: { key: Buffer; iv: Buffer } | null;
  signal: AbortSignal;
  /** Final path; the body goes to `<dest>.part` first and is renamed when complete. */
  dest: string;
  /** Network bytes as they arrive, for speed. */
  onBytes?: (bytes: number) => void;
}

export interface FetchToFileResult {
  /** Bytes received from the network. */
  received: number;
  finalUrl: string;
  /** The Content-Length the server declared for an uncompressed body; null when it sent none. */
  declaredLength: number | null;
}

class TruncatedBodyError extends Error {
  readonly code = 'ERR_TRUNCATED_BODY';
  constructor(expected: number, got: number) {
    super(`body ended after ${got} of ${expected} bytes`);
    this.name = 'TruncatedBodyError';
  }
}

function counter(onBytes: ((n: number) => void) | undefined, tally: { n: number }): Transform {
  return new Transform({
    transform(chunk: Buffer, _enc, cb: TransformCallback) {
      tally.n += chunk.length;
      onBytes?.(chunk.length);
      cb(null, chunk);
    },
  });
}

/** For servers that answer a Range request with the whole file: keep only the asked-for bytes. */
function slicer(offset: number, length: number): Transform {
  let pos = 0;
  const end = offset + length;
  return new Transform({
    transform(chunk: Buffer, _enc, cb: TransformCallback) {
      const start = pos;
      pos += chunk.length;
      if (pos <= offset || start >= end) return cb();
      cb(null, chunk.subarray(Math.max(0, offset - start), Math.min(chunk.length, end - start)));
    },
  });
}

export async function fetchToFile(http: HttpClient, req: FetchToFileRequest): Promise<FetchToFileResult> {
  const range = req.byteRange ? { start: req.byteRange.offset, end: req.byteRange.offset + req.byteRange.length - 1 } : undefined;
  const response = await http.get({ url: req.url, headers: req.headers, range, signal: req.signal });
  const partial = `${req.dest}.part`;
  const tally = { n: 0 };
  const stages: Array<NodeJS.ReadableStream | NodeJS.WritableStream | Transform> = [response.body, counter(req.onBytes, tally)];
  let expected: number | null = null;
  if (req.byteRange) {
    if (response.status === 206) expected = req.byteRange.length;
    else stages.push(slicer(req.byteRange.offset, req.byteRange.length));
  }
  if (req.decrypt) {
    stages.push(createDecipheriv('aes-128-cbc', req.decrypt.key, req.decrypt.iv));
  }
  stages.push(createWriteStream(partial));
  try {
    await pipeline(stages as unknown as [NodeJS.ReadableStream, NodeJS.WritableStream]);
  } catch (err) {
    await unlink(partial).catch(() => undefined);
    // AES-CBC works on 16-byte blocks: a ciphertext that is not whole blocks was cut short, and
    // that is worth another try, not a "wrong key" verdict.
    if (req.decrypt && tally.n % 16 !== 0 && !req.signal.aborted) throw new TruncatedBodyError(Math.ceil(tally.n / 16) * 16, tally.n);
    if ((err as { code?: string }).code === 'ERR_OSSL_BAD_DECRYPT' || /bad decrypt/i.test(String((err as Error).message))) {
      throw new AppError('decrypt_failed', 'AES-128 decryption failed (wrong key or IV, or the body is not encrypted)', { cause: err });
    }
    throw err;
  }
  if (expected !== null && tally.n !== expected) {
    await unlink(partial).catch(() => undefined);
    throw new TruncatedBodyError(expected, tally.n);
  }
  await rename(partial, req.dest);
  const length = response.headers['content-length'];
  const declaredLength = typeof length === 'string' && !response.headers['content-encoding'] && /^\d+$/.test(length) ? Number(length) : null;
  return { received: tally.n, finalUrl: response.url, declaredLength };
}

/** Reads a small body (playlist, key) into memory, refusing anything absurdly large. */
export async function fetchSmall(
  http: HttpClient,
  url: string,
  headers: Record<string, string>,
  signal: AbortSignal,
  maxBytes = 16 * 1024 * 1024,
): Promise<{ body: Buffer; finalUrl: string; contentType: string | null }> {
  const response = await http.get({ url, headers, signal });
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of response.body as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes) {
      response.body.destroy();
      throw new AppError('response_too_large', `response from ${new URL(url).host} is larger than ${maxBytes} bytes`);
    }
    chunks.push(chunk);
  }
  const ct = response.headers['content-type'];
  return { body: Buffer.concat(chunks), finalUrl: response.url, contentType: typeof ct === 'string' ? ct : null };
}
