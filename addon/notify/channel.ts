import { errorMessage } from '../errors.js';
import type { NotificationDigest, NotificationEvent } from './notification-event.js';
import type { Notifier, NotifierStatus, NotifierTestResult } from './notifier.js';
import { DEFAULT_RETRY_DELAYS_MS, type NotifierContext } from './notifier-kind.js';
import type { DeliveryOptions } from './http-delivery.js';
import { renderMessage, testMessage, type RenderedMessage } from './message.js';

/**
 * The part every HTTP channel (webhook, ntfy, Gotify, apprise-api) shares: counting what was
 * sent and what failed, the last error in words, a Test that says exactly what happened, and a
 * stop that aborts deliveries still in flight. A kind only says how one message goes out.
 */
export abstract class ChannelNotifier implements Notifier {
  readonly id: string;
  abstract readonly kind: string;
  private sent = 0;
  private failed = 0;
  private lastError: string | null = null;
  private lastSentAt: number | null = null;
  private stopController = new AbortController();

  constructor(protected readonly ctx: NotifierContext) {
    this.id = ctx.id;
  }

  /**
   * Sends one message; throws a DeliveryError (or any error) when it did not go out. `input` is
   * null for a test, which makes one attempt (a person is waiting for the answer); pass it on to
   * `delivery()`.
   */
  protected abstract send(input: NotificationEvent | NotificationDigest | null, message: RenderedMessage, signal: AbortSignal): Promise<Record<string, unknown> | void>;

  start(): void {
    if (this.stopController.signal.aborted) this.stopController = new AbortController();
  }

  async stop(): Promise<void> {
    this.stopController.abort(new Error('stopping'));
  }

  status(): NotifierStatus {
    return {
      kind: this.kind,
      id: this.id,
      enabled: true,
      state: this.lastError ? 'error' : 'ok',
      reason: null,
      sent: this.sent,
      failed: this.failed,
      last_error: this.lastError,
      last_sent_at: this.lastSentAt === null ? null : new Date(this.lastSentAt).toISOString(),
    };
  }

  async test(signal?: AbortSignal): Promise<NotifierTestResult> {
    try {
      const extra = await this.send(null, testMessage(), this.signal(signal));
      this.succeeded();
      return { ok: true, message: `${this.label()} accepted the test message`, ...(extra ?? {}) };
    } catch (err) {
      this.record(err);
      return { ok: false, error: errorMessage(err) };
    }
  }

  async handle(event: NotificationEvent | NotificationDigest, signal?: AbortSignal): Promise<void> {
    try {
      await this.send(event, renderMessage(event), this.signal(signal));
      this.succeeded();
    } catch (err) {
      if (this.stopController.signal.aborted) throw err;
      this.record(err);
      throw err;
    }
  }

  /** Timeout and retries for one send; a test (`input` null) gets no retries. */
  protected delivery(input: NotificationEvent | NotificationDigest | null, signal: AbortSignal, what: string, timeoutMs = 10_000): DeliveryOptions {
    const retryDelaysMs = input === null ? [] : (this.ctx.retryDelaysMs ?? DEFAULT_RETRY_DELAYS_MS);
    return { fetch: this.ctx.fetch, clock: this.ctx.clock, timeoutMs, retryDelaysMs, what, signal };
  }

  protected label(): string {
    return this.kind;
  }

  private signal(outer?: AbortSignal): AbortSignal {
    return outer ? AbortSignal.any([outer, this.stopController.signal]) : this.stopController.signal;
  }

  private succeeded(): void {
    this.sent++;
    this.lastSentAt = this.ctx.clock.now();
    this.lastError = null;
  }

  private record(err: unknown): void {
    this.failed++;
    this.lastError = errorMessage(err);
    this.ctx.logger.warn({ notifier: this.id, kind: this.kind, error: this.lastError }, 'notification not delivered');
  }
}
