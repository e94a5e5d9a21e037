import { buildRegistry } from '../domain/provider.js';
import { appriseKind } from './kinds/apprise.js';
import { gotifyKind } from './kinds/gotify.js';
import { ntfyKind } from './kinds/ntfy.js';
import { telegramKind } from './kinds/telegram.js';
import type { NotifierKind } from './notifier-kind.js';
import { webhookKind } from './kinds/webhook.js';

/**
 * The notifier kinds a person can add in the panel (Settings -> Notifications). Adding one:
 * write notify/kinds/<kind>.ts, add it to this list, write its tests (CONTRIBUTING.md).
 * MQTT, Home Assistant and the Telegram bot of the add-on options are set up there (index.ts).
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const NOTIFIER_KINDS: readonly NotifierKind<string, any>[] = [webhookKind, ntfyKind, gotifyKind, appriseKind, telegramKind];

export const notifierRegistry = buildRegistry(NOTIFIER_KINDS);
