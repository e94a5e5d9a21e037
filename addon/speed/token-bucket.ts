import type { Clock } from '../platform/clock.js';

/**
 * One rate shared by every running download: a token bucket that lets a chunk through at once and
 * makes the next caller wait off the debt, so the average over any few seconds stays at the rate
 * however many connections share it. `null` is no limit (no waiting, no bookkeeping).
 */
export class TokenBucket {
  private rate: number | null = null;
  private tokens = 0;
  private last = 0;

  constructor(private readonly clock: Clock) {}

  /** Bytes per second, or null for no limit; takes effect for the next chunk. */
  setRate(bytesPerSecond: number | null): void {
    this.rate = bytesPerSecond && bytesPerSecond > 0 ? bytesPerSecond : null;
    this.tokens = 0;
    this.last = this.clock.now();
  }

  get bytesPerSecond(): number | null {
    return this.rate;
  }

  /** Resolves when `bytes` may pass. */
  async take(bytes: number, signal?: AbortSignal): Promise<void> {
    const rate = this.rate;
    if (rate === null) return;
    const now = this.clock.now();
    // A quarter of a second of burst: enough for smooth 64 KiB chunks, too little to overshoot.
    const burst = Math.max(64 * 1024, rate / 4);
    this.tokens = Math.min(burst, this.tokens + ((now - this.last) / 1000) * rate);
    this.last = now;
    this.tokens -= bytes;
    if (this.tokens >= 0) return;
    await this.clock.sleep(Math.ceil((-this.tokens / rate) * 1000), signal);
  }
}
