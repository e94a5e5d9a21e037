import type { Middleware } from 'koa';
import { AppError } from '../errors.js';
import { clientOf, principalOf } from './auth.js';

/**
 * A token bucket per caller for API writes: `perMinute` tokens refill evenly over a minute and
 * a caller may spend a whole minute's worth at once. A person clicking, or an automation adding
 * a season, never meets it; a runaway script creating thousands of downloads gets 429 with
 * Retry-After instead of starving running downloads and the rest of the API. Reads are free.
 */
export interface RateLimitOptions {
  perMinute: number;
  now?: () => number;
  /** Buckets kept at most; the fullest (idle) ones go first. */
  maxBuckets?: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export class TokenBuckets {
  private readonly buckets = new Map<string, Bucket>();
  private readonly perMs: number;

  constructor(
    private readonly capacity: number,
    private readonly now: () => number,
    private readonly maxBuckets = 10_000,
  ) {
    this.perMs = capacity / 60_000;
  }

  /** Takes a token; returns 0 when granted, else the milliseconds until one is available. */
  take(key: string): number {
    const now = this.now();
    let bucket = this.buckets.get(key);
    if (!bucket) {
      if (this.buckets.size >= this.maxBuckets) this.prune(now);
      bucket = { tokens: this.capacity, at: now };
      this.buckets.set(key, bucket);
    }
    bucket.tokens = Math.min(this.capacity, bucket.tokens + (now - bucket.at) * this.perMs);
    bucket.at = now;
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return Math.ceil((1 - bucket.tokens) / this.perMs);
  }

  private prune(now: number): void {
    for (const [key, b] of this.buckets) {
      if (b.tokens + (now - b.at) * this.perMs >= this.capacity) this.buckets.delete(key);
    }
    // Still full of busy callers: drop the oldest entries rather than grow without bound.
    for (const key of this.buckets.keys()) {
      if (this.buckets.size < this.maxBuckets) break;
      this.buckets.delete(key);
    }
  }
}

/** Limits writes per principal (key, user, Home Assistant user) and per client address. */
export function writeRateLimit(opts: RateLimitOptions): Middleware {
  if (opts.perMinute <= 0) return (_ctx, next) => next();
  const buckets = new TokenBuckets(opts.perMinute, opts.now ?? Date.now, opts.maxBuckets);
  return async (ctx, next) => {
    if (!UNSAFE.has(ctx.method) || !ctx.path.startsWith('/api/')) return next();
    const principal = principalOf(ctx);
    const client = clientOf(ctx);
    const keys: string[] = [];
    if (principal) keys.push(`${principal.kind}:${principal.id}`);
    // Ingress requests all come from the Supervisor's address: the user is the caller there.
    if (client.via === 'direct' && client.ip) keys.push(`ip:${client.ip}`);
    let wait = 0;
    for (const key of keys) wait = Math.max(wait, buckets.take(key));
    if (wait > 0) {
      const seconds = Math.max(1, Math.ceil(wait / 1000));
      ctx.set('Retry-After', String(seconds));
      throw new AppError('rate_limited', `too many changes: at most ${opts.perMinute} writes a minute (option api_write_rate_per_minute); try again in ${seconds} s`, { httpStatus: 429 });
    }
    return next();
  };
}
