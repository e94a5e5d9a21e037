/**
 * A least-recently-used cache whose entries also expire, on an injected clock (tests move time
 * without sleeping). A Map keeps insertion order, so the oldest entry is the first key. Pure.
 */
export class TtlLru<K, V> {
  private readonly map = new Map<K, { value: V; expires: number }>();

  constructor(
    private readonly max: number,
    private readonly ttlMs: number,
    private readonly now: () => number,
  ) {}

  get size(): number {
    return this.map.size;
  }

  /** The value, or undefined when absent or expired. `has` tells a cached undefined apart. */
  get(key: K): V | undefined {
    const hit = this.map.get(key);
    if (!hit) return undefined;
    if (hit.expires <= this.now()) {
      this.map.delete(key);
      return undefined;
    }
    this.map.delete(key);
    this.map.set(key, hit);
    return hit.value;
  }

  has(key: K): boolean {
    const hit = this.map.get(key);
    return !!hit && hit.expires > this.now();
  }

  set(key: K, value: V): void {
    this.map.delete(key);
    this.map.set(key, { value, expires: this.now() + this.ttlMs });
    while (this.map.size > this.max) this.map.delete(this.map.keys().next().value as K);
  }

  clear(): void {
    this.map.clear();
  }
}
