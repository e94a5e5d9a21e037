import type { Clock } from '../platform/clock.js';
import { redactUrlsInText } from '../redact.js';

/** The fetch the notifiers use (globalThis.fetch in production; tests hand in the same). */
export type Fetch = typeof globalThis.fetch;

export interface DeliveryOptions {
  fetch: Fetch;
  clock: Clock;
  /** Per attempt. */
  timeoutMs: number;
  /** Waits before each retry; its length is the number of retries. */
  retryDelaysMs: readonly number[];
  /** Who answered, for messages: "ntfy at https://ntfy.example", never a token or a topic. */
  what: string;
  signal?: AbortSignal | undefined;
}

export interface DeliveryResponse {
  status: number;
  text: string;
  attempts: number;
}

/** A channel refused or never answered; the message says which and why, without secrets. */
export class DeliveryError extends Error {
  constructor(
    message: string,
    readonly status: number | null,
    readonly attempts: number,
  ) {
    super(message);
    this.name = 'DeliveryError';
  }
}

/** Worth another try: the other side is busy or restarting, not saying "no". */
const transient = (status: number): boolean => status === 408 || status === 425 || status === 429 || status >= 500;

/**
 * Sends one HTTP request with a timeout per attempt and retries with backoff on network errors,
 * timeouts, 429 and 5xx. Resolves with the 2xx answer; rejects with a DeliveryError saying what
 * the server answered (its own error text, shortened) after the last attempt.
 */
export async function deliver(url: string, init: RequestInit, options: DeliveryOptions): Promise<DeliveryResponse> {
  let lastError: DeliveryError | null = null;
  for (let attempt = 0; attempt <= options.retryDelaysMs.length; attempt++) {
    if (attempt > 0) await options.clock.sleep(options.retryDelaysMs[attempt - 1]!, options.signal);
    options.signal?.throwIfAborted();
    const timeout = AbortSignal.timeout(options.timeoutMs);
    const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
    let response: Response;
    try {
      response = await options.fetch(url, { ...init, signal, redirect: 'error' });
    } catch (err) {
      if (options.signal?.aborted) throw err;
      const reason = timeout.aborted ? `did not answer within ${Math.round(options.timeoutMs / 1000)} s` : `is unreachable (${causeOf(err)})`;
      lastError = new DeliveryError(`${options.what} ${reason}`, null, attempt + 1);
      continue;
    }
    const text = await response.text().catch(() => '');
    if (response.ok) return { status: response.status, text, attempts: attempt + 1 };
    lastError = new DeliveryError(`${options.what} answered ${response.status}${summary(text)}`, response.status, attempt + 1);
    if (!transient(response.status)) break;
  }
  throw lastError!;
}

/** The server's own words, shortened: `{"error":"unauthorized"}` -> ": unauthorized". */
function summary(text: string): string {
  const trimmed = text.trim();
  if (!trimmed) return '';
  try {
    const json = JSON.parse(trimmed) as Record<string, unknown>;
    // Not `details`: apprise-api lists its services' URLs (with their passwords) there.
    const said = json.error ?? json.message ?? json.errorDescription;
    if (typeof said === 'string' && said) return `: ${redactUrlsInText(said).slice(0, 200)}`;
    if (said === null || said === undefined) return '';
  } catch {
    // not JSON: use the text itself
  }
  // Plain text (an HTML error page, a proxy's message): the first words, URLs' credentials masked.
  return `: ${redactUrlsInText(trimmed.replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' ').trim()).slice(0, 200)}`;
}

function causeOf(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (err instanceof Error ? err.message : String(err));
}

/** Scheme, host and port only: a URL's path may carry a topic or a key, its query a token. */
export function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return 'the configured URL';
  }
}
