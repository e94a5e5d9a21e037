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
  /**
   * Extra 5xx/429 retries a whole download may spend beyond each request's `serverRetries`: a
   * short origin outage hits many segments at once and should not cost the download, while an
   * origin that stays down still fails it once the budget is spent. Default 30.
   */
  jobServerRetries?: number;
  /** Longest wait between two tries (backoff, and a Retry-After the server asks for). Default 60 s. */
  maxDelayMs?: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { networkRetries: 3, serverRetries: 2, baseDelayMs: 1000, jitter: 0.2, jobServerRetries: 30, maxDelayMs: 60_000 };

/** The 5xx retries one download has left, shared by all its requests. */
export interface RetryBudget {
  server: number;
}

export function newRetryBudget(policy: RetryPolicy): RetryBudget {
  return { server: policy.jobServerRetries ?? 30 };
}

export interface RetryContext {
  policy: RetryPolicy;
  clock: Clock;
  signal: AbortSignal;
  random?: () => number;
  /** The download's shared budget for extra server-error retries; none: per-request limits only. */
  budget?: RetryBudget;
  onRetry?: (info: { attempt: number; delayMs: number; error: unknown; errorClass: ErrorClass }) => void;
}

export function backoffDelay(policy: RetryPolicy, attempt: number, random: () => number = Math.random): number {
  const base = Math.min(policy.baseDelayMs * 2 ** attempt, policy.maxDelayMs ?? 60_000);
  const spread = base * policy.jitter;
  return Math.max(0, Math.round(base - spread + random() * 2 * spread));
}

/** Thrown when a request's server errors outlast the download's retry budget: says so plainly. */
export class RetriesExhaustedError extends Error {
  constructor(
    readonly last: unknown,
    tries: number,
  ) {
    super(`${(last as Error)?.message ?? String(last)} (the server kept failing: ${tries} tries; this download's retry budget for server errors is spent)`);
    this.name = 'RetriesExhaustedError';
  }
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
      if (attempt >= allowed) {
        // Past its own tries, a server error may draw on the download's shared budget.
        if (errorClass !== 'server' || !ctx.budget) throw err;
        if (ctx.budget.server <= 0) throw new RetriesExhaustedError(err, attempt + 1);
        ctx.budget.server--;
      }
      let delayMs = backoffDelay(ctx.policy, attempt, ctx.random);
      // The server said when to come back: never sooner (up to the longest wait we accept).
      if (err instanceof HttpStatusError && err.retryAfterMs !== null) {
        delayMs = Math.max(delayMs, Math.min(err.retryAfterMs, ctx.policy.maxDelayMs ?? 60_000));
      }
      ctx.onRetry?.({ attempt: attempt + 1, delayMs, error: err, errorClass });
      await ctx.clock.sleep(delayMs, ctx.signal);
    }
  }
}
