import { z } from 'zod';
import { ChannelNotifier } from '../channel.js';
import { deliver, originOf } from '../http-delivery.js';
import type { RenderedMessage, Severity } from '../message.js';
import type { NotificationDigest, NotificationEvent } from '../notification-event.js';
import type { NotifierContext, NotifierKind } from '../notifier-kind.js';

const settings = z.strictObject({
  url: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).meta({ title: 'Server URL', description: 'Your Gotify server, e.g. https://gotify.example.com' }),
  token: z.string().min(1).max(256).meta({ title: 'App token', description: 'From Gotify -> Apps -> Create Application. Write-only.' }),
  priority: z.number().int().min(0).max(10).default(5).meta({ title: 'Priority', description: '0 to 10; failures are sent at least at 8.' }),
  click_url: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional().meta({ title: 'Click link', description: "Opened when the notification is tapped, e.g. the panel's address." }),
});
export type GotifySettings = z.infer<typeof settings>;

const FLOOR: Record<Severity, number> = { info: 0, success: 0, warning: 0, failure: 8 };

/** Gotify's `POST /message` with the app token in `X-Gotify-Key` (never in the URL, which gets logged). */
class GotifyNotifier extends ChannelNotifier {
  readonly kind = 'gotify';

  constructor(
    private readonly s: GotifySettings,
    ctx: NotifierContext,
  ) {
    super(ctx);
  }

  protected override label(): string {
    return `Gotify at ${originOf(this.s.url)}`;
  }

  protected async send(input: NotificationEvent | NotificationDigest | null, message: RenderedMessage, signal: AbortSignal): Promise<Record<string, unknown>> {
    const body = {
      title: message.title,
      message: message.body,
      priority: Math.max(this.s.priority, FLOOR[message.severity]),
      extras: {
        'client::display': { contentType: 'text/plain' },
        ...(this.s.click_url ? { 'client::notification': { click: { url: this.s.click_url } } } : {}),
      },
    };
    const url = new URL('message', this.s.url.endsWith('/') ? this.s.url : `${this.s.url}/`).toString();
    const response = await deliver(url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-gotify-key': this.s.token }, body: JSON.stringify(body) }, this.delivery(input, signal, this.label()));
    const id = (JSON.parse(response.text || '{}') as { id?: unknown }).id;
    return typeof id === 'number' ? { message_id: id } : {};
  }
}

export const gotifyKind: NotifierKind<'gotify', GotifySettings> = {
  kind: 'gotify',
  label: 'Gotify',
  settings,
  secrets: ['token'],
  defaults: { priority: 5 },
  create: (s, ctx) => new GotifyNotifier(s, ctx),
};
