import { Transform, type TransformCallback } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Paces a byte flow to `bytesPerSecond` (average since start, with a small burst allowance so
 * pauses are short). `take(n)` resolves when n more bytes may go. Rate <= 0 means unlimited.
 */
export class Pacer {
  private readonly rate: number;
  private readonly start = performance.now();
  private sent = 0;

  constructor(bytesPerSecond: number) {
    this.rate = bytesPerSecond > 0 ? bytesPerSecond : 0;
  }

  get limited(): boolean {
    return this.rate > 0;
  }

  async take(n: number, signal?: AbortSignal): Promise<void> {
    if (this.rate === 0) return;
    this.sent += n;
    const due = (this.sent / this.rate) * 1000; // ms after start when these bytes may have gone
    const wait = due - (performance.now() - this.start);
    if (wait > 5) await sleep(wait, undefined, signal ? { signal } : undefined);
  }
}

/** KiB/s setting -> bytes/s (0 = unlimited). */
export function kibToBytesPerSecond(kbps: number | null | undefined): number {
  return kbps && kbps > 0 ? Math.round(kbps * 1024) : 0;
}

/** A pass-through stream that paces its output; chunks are split so pauses stay short. */
export function throttleStream(bytesPerSecond: number, signal?: AbortSignal): Transform {
  const pacer = new Pacer(bytesPerSecond);
  const piece = Math.max(16 * 1024, Math.min(1024 * 1024, Math.floor(bytesPerSecond / 8)));
  return new Transform({
    transform(chunk: Buffer, _enc, done: TransformCallback) {
      void (async () => {
        for (let off = 0; off < chunk.length; off += piece) {
          const part = chunk.subarray(off, Math.min(chunk.length, off + piece));
          await pacer.take(part.length, signal);
          this.push(part);
        }
      })().then(() => done(), (err: unknown) => done(err as Error));
    },
  });
}

/** A pass-through stream that reports the running byte count (starting at `start`). */
export function progressStream(start: number, onProgress?: (bytes: number) => void): Transform {
  let total = start;
  return new Transform({
    transform(chunk: Buffer, _enc, done: TransformCallback) {
      total += chunk.length;
      onProgress?.(total);
      done(null, chunk);
    },
  });
}
