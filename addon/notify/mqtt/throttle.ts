/**
 * At most one message per key per interval, never losing the last one: the first value goes
 * out at once, later ones within the interval replace each other and the newest is sent when
 * the interval has passed (trailing edge).
 */
export class KeyedThrottle<T> {
  private readonly last = new Map<string, number>();
  private readonly pending = new Map<string, { value: T; timer: NodeJS.Timeout }>();

  constructor(
    private readonly intervalMs: number,
    private readonly send: (key: string, value: T) => void,
    private readonly now: () => number,
  ) {}

  push(key: string, value: T): void {
    const waiting = this.pending.get(key);
    if (waiting) {
      waiting.value = value;
      return;
    }
    const elapsed = this.now() - (this.last.get(key) ?? -Infinity);
    if (elapsed >= this.intervalMs) {
      this.emit(key, value);
      return;
    }
    const timer = setTimeout(() => {
      const entry = this.pending.get(key);
      this.pending.delete(key);
      if (entry) this.emit(key, entry.value);
    }, this.intervalMs - elapsed);
    this.pending.set(key, { value, timer });
  }

  /** Forgets a key: a pending value is dropped. */
  drop(key: string): void {
    const entry = this.pending.get(key);
    if (entry) clearTimeout(entry.timer);
    this.pending.delete(key);
    this.last.delete(key);
  }

  stop(): void {
    for (const entry of this.pending.values()) clearTimeout(entry.timer);
    this.pending.clear();
    this.last.clear();
  }

  private emit(key: string, value: T): void {
    const now = this.now();
    if (this.last.size >= 256) {
      // Keys are job ids: forget the ones that no longer need spacing.
      for (const [k, t] of this.last) if (now - t >= this.intervalMs && !this.pending.has(k)) this.last.delete(k);
    }
    this.last.set(key, now);
    this.send(key, value);
  }
}
