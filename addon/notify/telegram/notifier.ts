import { errorMessage } from '../../errors.js';
import { newDownloadSchema } from '../../jobs/new-download-schema.js';
import type { JobService } from '../../jobs/job-service.js';
import type { Job } from '../../jobs/model.js';
import type { Clock } from '../../platform/clock.js';
import type { Logger } from '../../platform/logger.js';
import { describeError } from '../errors.js';
import { downloadEventData } from '../job-summary.js';
import { renderMessage } from '../message.js';
import type { NotificationDigest, NotificationEvent } from '../notification-event.js';
import type { Notifier, NotifierStatus, NotifierTestResult } from '../notifier.js';
import { TelegramError, type TelegramApi } from './api.js';
import {
  CAPTION_LIMIT,
  completedMessage,
  escapeHtml,
  failedMessage,
  HELP_MESSAGE,
  MESSAGE_LIMIT,
  queuedMessage,
  queueMessage,
  statusMessage,
  syncMessage,
  truncateHtml,
} from './format.js';

/** Telegram asks for about one message a second per chat. */
export const CHAT_INTERVAL_MS = 1000;
const MAX_QUEUED_PER_CHAT = 50;
const PRIORITY_RANK: Record<Job['priority'], number> = { high: 0, medium: 1, low: 2 };

export interface TelegramStatus extends NotifierStatus {
  enabled: boolean;
  reason: string | null;
  chats: number;
  commands: boolean;
  /** Long polling for bot commands: off, running, or failing (see poll_error). */
  polling: 'off' | 'running' | 'error' | 'stopped';
  poll_error: string | null;
  sent: number;
  failed: number;
  last_error: string | null;
  last_sent_at: string | null;
}

export interface TelegramDeps {
  /** `telegram` for the bot from the add-on options; a record id for one added in the panel. */
  id?: string;
  /** Null when no bot token is set. */
  api: TelegramApi | null;
  chatIds: readonly string[];
  commands: boolean;
  /** Needed for bot commands only. */
  jobs?: JobService | undefined;
  mediaDir: string;
  fileSize: (absolutePath: string) => Promise<number | null>;
  freeBytes: () => Promise<number | null>;
  clock: Clock;
  logger: Logger;
  /** A poster URL for a job, when one is known (playlist sources provide them). */
  poster?: ((job: Job) => string | null) | undefined;
  chatIntervalMs?: number;
  /** getUpdates long-poll timeout, seconds. */
  pollTimeoutS?: number;
  /** Wait after a failed poll, doubled up to a minute. */
  pollRetryMs?: number;
}

interface Outgoing {
  text: string;
  photo?: string | null | undefined;
}

interface Update {
  update_id: number;
  message?: { message_id: number; chat: { id: number }; from?: { id: number }; text?: string };
}

/**
 * Telegram alerts (completed, failed, sync) and, optionally, bot commands from the allowed
 * chats. Messages to one chat are paced a second apart; a failing Telegram is logged and
 * counted, and never reaches a download.
 */
export class TelegramNotifier implements Notifier {
  readonly kind = 'telegram';
  readonly id: string;
  private stopController = new AbortController();
  private readonly chains = new Map<string, { tail: Promise<void>; queued: number; nextAt: number }>();
  private polling: TelegramStatus['polling'] = 'off';
  private pollError: string | null = null;
  private loop: Promise<void> = Promise.resolve();
  private sent = 0;
  private failed = 0;
  private lastError: string | null = null;
  private lastSentAt: number | null = null;
  private failedSinceSent = false;

  constructor(private readonly deps: TelegramDeps) {
    this.id = deps.id ?? 'telegram';
  }

  get enabled(): boolean {
    return this.deps.api !== null && this.deps.chatIds.length > 0;
  }

  start(): void {
    if (!this.enabled) return;
    if (this.stopController.signal.aborted) this.stopController = new AbortController();
    if (this.deps.commands && this.deps.jobs) {
      this.polling = 'running';
      this.loop = this.poll().catch((err: unknown) => {
        if (!this.stopController.signal.aborted) this.deps.logger.error({ err }, 'telegram polling stopped');
      });
    }
  }

  async stop(): Promise<void> {
    this.stopController.abort();
    if (this.polling !== 'off') this.polling = 'stopped';
    await this.loop;
    await Promise.allSettled([...this.chains.values()].map((c) => c.tail));
  }

