import type { ProviderKind } from '../domain/provider.js';
import type { Clock } from '../platform/clock.js';
import type { Logger } from '../platform/logger.js';
import type { Fetch } from './http-delivery.js';
import type { Notifier } from './notifier.js';

/** What a notifier kind's `create` receives besides its settings. Built in app.ts. */
export interface NotifierContext {
  /** The record's id (panel-configured) or the kind (option-configured). */
  id: string;
  name: string;
  fetch: Fetch;
  /** Where the default destination files downloads (absolute paths in webhook payloads). */
  mediaDir: string;
  /** Size of a finished file (messages say how big it is); null when unknown. */
  fileSize: (absolutePath: string) => Promise<number | null>;
  clock: Clock;
  logger: Logger;
  /** Waits between retries of one delivery; production: 2 s, 10 s, 30 s. */
  retryDelaysMs?: readonly number[] | undefined;
}

/** One kind of notification channel, described by its own file under notify/kinds/. */
export type NotifierKind<K extends string = string, S = Record<string, unknown>> = ProviderKind<K, S, Notifier, NotifierContext>;

export const DEFAULT_RETRY_DELAYS_MS: readonly number[] = [2000, 10_000, 30_000];
