import { z } from 'zod';
import { NOTIFICATION_EVENT_TYPES, type NotificationEventType } from './notification-event.js';

/**
 * Which events a notifier gets and whether it groups them: the part every notifier has, whatever
 * its kind (panel-configured ones store it on their record; option-configured ones get the
 * defaults below).
 */
export interface NotifierRouting {
  events: NotificationEventType[];
  digest: DigestSettings;
}

export interface DigestSettings {
  /** Group events of one type into one message instead of one message each. */
  enabled: boolean;
  /**
   * Quiet time that closes a group: events of one type arriving less than this apart are sent
   * together. Downloads queued by a playlist sync are also held until that source has nothing
   * left to download, so a sync queueing 40 episodes sends one message.
   */
  window_s: number;
}

export const DEFAULT_DIGEST: DigestSettings = { enabled: true, window_s: 60 };
export const DEFAULT_EVENTS: readonly NotificationEventType[] = NOTIFICATION_EVENT_TYPES;

export const eventTypesSchema = z
  .array(z.enum(NOTIFICATION_EVENT_TYPES, { error: `must be one of ${NOTIFICATION_EVENT_TYPES.join(', ')}` }))
  .max(NOTIFICATION_EVENT_TYPES.length)
  .transform((list) => NOTIFICATION_EVENT_TYPES.filter((t) => list.includes(t)));

export const digestSchema = z.strictObject({
  enabled: z.boolean(),
  window_s: z.number().int().min(5, { error: 'must be at least 5 seconds' }).max(3600, { error: 'must be at most 3600 seconds (an hour)' }),
});

export const defaultRouting = (): NotifierRouting => ({ events: [...DEFAULT_EVENTS], digest: { ...DEFAULT_DIGEST } });