  status(): TelegramStatus {
    const reason = !this.deps.api ? 'telegram_bot_token is not set' : this.deps.chatIds.length === 0 ? 'telegram_chat_ids is empty' : null;
    return {
      kind: this.kind,
      id: this.id,
      enabled: this.enabled,
      state: !this.enabled ? 'disabled' : this.failedSinceSent ? 'error' : 'ok',
      reason,
      chats: this.deps.chatIds.length,
      commands: this.deps.commands && this.enabled,
      polling: this.polling,
      poll_error: this.pollError,
      sent: this.sent,
      failed: this.failed,
      last_error: this.lastError,
      last_sent_at: this.lastSentAt === null ? null : new Date(this.lastSentAt).toISOString(),
    };
  }

  /** Sends a test message to every chat; resolves with each chat's outcome. */
  async test(): Promise<NotifierTestResult & { chats: { chat_id: string; ok: boolean; error?: string }[] }> {
    if (!this.enabled) return { ok: false, skipped: true, error: this.status().reason ?? 'Telegram is off', chats: [] };
    const results = await Promise.all(
      this.deps.chatIds.map(async (chat) => {
        try {
          await this.send(chat, { text: '🔔 Test message from <b>m3u-downloader</b>' });
          return { chat_id: chat, ok: true };
        } catch (err) {
          return { chat_id: chat, ok: false, error: errorMessage(err) };
        }
      }),
    );
    const failed = results.find((r) => !r.ok);
    return { ok: results.every((r) => r.ok), chats: results, ...(failed?.error ? { error: failed.error } : {}) };
  }

  /** Sends one event (or a digest) to every chat; rejects when a chat did not get it. */
  async handle(input: NotificationEvent | NotificationDigest): Promise<void> {
    if (!this.enabled) return;
    const message = await this.outgoing(input.type === 'digest' && input.events.length === 1 ? input.events[0]! : input);
    const results = await Promise.allSettled(this.deps.chatIds.map((chat) => this.send(chat, message)));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }

  private async outgoing(input: NotificationEvent | NotificationDigest): Promise<Outgoing> {
    if (input.type === 'download.completed' || input.type === 'download.failed') {
      const job = input.job;
      const size = job.file_path ? await this.deps.fileSize(`${this.deps.mediaDir}/${job.file_path}`) : null;
      const data = downloadEventData(job, { mediaDir: this.deps.mediaDir, size });
      if (input.type === 'download.failed') return { text: failedMessage(data) };
      return { text: completedMessage(data), photo: this.deps.poster?.(job) ?? null };
    }
    if (input.type === 'sync.finished') return { text: syncMessage(input.summary) };
    // Everything else (recordings, destinations, disk, alerts, digests): the common wording.
    const m = renderMessage(input);
    return { text: truncateHtml(`<b>${escapeHtml(m.title)}</b>\n${escapeHtml(m.body)}`, MESSAGE_LIMIT) };
  }

  /** Queues a message for one chat, paced; rejects when it could not be delivered. */
  private send(chat: string, message: Outgoing): Promise<void> {
    let chain = this.chains.get(chat);
    if (!chain) {
      chain = { tail: Promise.resolve(), queued: 0, nextAt: 0 };
      this.chains.set(chat, chain);
    }
    if (chain.queued >= MAX_QUEUED_PER_CHAT) {
      this.failed++;
      this.lastError = `too many messages waiting for chat ${chat}; dropped one`;
      this.deps.logger.warn({ chat }, 'telegram queue full; message dropped');
      return Promise.reject(new Error(this.lastError));
    }
    chain.queued++;
    const c = chain;
    const run = async (): Promise<void> => {
      try {
        const wait = c.nextAt - this.deps.clock.now();
        if (wait > 0) await this.deps.clock.sleep(wait, this.stopController.signal);
        await this.deliver(chat, message);
        this.sent++;
        this.lastSentAt = this.deps.clock.now();
        this.failedSinceSent = false;
      } catch (err) {
        if (!this.stopController.signal.aborted) {
          this.failed++;
          this.failedSinceSent = true;
          this.lastError = errorMessage(err);
          this.deps.logger.warn({ chat, error: this.lastError }, 'telegram message not delivered');
        }
        throw err;
      } finally {
        c.queued--;
        c.nextAt = this.deps.clock.now() + (this.deps.chatIntervalMs ?? CHAT_INTERVAL_MS);
      }
    };
    const result = c.tail.then(run);
    c.tail = result.catch(() => undefined);
    return result;
  }

  private async deliver(chat: string, message: Outgoing): Promise<void> {
    const api = this.deps.api!;
    const signal = this.stopController.signal;
    if (message.photo) {
      try {
        await api.call('sendPhoto', { chat_id: chat, photo: message.photo, caption: truncateHtml(message.text, CAPTION_LIMIT), parse_mode: 'HTML' }, { signal });
        return;
      } catch (err) {
        // A poster Telegram cannot fetch must not cost the message itself.
        if (!(err instanceof TelegramError) || err.status !== 400) throw err;
        this.deps.logger.debug({ chat, error: err.message }, 'telegram could not send the poster; sending text');
      }
    }
    await api.call('sendMessage', { chat_id: chat, text: truncateHtml(message.text, MESSAGE_LIMIT), parse_mode: 'HTML', link_preview_options: { is_disabled: true } }, { signal });
  }

