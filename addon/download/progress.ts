/**
 * Speed over a sliding window: an instantaneous rate jumps around with segment boundaries,
 * a whole-job average hides stalls.
 */
export class SpeedMeter {
  private readonly samples: Array<{ t: number; bytes: number }> = [];
  private total = 0;

  constructor(
    private readonly now: () => number,
    private readonly windowMs = 5000,
  ) {}

  add(bytes: number): void {
    this.total += bytes;
    const t = this.now();
    this.samples.push({ t, bytes: this.total });
    while (this.samples.length > 2 && this.samples[0]!.t < t - this.windowMs) this.samples.shift();
  }

  /** Bytes per second over the window. */
  rate(): number {
    const t = this.now();
    while (this.samples.length > 1 && this.samples[0]!.t < t - this.windowMs) this.samples.shift();
    const first = this.samples[0];
    if (!first) return 0;
    const elapsed = Math.max(t - first.t, 1000);
    return Math.round(((this.total - first.bytes) * 1000) / elapsed);
  }
}

export function etaSeconds(bytesDone: number, bytesTotal: number | null, speed: number): number | null {
  if (bytesTotal === null || speed <= 0) return null;
  return Math.max(0, Math.round((bytesTotal - bytesDone) / speed));
}
