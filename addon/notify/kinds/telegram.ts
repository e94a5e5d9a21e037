import { z } from 'zod';
import type { NotifierKind } from '../notifier-kind.js';
import { TelegramApi } from '../telegram/api.js';
import { TelegramNotifier } from '../telegram/notifier.js';

const chatId = z.string().trim().regex(/^(-?\d+|@[A-Za-z0-9_]{5,})$/, { error: 'must be a numeric chat id (e.g. -1001234567890) or @channelname' });

const settings = z.strictObject({
  bot_token: z
    .string()
    .regex(/^\d+:[A-Za-z0-9_-]{20,}$/, { error: 'must look like 123456:ABC-DEF… (from @BotFather)' })
    .meta({ title: 'Bot token', description: 'From @BotFather. Write-only.' }),
  chat_ids: z.array(chatId).min(1, { error: 'needs at least one chat' }).max(20).meta({ title: 'Chat ids', description: 'One per line: a numeric id (groups start with -100) or @channelname.' }),
  api_url: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).default('https://api.telegram.org').meta({ title: 'Bot API URL', description: 'Only for a self-hosted Bot API server.' }),
});
export type TelegramSettings = z.infer<typeof settings>;

/**
 * A Telegram bot added in the panel: the same messages as the bot from the add-on options
 * (posters as sendPhoto, one message a second per chat, 429 honoured), without bot commands
 * (those stay with the options' bot: two pollers of one bot would steal each other's updates).
 */
export const telegramKind: NotifierKind<'telegram', TelegramSettings> = {
  kind: 'telegram',
  label: 'Telegram',
  settings,
  secrets: ['bot_token'],
  defaults: { api_url: 'https://api.telegram.org' },
  create: (s, ctx) =>
    new TelegramNotifier({
      id: ctx.id,
      api: new TelegramApi({ baseUrl: s.api_url, token: s.bot_token, fetch: ctx.fetch, clock: ctx.clock, ...(ctx.retryDelaysMs ? { retryDelaysMs: ctx.retryDelaysMs } : {}) }),
      chatIds: s.chat_ids,
      commands: false,
      mediaDir: ctx.mediaDir,
      fileSize: ctx.fileSize,
      freeBytes: async () => null,
      clock: ctx.clock,
      logger: ctx.logger,
      poster: (job) => (job.poster && /^https?:\/\//i.test(job.poster) ? job.poster : null),
    }),
};