  // Bot commands ---------------------------------------------------------------------------

  private async poll(): Promise<void> {
    const api = this.deps.api!;
    const signal = this.stopController.signal;
    const pollTimeoutS = this.deps.pollTimeoutS ?? 25;
    const retryMs = this.deps.pollRetryMs ?? 5000;
    await api
      .call('setMyCommands', {
        commands: [
          { command: 'status', description: 'Queue and speed' },
          { command: 'queue', description: 'Running and waiting downloads' },
          { command: 'add', description: 'Download a URL: /add <url> [title]' },
        ],
      }, { signal })
      .catch((err: unknown) => this.deps.logger.debug({ error: errorMessage(err) }, 'telegram setMyCommands failed'));
    let offset: number | undefined;
    let failures = 0;
    while (!signal.aborted) {
      try {
        const updates = await api.call<Update[]>(
          'getUpdates',
          { ...(offset !== undefined ? { offset } : {}), timeout: pollTimeoutS, allowed_updates: ['message'] },
          { signal, timeoutMs: (pollTimeoutS + 15) * 1000 },
        );
        failures = 0;
        this.polling = 'running';
        this.pollError = null;
        for (const update of updates) {
          offset = update.update_id + 1;
          await this.onUpdate(update).catch((err: unknown) => this.deps.logger.error({ err }, 'telegram command failed'));
        }
      } catch (err) {
        if (signal.aborted) return;
        failures++;
        this.polling = 'error';
        this.pollError = errorMessage(err);
        if (err instanceof TelegramError && (err.status === 401 || err.status === 404)) {
          this.deps.logger.error({ error: this.pollError }, 'telegram refused the bot token; bot commands are off');
          return;
        }
        const conflict = err instanceof TelegramError && err.status === 409;
        const delay = Math.min(60_000, (conflict ? 6 : 1) * retryMs * 2 ** Math.min(failures - 1, 6));
        if (failures === 1 || failures % 10 === 0) this.deps.logger.warn({ error: this.pollError, retryInMs: delay }, 'telegram polling failed');
        await this.deps.clock.sleep(delay, signal).catch(() => undefined);
      }
    }
  }

  private async onUpdate(update: Update): Promise<void> {
    const message = update.message;
    const text = message?.text?.trim();
    if (!message || !text || !text.startsWith('/')) return;
    const chat = String(message.chat.id);
    if (!this.deps.chatIds.includes(chat)) {
      this.deps.logger.info({ chat }, 'telegram command from a chat that is not allowed; ignored');
      return;
    }
    const match = /^\/([a-zA-Z0-9_]+)(?:@\S+)?(?:\s+([\s\S]*))?$/.exec(text);
    const command = match?.[1]?.toLowerCase() ?? '';
    const args = match?.[2]?.trim() ?? '';
    const jobs = this.deps.jobs;
    if (!jobs) return; // polling only runs with a job service
    const reply = (html: string): Promise<void> => this.send(chat, { text: html }).catch(() => undefined);
    switch (command) {
      case 'status':
        return reply(statusMessage(jobs.stats(), await this.deps.freeBytes()));
      case 'queue': {
        const active = ['downloading', 'merging', 'transferring'].flatMap((status) => jobs.list({ status: status as Job['status'], limit: 20, offset: 0 }).items);
        const waiting = jobs.list({ status: 'pending', limit: 1000, offset: 0 });
        // The order the queue runs them in: priority, then age.
        const next = waiting.items.slice().sort((a, b) => PRIORITY_RANK[a.priority] - PRIORITY_RANK[b.priority] || a.created_at.localeCompare(b.created_at));
        return reply(queueMessage(active, next.slice(0, 15), waiting.total));
      }
      case 'add': {
        const [url, ...title] = args.split(/\s+/);
        try {
          const input = newDownloadSchema.parse({ url: url ?? '', ...(title.length > 0 ? { title: title.join(' ') } : {}) });
          const job = jobs.create(input);
          this.deps.logger.info({ jobId: job.id, chat }, 'download queued from telegram');
          return reply(queuedMessage(job));
        } catch (err) {
          return reply(`⚠️ ${escapeHtml(describeError(err).message)}\nUsage: /add &lt;url&gt; [title]`);
        }
      }
      case 'start':
      case 'help':
        return reply(HELP_MESSAGE);
      default:
        return reply(`Unknown command.\n${HELP_MESSAGE}`);
    }
  }
}
