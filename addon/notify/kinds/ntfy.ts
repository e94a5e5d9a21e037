import { z } from 'zod';
import { ChannelNotifier } from '../channel.js';
import { deliver, originOf } from '../http-delivery.js';
import type { RenderedMessage, Severity } from '../message.js';
import type { NotificationDigest, NotificationEvent } from '../notification-event.js';
import type { NotifierContext, NotifierKind } from '../notifier-kind.js';

const settings = z.strictObject({
  server_url: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).default('https://ntfy.sh').meta({ title: 'Server URL', description: 'https://ntfy.sh or your own server.' }),
  topic: z
    .string()
    .regex(/^[-_A-Za-z0-9]{1,64}$/, { error: 'must be 1-64 letters, digits, - or _' })
    .meta({ title: 'Topic', description: 'On a public server the topic works like a password: pick one nobody guesses.' }),
  token: z.string().min(1).max(256).optional().meta({ title: 'Access token', description: 'tk_… for a protected topic. Write-only.' }),
  priority: z.number().int().min(1).max(5).default(3).meta({ title: 'Priority', description: '1 (min) to 5 (max); failures are sent one higher.' }),
  click_url: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional().meta({ title: 'Click link', description: "Opened when the notification is tapped, e.g. the panel's address." }),
});
export type NtfySettings = z.infer<typeof settings>;

const BUMP: Record<Severity, number> = { info: 0, success: 0, warning: 1, failure: 1 };

/**
 * ntfy's JSON publishing: POST to the server's root with the topic in the body (docs.ntfy.sh
 * "Publish as JSON"); a token goes as `Authorization: Bearer`.
 */
class NtfyNotifier extends ChannelNotifier {
  readonly kind = 'ntfy';

  constructor(
    private readonly s: NtfySettings,
    ctx: NotifierContext,
  ) {
    super(ctx);
  }

  protected override label(): string {
    return `ntfy at ${originOf(this.s.server_url)}`;
  }

  protected async send(input: NotificationEvent | NotificationDigest | null, message: RenderedMessage, signal: AbortSignal): Promise<Record<string, unknown>> {
    const body = {
      topic: this.s.topic,
      title: message.title,
      message: message.body,
      priority: Math.min(5, this.s.priority + BUMP[message.severity]),
      tags: message.tags,
      ...(this.s.click_url ? { click: this.s.click_url } : {}),
    };
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (this.s.token) headers.authorization = `Bearer ${this.s.token}`;
    const root = new URL('/', this.s.server_url).toString();
    const response = await deliver(root, { method: 'POST', headers, body: JSON.stringify(body) }, this.delivery(input, signal, this.label()));
    const id = (JSON.parse(response.text || '{}') as { id?: unknown }).id;
    return typeof id === 'string' ? { message_id: id } : {};
  }
}

export const ntfyKind: NotifierKind<'ntfy', NtfySettings> = {
  kind: 'ntfy',
  label: 'ntfy',
  settings,
  secrets: ['token'],
  defaults: { server_url: 'https://ntfy.sh', priority: 3 },
  create: (s, ctx) => new NtfyNotifier(s, ctx),
};
