/**
 * Speed over a sliding window: an instantaneous rate jumps around with segment boundaries,
 * a whole-job average hides stalls. Bytes are counted into 250 ms buckets so a job receiving
 * thousands of chunks a second keeps a handful of samples.
 */
export class SpeedMeter {
  private readonly buckets: Array<{ t: number; bytes: number }> = [];
  private static readonly BUCKET_MS = 250;
  private startedAt: number | null = null;

  constructor(
    private readonly now: () => number,
    private readonly windowMs = 5000,
  ) {}

  add(bytes: number): void {
    const t = this.now();
    this.startedAt ??= t;
    const slot = t - (t % SpeedMeter.BUCKET_MS);
    const last = this.buckets.at(-1);
    if (last && last.t === slot) last.bytes += bytes;
    else this.buckets.push({ t: slot, bytes });
    this.trim(t);
  }

  /** Bytes per second over the window. */
  rate(): number {
    const t = this.now();
    this.trim(t);
    if (this.startedAt === null || this.buckets.length === 0) return 0;
    const sum = this.buckets.reduce((n, b) => n + b.bytes, 0);
    const elapsed = Math.max(Math.min(this.windowMs, t - this.startedAt), 1000);
    return Math.round((sum * 1000) / elapsed);
  }

  private trim(t: number): void {
    while (this.buckets.length > 0 && this.buckets[0]!.t <= t - this.windowMs) this.buckets.shift();
  }
}

export function etaSeconds(bytesDone: number, bytesTotal: number | null, speed: number): number | null {
  if (bytesTotal === null || speed <= 0) return null;
  return Math.max(0, Math.round((bytesTotal - bytesDone) / speed));
}
