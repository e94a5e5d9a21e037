import { createHmac, randomUUID } from 'node:crypto';
import path from 'node:path';
import { z } from 'zod';
import type { Job } from '../../jobs/model.js';
import { jobView } from '../../jobs/view.js';
import { ChannelNotifier } from '../channel.js';
import { deliver, originOf } from '../http-delivery.js';
import type { RenderedMessage } from '../message.js';
import type { NotificationDigest, NotificationEvent } from '../notification-event.js';
import type { NotifierContext, NotifierKind } from '../notifier-kind.js';

const settings = z.strictObject({
  url: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).meta({ title: 'URL', description: 'Receives a POST with a JSON body for every event. Write-only: many services (Slack, Discord) put the key in the URL.' }),
  headers: z
    .record(z.string().regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/, { error: 'must be an HTTP header name' }), z.string().max(4096))
    .optional()
    .meta({ title: 'Headers', description: 'Sent with every request, e.g. Authorization. Write-only: kept secret.' }),
  secret: z
    .string()
    .min(16, { error: 'must be at least 16 characters' })
    .max(256)
    .optional()
    .meta({ title: 'Signing secret', description: 'Signs each body with HMAC-SHA256 (Standard Webhooks headers and X-Hub-Signature-256). Write-only.' }),
  timeout_s: z.number().int().min(1).max(120).default(10).meta({ title: 'Timeout (s)', description: 'Per attempt.' }),
  retries: z.number().int().min(0).max(10).default(3).meta({ title: 'Retries', description: 'After a network error, a timeout, 429 or 5xx, with growing waits.' }),
});
export type WebhookSettings = z.infer<typeof settings>;

/** The JSON a receiver gets for one event. */
export function webhookEvent(event: NotificationEvent, mediaDir: string): Record<string, unknown> {
  const withJob = (job: Job): Record<string, unknown> => ({
    job: jobView(job),
    // Where the file is as the add-on sees it (a remote destination's location otherwise), and
    // where it is inside the library.
    file_path: job.file_path ? (job.location ?? path.join(mediaDir, job.file_path)) : null,
    library_path: job.file_path ?? null,
  });
  switch (event.type) {
    case 'download.completed':
    case 'download.failed':
    case 'recording.started':
    case 'recording.finished':
      return { event: event.type, ...withJob(event.job) };
    case 'sync.finished': {
      const { record: _record, ...summary } = event.summary;
      return { event: event.type, sync: summary };
    }
    case 'destination.down':
    case 'destination.up':
      return { event: event.type, destination: event.destination };
    case 'disk.full':
      return { event: event.type, reason: event.reason, detail: event.detail, since: event.since };
    case 'alert.raised':
    case 'alert.resolved':
      return { event: event.type, alert: event.alert };
  }
}

/** The HMAC key: a Standard Webhooks `whsec_<base64>` secret is decoded, any other is used as UTF-8. */
export function signingKey(secret: string): Buffer {
  return secret.startsWith('whsec_') ? Buffer.from(secret.slice(6), 'base64') : Buffer.from(secret, 'utf8');
}

/** Standard Webhooks 1.0 signature headers plus GitHub's X-Hub-Signature-256, over the raw body. */
export function signatureHeaders(secret: string, body: string, id: string, timestampS: number): Record<string, string> {
  const key = signingKey(secret);
  const v1 = createHmac('sha256', key).update(`${id}.${timestampS}.${body}`).digest('base64');
  const hub = createHmac('sha256', key).update(body).digest('hex');
  return { 'webhook-id': id, 'webhook-timestamp': String(timestampS), 'webhook-signature': `v1,${v1}`, 'x-hub-signature-256': `sha256=${hub}` };
}

class WebhookNotifier extends ChannelNotifier {
  readonly kind = 'webhook';

  constructor(
    private readonly s: WebhookSettings,
    ctx: NotifierContext,
  ) {
    super(ctx);
  }

  protected override label(): string {
    return `the webhook at ${originOf(this.s.url)}`;
  }

  protected async send(input: NotificationEvent | NotificationDigest | null, message: RenderedMessage, signal: AbortSignal): Promise<Record<string, unknown>> {
    const at = new Date(this.ctx.clock.now()).toISOString();
    const payload =
      input === null
        ? { event: 'test', at, title: message.title, message: message.body }
        : input.type === 'digest'
          ? { event: 'digest', at, type: input.events[0]?.type ?? null, count: input.events.length, title: message.title, message: message.body, events: input.events.map((e) => webhookEvent(e, this.ctx.mediaDir)) }
          : { ...webhookEvent(input, this.ctx.mediaDir), at, title: message.title, message: message.body };
    const body = JSON.stringify(payload);
    // One id for every attempt of this delivery, so a receiver can drop a retried duplicate.
    const id = `msg_${randomUUID().replace(/-/g, '')}`;
    const headers: Record<string, string> = { ...(this.s.headers ?? {}), 'content-type': 'application/json', 'user-agent': 'm3u-downloader' };
    if (this.s.secret) Object.assign(headers, signatureHeaders(this.s.secret, body, id, Math.floor(this.ctx.clock.now() / 1000)));
    else headers['webhook-id'] = id;
    const delivery = this.delivery(input, signal, `the webhook at ${originOf(this.s.url)}`, this.s.timeout_s * 1000);
    const waits = delivery.retryDelaysMs;
    const retryDelaysMs = waits.length === 0 ? [] : Array.from({ length: this.s.retries }, (_, i) => waits[Math.min(i, waits.length - 1)]!);
    const response = await deliver(this.s.url, { method: 'POST', headers, body }, { ...delivery, retryDelaysMs });
    return { status: response.status, attempts: response.attempts };
  }
}

export const webhookKind: NotifierKind<'webhook', WebhookSettings> = {
  kind: 'webhook',
  label: 'Webhook',
  settings,
  secrets: ['url', 'headers', 'secret'],
  defaults: { timeout_s: 10, retries: 3 },
  create: (s, ctx) => new WebhookNotifier(s, ctx),
};
