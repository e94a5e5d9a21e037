import type { Clock } from '../../platform/clock.js';
import { scrub } from '../errors.js';
import type { Fetch } from '../supervisor.js';

/** A Bot API answer with `ok: false`, or a transport failure. Never carries the token. */
export class TelegramError extends Error {
  constructor(
    message: string,
    /** HTTP status; 0 for network errors and timeouts. */
    readonly status: number,
    readonly retryAfterS: number | null = null,
  ) {
    super(message);
    this.name = 'TelegramError';
  }
}

export interface TelegramApiOptions {
  /** https://api.telegram.org, or a fake on 127.0.0.1. */
  baseUrl: string;
  token: string;
  fetch: Fetch;
  clock: Clock;
  /** Attempts per call, retries included. */
  maxAttempts?: number;
  /** Waits before retrying a network error or a 5xx (429 waits what Telegram says). */
  retryDelaysMs?: readonly number[];
  /** A retry_after longer than this is not waited for: the call fails. */
  maxRetryAfterS?: number;
  timeoutMs?: number;
}

interface BotResponse<T> {
  ok: boolean;
  result?: T;
  error_code?: number;
  description?: string;
  parameters?: { retry_after?: number; migrate_to_chat_id?: number };
}

/**
 * The Bot API over fetch: POST https://api.telegram.org/bot<token>/<method> with a JSON body.
 * Honours 429 `parameters.retry_after`, retries network errors and 5xx a few times, and keeps
 * the token out of every error (it is part of the URL).
 */
export class TelegramApi {
  constructor(private readonly options: TelegramApiOptions) {}

  async call<T>(method: string, params: Record<string, unknown>, options: { signal?: AbortSignal; timeoutMs?: number } = {}): Promise<T> {
    const maxAttempts = this.options.maxAttempts ?? 4;
    const delays = this.options.retryDelaysMs ?? [1000, 3000, 10_000];
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.once<T>(method, params, options);
      } catch (err) {
        if (!(err instanceof TelegramError) || options.signal?.aborted || attempt >= maxAttempts) throw err;
        let wait: number | undefined;
        if (err.status === 429) {
          const after = err.retryAfterS ?? 1;
          if (after > (this.options.maxRetryAfterS ?? 300)) throw err;
          wait = after * 1000;
        } else if (err.status === 0 || err.status >= 500) {
          wait = delays[Math.min(attempt - 1, delays.length - 1)];
        }
        if (wait === undefined) throw err;
        await this.options.clock.sleep(wait, options.signal);
      }
    }
  }

  private async once<T>(method: string, params: Record<string, unknown>, options: { signal?: AbortSignal; timeoutMs?: number }): Promise<T> {
    const timeoutMs = options.timeoutMs ?? this.options.timeoutMs ?? 15_000;
    const timeout = AbortSignal.timeout(timeoutMs);
    let res: Response;
    let text: string;
    try {
      res = await this.options.fetch(`${this.options.baseUrl}/bot${this.options.token}/${method}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(params),
        signal: options.signal ? AbortSignal.any([options.signal, timeout]) : timeout,
      });
      text = await res.text();
    } catch (err) {
      if (options.signal?.aborted) throw err;
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      const reason = timeout.aborted ? `timed out after ${timeoutMs} ms` : (cause?.code ?? cause?.message ?? (err as Error).message);
      throw new TelegramError(this.clean(`Telegram ${method}: ${reason}`), 0);
    }
    let body: BotResponse<T> | null = null;
    try {
      body = JSON.parse(text) as BotResponse<T>;
    } catch {
      body = null;
    }
    if (res.ok && body?.ok) return body.result as T;
    const description = body?.description ?? `HTTP ${res.status}`;
    throw new TelegramError(this.clean(`Telegram ${method}: ${description}`), body?.error_code ?? res.status, body?.parameters?.retry_after ?? null);
  }

  private clean(text: string): string {
    return scrub(text, [this.options.token]);
  }
}
