import { createDecipheriv } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { open, rename, unlink, type FileHandle } from 'node:fs/promises';
import { finished, Transform, Writable, type Readable, type TransformCallback } from 'node:stream';
import { AppError } from '../errors.js';
import type { HttpClient } from '../platform/http.js';
import { receivedBytes } from '../platform/young-collection.js';

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

/**
 * Memory a job may hold for bodies on their way to disk, as reusable slabs: a body is copied
 * into one slab sized from its Content-Length as it arrives, so the socket's chunks die young
 * and the slabs are used again and again (holding thousands of socket chunks for the life of a
 * segment made the garbage collector fall behind: RSS grew with the stream).
 */
export class MemoryBudget {
  private readonly free: Buffer[] = [];
  private readonly slabs = new WeakMap<Buffer, Buffer>();
  private used = 0;
  private pooled = 0;
  constructor(readonly limit: number) {}

  /** A slab of at least `n` bytes, or null when the budget has no room for it. */
  acquire(n: number): Buffer | null {
    if (n <= 0 || n > this.limit) return null;
    // Best fit among the idle slabs: a slab dropped for a new one is garbage that only a full
    // collection returns, so RSS would exceed the budget by it. A much larger one (a video
    // slab for an audio body) only when a new slab would need room made.
    let best = -1;
    for (let i = 0; i < this.free.length; i++) {
      const len = this.free[i]!.length;
      if (len >= n && (best < 0 || len < this.free[best]!.length)) best = i;
    }
    const fresh = Math.ceil((n * 1.25) / 65536) * 65536;
    const roomForFresh = this.used + this.pooled + fresh <= this.limit;
    if (best >= 0 && (this.free[best]!.length <= 4 * n || !roomForFresh)) {
      const slab = this.free.splice(best, 1)[0]!;
      this.pooled -= slab.length;
      this.used += slab.length;
      return slab;
    }
    // New slabs get a quarter of headroom, so the next, slightly larger segment reuses them.
    const exact = Math.ceil(n / 65536) * 65536;
    if (this.used + exact > this.limit) return null;
    const size = this.used + fresh <= this.limit ? fresh : exact;
    // Idle slabs make room (the collector frees them, so this should be rare).
    while (this.free.length > 0 && this.used + this.pooled + size > this.limit) this.pooled -= this.free.shift()!.length;
    this.used += size;
    return Buffer.allocUnsafeSlow(size);
  }

  /** A body cut from `slab`: release(body) gives the slab back. */
  mark(body: Buffer, slab: Buffer): Buffer {
    this.slabs.set(body, slab);
    return body;
  }

  /** Gives back the slab under a body (or a slab itself). */
  release(body: Buffer): void {
    const slab = this.slabs.get(body) ?? body;
    this.slabs.delete(body);
    this.used = Math.max(0, this.used - slab.length);
    this.free.push(slab);
    this.pooled += slab.length;
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
 * Copies a body into one memory slab while it fits (its size known from the headers), else
 * writes it to a file. On a failure the file is the caller's to delete and the slab goes back.
 */
class MemoryOrFile extends Writable {
  private slab: Buffer | null;
  private held = 0;
  private fh: FileHandle | null = null;
  constructor(
    private readonly budget: MemoryBudget,
    private readonly file: string,
    expectedLength: number | null,
  ) {
    super({ highWaterMark: 256 * 1024 });
    this.slab = expectedLength !== null ? budget.acquire(expectedLength) : null;
  }
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    if (this.fh === null && this.slab !== null && this.held + chunk.length <= this.slab.length) {
      chunk.copy(this.slab, this.held);
      this.held += chunk.length;
      cb();
      return;
    }
    this.spill(chunk).then(() => cb(), cb);
  }
  private async spill(chunk: Buffer): Promise<void> {
    if (this.fh === null) {
      this.fh = await open(this.file, 'w');
      if (this.slab !== null && this.held > 0) await this.fh.write(this.slab, 0, this.held);
      this.drop();
    }
    await this.fh.write(chunk);
  }
  override _final(cb: (err?: Error | null) => void): void {
    const fh = this.fh;
    if (!fh) return cb();
    fh.close().then(() => cb(), cb);
  }
  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    // A finished body stays for take(); only a failed one gives its slab back here.
    if (err) this.drop();
    const fh = this.fh;
    if (!fh) return cb(err);
    fh.close().then(() => cb(err), () => cb(err));
  }
  /** The whole body when it stayed in memory (release it to the budget once written), else null. */
  take(): Buffer | null {
    if (this.fh !== null || this.slab === null) return null;
    const body = this.budget.mark(this.slab.subarray(0, this.held), this.slab);
    this.slab = null;
    return body;
  }
  /** Gives the slab back without keeping the body. */
  drop(): void {
    if (this.slab !== null) this.budget.release(this.slab);
    this.slab = null;
  }
}

class TruncatedBodyError extends Error {
  readonly code = 'ERR_TRUNCATED_BODY';
  constructor(expected: number, got: number) {
    super(`body ended after ${got} of ${expected} bytes`);
    this.name = 'TruncatedBodyError';
  }
}

/** Counts the body's bytes as they come off the socket (a listener, not a stream stage of its own). */
function count(body: Readable, onBytes: ((n: number) => void) | undefined, tally: { n: number }): void {
  body.on('data', (chunk: Buffer) => {
    tally.n += chunk.length;
    onBytes?.(chunk.length);
    receivedBytes(chunk.length);
  });
}

/**
 * stream.pipeline's behaviour (errors from any stage settle it and destroy every stage; a body
 * closed before its end is ERR_STREAM_PREMATURE_CLOSE) without its cost per call: pipeline
 * aborts an AbortController of its own whenever it finishes, and the DOMException that builds
 * (with a stack trace) was measured at a tenth of the CPU of a 6 KB segment.
 */
function pipeAll(stages: ReadonlyArray<Readable | Writable>): Promise<void> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const settle = (err: Error | null): void => {
      if (settled) return;
      settled = true;
      if (err) {
        for (const stage of stages) stage.destroy();
        reject(err);
      } else resolve();
    };
    stages.forEach((stage, i) => {
      const last = i === stages.length - 1;
      // The listeners stay: an error a stage emits after the settling has a listener to land on.
      finished(stage, (err) => {
        if (err) settle(err);
        else if (last) settle(null);
      });
      if (!last) (stage as Readable).pipe(stages[i + 1] as Writable);
    });
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
  count(response.body, req.onBytes, tally);
  const stages: Array<Readable | Writable> = [response.body];
  let expected: number | null = null;
  if (req.byteRange) {
    if (response.status === 206) expected = req.byteRange.length;
    else stages.push(slicer(req.byteRange.offset, req.byteRange.length));
  }
  if (req.decrypt) {
    stages.push(createDecipheriv('aes-128-cbc', req.decrypt.key, req.decrypt.iv));
  }
  const sink = req.memory ? new MemoryOrFile(req.memory, partial, req.byteRange && response.status === 206 ? req.byteRange.length : declaredLength) : createWriteStream(partial);
  stages.push(sink);
  try {
    await pipeAll(stages);
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
