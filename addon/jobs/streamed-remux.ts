import { rmSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import type { FfmpegRunner } from '../platform/ffmpeg.js';
import { FifoFeeder } from './fifo-feeder.js';

const READ_BYTES = 1024 * 1024;

/**
 * A part file that is still being written, read as a stream that follows it: it hands out the
 * bytes the download has journalled so far, waits for more, and ends only when told the file is
 * complete. An input read this way is exactly the part file a classic merge would read.
 */
export class GrowingFile {
  private size: number;
  private complete = false;
  private failed: Error | null = null;
  private wake: (() => void) | null = null;
  /** Bytes handed to the reader so far. */
  fed = 0;

  constructor(
    readonly file: string,
    initialSize: number,
  ) {
    this.size = initialSize;
  }

  grow(size: number): void {
    if (size > this.size) this.size = size;
    this.notify();
  }

  /** No more bytes will come: the stream ends once it has handed out `size` bytes. */
  end(): void {
    this.complete = true;
    this.notify();
  }

  /** The stream errors (and the remux reading it must not be trusted). */
  fail(err: Error): void {
    this.failed = err;
    this.notify();
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }

  private async *chunks(): AsyncGenerator<Buffer> {
    // The part file is created with its first segment: opened once there are bytes to read.
    let fh: FileHandle | null = null;
    try {
      for (;;) {
        if (this.failed) throw this.failed;
        if (this.fed < this.size) {
          fh ??= await open(this.file, 'r');
          const buf = Buffer.allocUnsafe(Math.min(READ_BYTES, this.size - this.fed));
          const { bytesRead } = await fh.read(buf, 0, buf.length, this.fed);
          if (bytesRead === 0) throw new Error(`${this.file} is shorter than its journal says (${this.fed} of ${this.size} bytes)`);
          this.fed += bytesRead;
          yield bytesRead === buf.length ? buf : buf.subarray(0, bytesRead);
          continue;
        }
        if (this.complete) return;
        await new Promise<void>((resolve) => (this.wake = resolve));
      }
    } finally {
      await fh?.close();
    }
  }

  /** Byte stream with backpressure: nothing is read ahead of what ffmpeg consumes (plus one chunk). */
  stream(): Readable {
    return Readable.from(this.chunks(), { objectMode: false, highWaterMark: READ_BYTES });
  }
}

/**
 * ffmpeg remuxing the tracks while they download: each track's part file is an input read
 * through a pipe as it grows, so when the last segment lands only the tail is left to mux.
 * Only for tracks that are one part each (no discontinuity) and no subtitles to join.
 */
export class StreamedRemux {
  private readonly controller = new AbortController();
  /** Worker threads writing into FIFOs (the fast way), or null: pipes fed from the event loop. */
  private readonly feeders: FifoFeeder[] | null;
  private readonly files: GrowingFile[];
  private readonly streams: Readable[];
  private readonly run: Promise<void>;
  private error: unknown = null;
  private merging = false;

  private constructor(
    ffmpeg: FfmpegRunner,
    parts: ReadonlyArray<{ file: string; size: number }>,
    feeders: FifoFeeder[] | null,
    args: (inputs: string[]) => string[],
    private readonly onMergeProgress: (seconds: number) => void,
  ) {
    this.feeders = feeders;
    this.files = feeders ? [] : parts.map((p) => new GrowingFile(p.file, p.size));
    const streams = this.files.map((f) => f.stream());
    this.streams = streams;
    for (const stream of streams) {
      // A part file that cannot be read: stop ffmpeg rather than let it see a short input.
      stream.on('error', (err) => {
        this.error ??= err;
        this.controller.abort(err);
      });
    }
    const inputs = feeders ? feeders.map((f) => f.fifo) : parts.map((_, n) => `pipe:${3 + n}`);
    this.run = ffmpeg
      .run(args(inputs), {
        signal: this.controller.signal,
        ...(feeders ? {} : { inputs: streams }),
        onProgress: (t) => {
          if (this.merging) this.onMergeProgress(t);
        },
      })
      .catch((err: unknown) => {
        this.error ??= err;
      })
      .finally(() => {
        for (const stream of this.streams) stream.destroy();
      });
  }

  /**
   * Starts ffmpeg on the inputs (in its order): each fed through a FIFO by a worker thread when
   * FIFOs can be made (next to the part files), else through a pipe from the event loop.
   */
  static start(
    ffmpeg: FfmpegRunner,
    parts: ReadonlyArray<{ file: string; size: number }>,
    args: (inputs: string[]) => string[],
    onMergeProgress: (seconds: number) => void,
    options: { fifos?: boolean } = {},
  ): StreamedRemux {
    const feeders: FifoFeeder[] = [];
    for (const [n, part] of parts.entries()) {
      if (options.fifos === false) break;
      const fifo = path.join(path.dirname(part.file), `input-${n}.fifo`);
      rmSync(fifo, { force: true });
      const feeder = FifoFeeder.create(fifo, part.file, part.size);
      if (!feeder) break;
      feeders.push(feeder);
    }
    if (feeders.length !== parts.length) {
      for (const f of feeders) void f.stop();
      return new StreamedRemux(ffmpeg, parts, null, args, onMergeProgress);
    }
    return new StreamedRemux(ffmpeg, parts, feeders, args, onMergeProgress);
  }

  /** Input `n` (in ffmpeg's order) now holds `size` journalled bytes. */
  appended(n: number, size: number): void {
    if (this.feeders) this.feeders[n]?.grow(size);
    else this.files[n]?.grow(size);
  }

  /**
   * The download is complete: let every input end, then wait for ffmpeg. Resolves to null when
   * the output is whole (every journalled byte fed, ffmpeg exited 0), else to the reason.
   */
  async finish(finalSizes: readonly number[]): Promise<string | null> {
    this.merging = true;
    if (this.feeders) this.feeders.forEach((f, n) => f.end(finalSizes[n]!));
    else {
      this.files.forEach((f, t) => {
        f.grow(finalSizes[t]!);
        f.end();
      });
    }
    await this.run;
    // After ffmpeg exited: a thread still waiting for it to open its FIFO is released first.
    if (this.feeders) await Promise.all(this.feeders.map((f) => f.stop()));
    const fed = this.feeders ? await Promise.all(this.feeders.map(async (f) => (await f.finished()).fed)) : this.files.map((f) => f.fed);
    if (this.error) return this.error instanceof Error ? this.error.message : String(this.error);
    const short = fed.findIndex((n, i) => n !== finalSizes[i]);
    if (short >= 0) return `ffmpeg read ${fed[short]} of ${finalSizes[short]} bytes of input ${short}`;
    return null;
  }

  /** The download failed or stopped: kill ffmpeg (its output is deleted by the caller). */
  async abort(): Promise<void> {
    const reason = new Error('download stopped');
    for (const f of this.files) f.fail(reason);
    this.controller.abort(reason);
    await this.run;
    if (this.feeders) await Promise.all(this.feeders.map((f) => f.stop()));
  }
}
