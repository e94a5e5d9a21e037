/**
 * Failed-login limiting, in memory (a restart forgets it, which is fine for a login form).
 * Two buckets guard each attempt: the client address (against one machine trying many names)
 * and the username (against many machines trying one account). While either bucket is full,
 * attempts are refused without checking the password, and the answer says when to try again.
 * A successful login empties the username's bucket. Pure: time comes from `now`.
 */
export interface LimitRule {
  /** Failures allowed within `windowMs` before refusing. */
  max: number;
  windowMs: number;
}

export const LOGIN_LIMITS = {
  address: { max: 10, windowMs: 15 * 60_000 } satisfies LimitRule,
  username: { max: 5, windowMs: 15 * 60_000 } satisfies LimitRule,
};

export class FailureLimiter {
  private readonly failures = new Map<string, number[]>();

  constructor(
    private readonly now: () => number,
    private readonly maxKeys = 10_000,
  ) {}

  /** Milliseconds until an attempt under `key` is allowed again; 0 when it is allowed now. */
  retryAfter(key: string, rule: LimitRule): number {
    const times = this.recent(key, rule);
    if (times.length < rule.max) return 0;
    return Math.max(1, times[times.length - rule.max]! + rule.windowMs - this.now());
  }

  fail(key: string, rule: LimitRule): void {
    const times = this.recent(key, rule);
    times.push(this.now());
    this.failures.set(key, times);
    if (this.failures.size > this.maxKeys) {
      // Forget the oldest keys rather than grow without bound under a spray of names.
      const drop = this.failures.size - this.maxKeys;
      let i = 0;
      for (const k of this.failures.keys()) {
        if (i++ >= drop) break;
        this.failures.delete(k);
      }
    }
  }

  reset(key: string): void {
    this.failures.delete(key);
  }

  private recent(key: string, rule: LimitRule): number[] {
    const cutoff = this.now() - rule.windowMs;
    const times = (this.failures.get(key) ?? []).filter((t) => t > cutoff);
    if (times.length === 0) this.failures.delete(key);
    return times;
  }
}
