import { ConnectionLimits, type DownloadContext } from '../download/context.js';
import { probeUrl } from '../download/direct-download.js';
import type { RetryPolicy } from '../download/retry.js';
import { AppError, errorMessage } from '../errors.js';
import { requestHeaders } from '../jobs/download-engine.js';
import type { Clock } from '../platform/clock.js';
import { HttpStatusError, redactUrl, type HttpClient } from '../platform/http.js';
import type { Logger } from '../platform/logger.js';
import { detectProbeKind } from './detect-kind.js';
import { dashProber } from './kinds/dash.js';
import { directProber } from './kinds/direct.js';
import { hlsProber } from './kinds/hls.js';
import type { Prober } from './kinds/types.js';
import type { ProbeKind, ProbeRequest, ProbeResult } from './model.js';
import { titleEvidence } from './title-evidence.js';
import { suggestTitle } from '../titles/title-rule.js';

/** Every kind the probe knows; a forgotten kind is a compile error. */
const PROBERS: Record<ProbeKind, Prober> = { hls: hlsProber, dash: dashProber, direct: directProber };

export interface ProbeDeps {
  http: HttpClient;
  clock: Clock;
  connections: ConnectionLimits;
  logger: Logger;
  /** The whole probe's budget: a person is waiting for the answer. */
  timeoutMs?: number;
}

/** A person is waiting: one try, no backoff; the download itself retries properly. */
const NO_RETRY: RetryPolicy = { networkRetries: 0, serverRetries: 0, baseDelayMs: 0, jitter: 0 };
const DEFAULT_TIMEOUT_MS = 20_000;

const STATUS_HINTS: Record<number, string> = {
  401: 'it wants a login',
  403: 'it refused: the page may need to send its Referer, Origin, cookies or a token header',
  404: 'nothing there (the link may have expired)',
  410: 'the link has expired',
};

/**
 * POST /api/probe: fetches a URL the way a download would (same HTTP client, same headers, same
 * first ranged request and sniffing) and describes it without queueing anything.
 */
export class ProbeService {
  constructor(private readonly deps: ProbeDeps) {}

  async probe(request: ProbeRequest, signal?: AbortSignal): Promise<ProbeResult> {
    const timeout = AbortSignal.timeout(this.deps.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    const combined = signal ? AbortSignal.any([signal, timeout]) : timeout;
    const ctx: DownloadContext = {
      http: this.deps.http,
      clock: this.deps.clock,
      retry: NO_RETRY,
      connections: this.deps.connections,
      concurrency: 1,
      logger: this.deps.logger,
      signal: combined,
      headers: requestHeaders({ headers: request.headers ?? {}, referer: request.referer ?? null }),
      workDir: '',
      progress: { bytes() {}, totals() {}, segmentsDone() {}, resumed() {} },
    };
    try {
      const first = await probeUrl(ctx, request.url);
      const kind = detectProbeKind({ url: first.finalUrl, contentType: first.contentType, head: first.head });
      if (!kind) {
        const type = first.contentType?.split(';')[0]?.trim() || 'text';
        throw new AppError('not_media', `the URL returned ${type}, not a playlist or a media file (a web page or an error page?)`, { httpStatus: 422, field: 'url' });
      }
      const [described, evidence] = await Promise.all([PROBERS[kind].describe(ctx, first), titleEvidence(ctx, kind, first)]);
      const suggested = suggestTitle({ url: request.url, pageTitle: request.page_title, ...evidence });
      return { ...described, title: suggested.title, title_from: suggested.from, content_type: first.contentType?.split(';')[0]?.trim().toLowerCase() || null };
    } catch (err) {
      throw this.explain(err, request.url, timeout.aborted);
    }
  }

  private explain(err: unknown, url: string, timedOut: boolean): unknown {
    if (err instanceof AppError) return err.httpStatus >= 500 ? new AppError(err.code, err.message, { httpStatus: 422, cause: err }) : err;
    const host = hostOf(url);
    if (err instanceof HttpStatusError) {
      const hint = STATUS_HINTS[err.status] ?? (err.status >= 500 ? 'the server is having trouble' : 'it refused the request');
      return new AppError('origin_status', `${host} answered HTTP ${err.status}: ${hint}`, { httpStatus: 422, field: 'url', cause: err });
    }
    if (timedOut) return new AppError('origin_timeout', `${host} did not answer in time`, { httpStatus: 422, field: 'url', cause: err });
    this.deps.logger.info({ url: redactUrl(url), err: errorMessage(err) }, 'probe failed');
    return new AppError('origin_unreachable', `cannot reach ${host}: ${errorMessage(err)}`, { httpStatus: 422, field: 'url', cause: err });
  }
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return 'the server';
  }
}
