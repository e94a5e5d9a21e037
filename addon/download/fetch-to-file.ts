import { createDecipheriv } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { open, rename, unlink, type FileHandle } from 'node:fs/promises';
import { Transform, Writable, type TransformCallback } from 'node:stream';
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
  /** The response's declared body length (null when it sent none), told as soon as the headers arrive. */
  onHeaders?: (declaredLength: number | null) => void;
  /**
   * Keep the body in memory while this budget allows, so it can go straight into its part file
   * without a file of its own; past the budget it spills to `<dest>.part` as usual.
   */
  memory?: MemoryBudget;
}

/** Bytes a job may hold in memory for bodies on their way to disk; shared by its requests. */
export class MemoryBudget {
  private used = 0;
  constructor(readonly limit: number) {}
  take(n: number): boolean {
    if (this.used + n > this.limit) return false;
    this.used += n;
    return true;
  }
  give(n: number): void {
    this.used = Math.max(0, this.used - n);
  }
  get inUse(): number {
    return this.used;
  }
}

export interface FetchToFileResult {
  /** Bytes received from the network. */
  received: number;
  finalUrl: string;
  /** The Content-Length the server declared for an uncompressed body; null when it sent none. */
  declaredLength: number | null;
  /**
   * With `memory`: the body when it stayed in memory (its bytes are still taken from the budget:
   * the caller gives them back once written); null when it went to `dest`.
   */
  body?: Buffer | null;
}

/**
 * Collects a body in memory while the budget allows, then spills everything to a file. On a
 * failure the file is the caller's to delete and the memory goes back to the budget.
 */
class MemoryOrFile extends Writable {
  private chunks: Buffer[] = [];
  private held = 0;
  private fh: FileHandle | null = null;
  constructor(
    private readonly budget: MemoryBudget,
    private readonly file: string,
  ) {
    super({ highWaterMark: 256 * 1024 });
  }
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    if (this.fh === null && this.budget.take(chunk.length)) {
      this.chunks.push(chunk);
      this.held += chunk.length;
      cb();
      return;
    }
    this.spill(chunk).then(() => cb(), cb);
  }
  private async spill(chunk: Buffer): Promise<void> {
    if (this.fh === null) {
      this.fh = await open(this.file, 'w');
      if (this.held > 0) await this.fh.writev(this.chunks);
      this.release();
    }
    await this.fh.write(chunk);
  }
  override _final(cb: (err?: Error | null) => void): void {
    const fh = this.fh;
    if (!fh) return cb();
    fh.close().then(() => cb(), cb);
  }
  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    // A finished body stays for take(); only a failed one goes back to the budget here.
    if (err) this.release();
    const fh = this.fh;
    if (!fh) return cb(err);
    fh.close().then(() => cb(err), () => cb(err));
  }
  private release(): void {
    this.budget.give(this.held);
    this.chunks = [];
    this.held = 0;
  }
  /** The whole body when it stayed in memory (the budget stays taken), else null. */
  take(): Buffer | null {
    if (this.fh !== null) return null;
    const body = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.held);
    this.chunks = [];
    return body;
  }
  /** Gives the memory back without keeping the body (a body the checks refused). */
  drop(): void {
    this.release();
  }
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
  const length = response.headers['content-length'];
  const declaredLength = typeof length === 'string' && !response.headers['content-encoding'] && /^\d+$/.test(length) ? Number(length) : null;
  req.onHeaders?.(req.byteRange && response.status === 206 ? req.byteRange.length : declaredLength);
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
  const sink = req.memory ? new MemoryOrFile(req.memory, partial) : createWriteStream(partial);
  stages.push(sink);
  try {
    await pipeline(stages as unknown as [NodeJS.ReadableStream, NodeJS.WritableStream]);
  } catch (err) {
    if (sink instanceof MemoryOrFile) sink.drop();
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
    if (sink instanceof MemoryOrFile) sink.drop();
    await unlink(partial).catch(() => undefined);
    throw new TruncatedBodyError(expected, tally.n);
  }
  if (sink instanceof MemoryOrFile) {
    const body = sink.take();
    if (body) return { received: tally.n, finalUrl: response.url, declaredLength, body };
  }
  await rename(partial, req.dest);
  return { received: tally.n, finalUrl: response.url, declaredLength, ...(req.memory ? { body: null } : {}) };
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
