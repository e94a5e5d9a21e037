import type { Logger } from '../platform/logger.js';
import type { Clock } from '../platform/clock.js';
import type { HttpClient } from '../platform/http.js';
import { withRetry, type ErrorClass, type RetryBudget, type RetryPolicy } from './retry.js';
import type { KeyedSemaphores, Semaphore } from './semaphore.js';

/** Live figures a download reports; the job runner turns them into job progress. */
export interface ProgressSink {
  /** Network bytes received (for speed and bytes_done). */
  bytes(n: number): void;
  /** Totals as far as they are known; called again when the estimate improves. */
  totals(t: { segmentsTotal: number; bytesTotal: number | null }): void;
  segmentsDone(n: number): void;
  /** Bytes already on disk from an earlier attempt: counted as done, not as speed. */
  resumed(bytes: number): void;
  /**
   * Something the user should know about this download that is not an error ("the resume had
   * to start over"): shown on the job (`warning`). Optional: probes and tests need no sink.
   */
  warn?(message: string): void;
}

/**
 * Connection caps every request honours: one per host (all jobs together) plus any extra
 * shared limits a job carries (an IPTV source allowing one or two connections).
 * Always acquired in the same order, so two jobs can never wait on each other.
 */
export class ConnectionLimits {
  constructor(
    private readonly perHost: KeyedSemaphores,
    private readonly extra: readonly Semaphore[] = [],
  ) {}

  with(extra: readonly Semaphore[]): ConnectionLimits {
    return new ConnectionLimits(this.perHost, [...this.extra, ...extra]);
  }

  async acquire(url: string, signal: AbortSignal): Promise<() => void> {
    const releases: Array<() => void> = [];
    try {
      releases.push(await this.perHost.acquire(new URL(url).host, signal));
      for (const sem of this.extra) releases.push(await sem.acquire(signal));
    } catch (err) {
      for (const release of releases.reverse()) release();
      throw err;
    }
    return () => {
      for (const release of releases.reverse()) release();
    };
  }
}

export interface DownloadContext {
  http: HttpClient;
  clock: Clock;
  retry: RetryPolicy;
  /** Extra server-error retries shared by every request of this download. */
  retryBudget?: RetryBudget;
  connections: ConnectionLimits;
  /** Parallel requests within this one job. */
  concurrency: number;
  logger: Logger;
  signal: AbortSignal;
  /** Referer, User-Agent and custom headers: sent on playlist, key and segment requests. */
  headers: Record<string, string>;
  workDir: string;
  progress: ProgressSink;
  /** Told of every retry (the segment_retries_total metric); optional. */
  onRetry?: ((errorClass: ErrorClass) => void) | undefined;
  /** Playlists listing more segments are refused (max_playlist_segments). */
  maxPlaylistSegments?: number;
}

/** One request under the connection caps, retried by error class; the slot is free while backing off. */
/** `what` names the request in retry log lines: a function is only called when one is logged. */
export function limitedRequest<T>(ctx: DownloadContext, url: string, what: string | (() => string), fn: (signal: AbortSignal) => Promise<T>, signal = ctx.signal): Promise<T> {
  return withRetry(
    async () => {
      const release = await ctx.connections.acquire(url, signal);
      try {
        return await fn(signal);
      } finally {
        release();
      }
    },
    {
      policy: ctx.retry,
      clock: ctx.clock,
      signal,
      ...(ctx.retryBudget ? { budget: ctx.retryBudget } : {}),
      onRetry: ({ attempt, delayMs, error, errorClass }) => {
        ctx.onRetry?.(errorClass);
        ctx.logger.warn({ attempt, delayMs, errorClass, err: String((error as Error)?.message ?? error) }, `retrying ${typeof what === 'function' ? what() : what}`);
      },
    },
  );
}
