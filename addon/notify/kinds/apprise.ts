import { z } from 'zod';
import { ChannelNotifier } from '../channel.js';
import { DeliveryError, deliver, originOf } from '../http-delivery.js';
import type { RenderedMessage } from '../message.js';
import type { NotificationDigest, NotificationEvent } from '../notification-event.js';
import type { NotifierContext, NotifierKind } from '../notifier-kind.js';

const settings = z.strictObject({
  url: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).meta({ title: 'apprise-api URL', description: 'Your apprise-api server, e.g. http://apprise:8000' }),
  config_key: z
    .string()
    .regex(/^[\w-]{1,128}$/, { error: 'must be 1-128 letters, digits, _ or -' })
    .optional()
    .meta({ title: 'Configuration key', description: 'Sends through a configuration saved in apprise-api (/notify/{key}). Leave empty to send to the URLs below.' }),
  urls: z
    .string()
    .max(4096)
    .optional()
    .meta({ title: 'Apprise URLs', description: 'Without a key: where to send, e.g. "tgram://…, mailto://…" (comma-separated). Write-only: they hold passwords.' }),
  tag: z.string().max(256).optional().meta({ title: 'Tag', description: 'With a key: only the URLs carrying this tag.' }),
});
export type AppriseSettings = z.infer<typeof settings>;

/**
 * apprise-api's `/notify` (stateless, URLs in the body) or `/notify/{key}` (a saved
 * configuration), JSON in and out. 204 means apprise-api had nothing to send to, 424 that some
 * services failed: neither is a delivered message.
 */
class AppriseNotifier extends ChannelNotifier {
  readonly kind = 'apprise';

  constructor(
    private readonly s: AppriseSettings,
    ctx: NotifierContext,
  ) {
    super(ctx);
  }

  protected override label(): string {
    return `apprise-api at ${originOf(this.s.url)}`;
  }

  protected async send(input: NotificationEvent | NotificationDigest | null, message: RenderedMessage, signal: AbortSignal): Promise<Record<string, unknown>> {
    const base = this.s.url.endsWith('/') ? this.s.url : `${this.s.url}/`;
    const url = new URL(this.s.config_key ? `notify/${this.s.config_key}` : 'notify', base).toString();
    const body = {
      title: message.title,
      body: message.body,
      type: message.severity,
      format: 'text',
      ...(!this.s.config_key && this.s.urls ? { urls: this.s.urls } : {}),
      ...(this.s.config_key && this.s.tag ? { tag: this.s.tag } : {}),
    };
    const response = await deliver(url, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json' }, body: JSON.stringify(body) }, this.delivery(input, signal, this.label())).catch(
      (err: unknown) => {
        if (err instanceof DeliveryError && err.status === 424) {
          throw new DeliveryError(`${this.label()} answered 424: some of its services did not take the message (apprise-api's log says which)`, 424, err.attempts);
        }
        throw err;
      },
    );
    if (response.status === 204) {
      throw new DeliveryError(
        `${this.label()} had nothing to send to (204): ${this.s.config_key ? `no configuration saved under key "${this.s.config_key}"` : 'set Apprise URLs here or APPRISE_STATELESS_URLS on the server'}`,
        204,
        response.attempts,
      );
    }
    return { status: response.status };
  }
}

export const appriseKind: NotifierKind<'apprise', AppriseSettings> = {
  kind: 'apprise',
  label: 'Apprise (apprise-api)',
  settings,
  secrets: ['urls'],
  defaults: {},
  create: (s, ctx) => new AppriseNotifier(s, ctx),
};
