import { AppError } from '../errors.js';
import type { Clock } from '../platform/clock.js';
import { HttpStatusError } from '../platform/http.js';

/**
 * network: timeouts, resets, bodies cut short — worth several tries.
 * server: HTTP 5xx/429 — the server is struggling; fewer tries.
 * fatal: 403/404/410 and other client errors, bad data — retrying cannot help.
 */
export type ErrorClass = 'network' | 'server' | 'fatal' | 'aborted';

const NETWORK_CODES = new Set([
  'ETIMEDOUT',
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ERR_HTTP_CONTENT_LENGTH_MISMATCH',
  'ERR_STREAM_PREMATURE_CLOSE',
  'ERR_TRUNCATED_BODY',
  'UND_ERR_SOCKET',
]);

export function classifyError(err: unknown, signal?: AbortSignal): ErrorClass {
  if (signal?.aborted) return 'aborted';
  if (err instanceof HttpStatusError) {
    if (err.status >= 500 || err.status === 429) return 'server';
    if (err.status === 408) return 'network';
    return 'fatal';
  }
  if (err instanceof AppError) return 'fatal';
  const e = err as { name?: string; code?: string; cause?: { code?: string } } | null;
  if (e?.name === 'AbortError') return 'aborted';
  if (e?.name === 'TimeoutError' || e?.name === 'ReadError') return 'network';
  if (e?.code && NETWORK_CODES.has(e.code)) return 'network';
  if (e?.cause?.code && NETWORK_CODES.has(e.cause.code)) return 'network';
  if (e?.name === 'RequestError') return 'network';
  return 'fatal';
}

export interface RetryPolicy {
  /** Extra tries after the first for network errors. */
  networkRetries: number;
  /** Extra tries after the first for HTTP 5xx / 429. */
  serverRetries: number;
  /** First backoff; doubles each try. */
  baseDelayMs: number;
  /** ± fraction applied to each delay so parallel requests don't retry in lockstep. */
  jitter: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { networkRetries: 3, serverRetries: 2, baseDelayMs: 1000, jitter: 0.2 };

export interface RetryContext {
  policy: RetryPolicy;
  clock: Clock;
  signal: AbortSignal;
  random?: () => number;
  onRetry?: (info: { attempt: number; delayMs: number; error: unknown; errorClass: ErrorClass }) => void;
}

export function backoffDelay(policy: RetryPolicy, attempt: number, random: () => number = Math.random): number {
  const base = policy.baseDelayMs * 2 ** attempt;
  const spread = base * policy.jitter;
  return Math.max(0, Math.round(base - spread + random() * 2 * spread));
}

/** Runs `fn` until it succeeds or the error class has used up its tries. */
export async function withRetry<T>(fn: (attempt: number) => Promise<T>, ctx: RetryContext): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (err) {
      const errorClass = classifyError(err, ctx.signal);
      const allowed =
        errorClass === 'network' ? ctx.policy.networkRetries : errorClass === 'server' ? ctx.policy.serverRetries : 0;
      if (attempt >= allowed) throw err;
      const delayMs = backoffDelay(ctx.policy, attempt, ctx.random);
      ctx.onRetry?.({ attempt: attempt + 1, delayMs, error: err, errorClass });
      await ctx.clock.sleep(delayMs, ctx.signal);
    }
  }
}
