import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { AppError, badRequest, notFound } from '../errors.js';
import type { Clock } from '../platform/clock.js';
import type { Logger } from '../platform/logger.js';
import type { NotifierRepository } from '../store/notifier-repository.js';
import type { NotificationDispatcher } from './dispatcher.js';
import type { NotifierContext, NotifierKind } from './notifier-kind.js';
import type { NotifierRecord } from '../store/notifier-record.js';
import { NOTIFICATION_EVENT_TYPES, type NotificationEventType } from './notification-event.js';
import type { Notifier, NotifierStatus, NotifierTestResult } from './notifier.js';
import { DEFAULT_DIGEST, DEFAULT_EVENTS, digestSchema, eventTypesSchema, type NotifierRouting } from './routing.js';

const name = z.string().trim().min(1, { error: 'must not be empty' }).max(80, { error: 'must be at most 80 characters' });
const settingsInput = z.record(z.string(), z.unknown());

export const newNotifierSchema = z.strictObject({
  kind: z.string().min(1),
  name,
  enabled: z.boolean().default(true),
  events: eventTypesSchema.default([...DEFAULT_EVENTS]),
  digest: digestSchema.default({ ...DEFAULT_DIGEST }),
  settings: settingsInput.default({}),
});
export type NewNotifier = z.infer<typeof newNotifierSchema>;

export const notifierPatchSchema = z.strictObject({
  name: name.optional(),
  enabled: z.boolean().optional(),
  events: eventTypesSchema.optional(),
  digest: digestSchema.partial().optional(),
  /** Only the keys given change; a secret sent empty keeps the stored one, `null` clears a field. */
  settings: settingsInput.optional(),
});
export type NotifierPatch = z.infer<typeof notifierPatchSchema>;

/** A record as the API shows it: secrets replaced by `has_<secret>`. */
export interface NotifierView {
  id: string;
  /** Set up in the add-on options (MQTT, Home Assistant, Telegram): only its events, digest and on/off change here. */
  builtin: boolean;
  kind: string;
  kind_label: string;
  name: string;
  enabled: boolean;
  events: NotificationEventType[];
  digest: NotifierRecord['digest'];
  settings: Record<string, unknown>;
  status: NotifierStatus;
  created_at: string;
  updated_at: string;
}

export interface NotifierKindView {
  kind: string;
  label: string;
  secrets: readonly string[];
  defaults: Record<string, unknown>;
  /** JSON Schema (draft 2020-12) of the kind's settings, secrets marked `writeOnly`: the panel renders its form from it. */
  schema: Record<string, unknown>;
}

export interface NotifierConfigDeps {
  repository: NotifierRepository;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  registry: ReadonlyMap<string, NotifierKind<string, any>>;
  dispatcher: NotificationDispatcher;
  /** The context a kind's `create` gets (fetch, clock, logger, ...), for one record. */
  context: (record: { id: string; name: string }) => NotifierContext;
  clock: Clock;
  logger: Logger;
}

/**
 * Notifiers added in the panel: their records (through the repository), the live instance of each
 * enabled one (registered with the dispatcher), validation against the kind's schema, and the
 * views the API returns. A secret goes in and never comes out.
 */
export class NotifierConfig {
  private readonly live = new Map<string, Notifier>();
  private readonly builtIns = new Map<string, { notifier: Notifier; label: string; defaults: NotifierRouting }>();
  private started = false;

  constructor(private readonly deps: NotifierConfigDeps) {}

  /**
   * An option-configured notifier (MQTT, Home Assistant, Telegram): its settings stay in the
   * add-on options, but its event filter and digest can be changed in the panel like any other's.
   */
  addBuiltIn(notifier: Notifier, label: string, defaults: NotifierRouting): void {
    this.builtIns.set(notifier.id, { notifier, label, defaults });
    this.deps.dispatcher.set(notifier, this.builtInRouting(notifier.id));
  }

  private builtInRouting(id: string): NotifierRouting {
    const entry = this.builtIns.get(id)!;
    const stored = this.deps.repository.get(id);
    if (!stored) return { events: [...entry.defaults.events], digest: { ...entry.defaults.digest } };
    return { events: stored.enabled ? knownEvents(stored.events) : [], digest: stored.digest };
  }

  private builtInRecord(id: string): NotifierRecord {
    const entry = this.builtIns.get(id)!;
    const stored = this.deps.repository.get(id);
    if (stored) return stored;
    const epoch = new Date(0).toISOString();
    return { id, kind: id, name: entry.label, enabled: true, events: [...entry.defaults.events], digest: { ...entry.defaults.digest }, settings: {}, created_at: epoch, updated_at: epoch };
  }

  async start(): Promise<void> {
    this.started = true;
    for (const record of this.deps.repository.list()) {
      if (this.builtIns.has(record.id)) continue;
      try {
        await this.apply(record);
      } catch (err) {
        // A record a newer version wrote, or settings a kind no longer accepts: keep it, say so.
        this.deps.logger.error({ notifier: record.id, kind: record.kind, error: (err as Error).message }, 'a configured notifier could not be started; fix it in Settings -> Notifications');
      }
    }
  }

  async stop(): Promise<void> {
    this.started = false;
    const all = [...this.live.entries()].reverse();
    this.live.clear();
    for (const [id, notifier] of all) {
      await this.deps.dispatcher.remove(id);
      await notifier.stop().catch(() => undefined);
    }
  }

  /** The live notifiers, in the order they were configured. */
  instances(): Notifier[] {
    return [...this.live.values()];
  }

  kinds(): NotifierKindView[] {
    return [...this.deps.registry.values()].map((k) => ({ kind: k.kind, label: k.label, secrets: k.secrets, defaults: { ...k.defaults }, schema: settingsJsonSchema(k) }));
  }

  /** The option-configured notifiers first, then the ones added in the panel. */
  list(): NotifierView[] {
    return [...[...this.builtIns.keys()].map((id) => this.view(this.builtInRecord(id))), ...this.records().map((r) => this.view(r))];
  }

  get(id: string): NotifierView {
    return this.view(this.builtIns.has(id) ? this.builtInRecord(id) : this.record(id));
  }

  async create(input: NewNotifier): Promise<NotifierView> {
    const kind = this.kind(input.kind);
    const settings = validate(kind, withoutBlanks(input.settings));
    const now = new Date(this.deps.clock.now()).toISOString();
    const record: NotifierRecord = { id: randomUUID(), kind: kind.kind, name: input.name, enabled: input.enabled, events: input.events, digest: input.digest, settings, created_at: now, updated_at: now };
    await this.deps.repository.insert(record);
    await this.apply(record);
    this.deps.logger.info({ notifier: record.id, kind: record.kind, name: record.name }, 'notifier added');
    return this.view(record);
  }

  async update(id: string, patch: NotifierPatch): Promise<NotifierView> {
    if (this.builtIns.has(id)) return this.updateBuiltIn(id, patch);
    const current = this.record(id);
    const kind = this.kind(current.kind);
    const merged: Record<string, unknown> = { ...current.settings };
    for (const [key, value] of Object.entries(patch.settings ?? {})) {
      if (kind.secrets.includes(key) && (value === '' || value === undefined)) continue; // write-only: blank keeps it
      if (value === null) delete merged[key];
      else merged[key] = value;
    }
    const record: NotifierRecord = {
      ...current,
      ...(patch.name !== undefined ? { name: patch.name } : {}),
      ...(patch.enabled !== undefined ? { enabled: patch.enabled } : {}),
      ...(patch.events !== undefined ? { events: patch.events } : {}),
      digest: { ...current.digest, ...(patch.digest ?? {}) },
      settings: patch.settings ? validate(kind, merged) : current.settings,
      updated_at: new Date(this.deps.clock.now()).toISOString(),
    };
    await this.deps.repository.save(record);
    await this.apply(record);
    return this.view(record);
  }

  private async updateBuiltIn(id: string, patch: NotifierPatch): Promise<NotifierView> {
    if (patch.name !== undefined) throw badRequest(`name: ${this.builtIns.get(id)!.label} is named by the add-on`, 'name');
    if (patch.settings !== undefined) throw badRequest(`settings: ${this.builtIns.get(id)!.label} is set up in the add-on options`, 'settings');
    const current = this.builtInRecord(id);
    const record: NotifierRecord = {
      ...current,
      ...(patch.enabled !== undefined ? { enabled: patch.enabled } : {}),
      ...(patch.events !== undefined ? { events: patch.events } : {}),
      digest: { ...current.digest, ...(patch.digest ?? {}) },
      updated_at: new Date(this.deps.clock.now()).toISOString(),
    };
    if (this.deps.repository.get(id)) await this.deps.repository.save(record);
    else await this.deps.repository.insert(record);
    this.deps.dispatcher.set(this.builtIns.get(id)!.notifier, this.builtInRouting(id));
    return this.view(record);
  }

  async remove(id: string): Promise<NotifierRecord> {
    if (this.builtIns.has(id)) throw new AppError('conflict', `${this.builtIns.get(id)!.label} is set up in the add-on options; turn it off there`, { httpStatus: 409 });
    const record = this.record(id);
    await this.retire(id);
    await this.deps.repository.remove(id);
    this.deps.logger.info({ notifier: id, kind: record.kind, name: record.name }, 'notifier removed');
    return record;
  }

  /** Sends a test through the notifier (a turned-off one too: people test before turning it on). */
  async test(id: string, signal?: AbortSignal): Promise<NotifierTestResult> {
    const builtIn = this.builtIns.get(id);
    if (builtIn) return builtIn.notifier.test(signal);
    const record = this.record(id);
    const running = this.live.get(id);
    if (running) return running.test(signal);
    const notifier = this.build(record);
    notifier.start();
    try {
      return await notifier.test(signal);
    } finally {
      await notifier.stop();
    }
  }

  /** Statuses for /api/notifications/status. */
  statuses(): NotifierStatus[] {
    return this.records().map((r) => this.statusOf(r));
  }

  async testAll(): Promise<Record<string, NotifierTestResult>> {
    const out: Record<string, NotifierTestResult> = {};
    await Promise.all(this.instances().map(async (n) => (out[n.id] = await n.test().catch((err: unknown) => ({ ok: false, error: (err as Error).message })))));
    return out;
  }

  has(id: string): boolean {
    return this.builtIns.has(id) || this.deps.repository.get(id) !== undefined;
  }

  /** Records of notifiers added in the panel (the stored routing of built-ins is not one). */
  private records(): NotifierRecord[] {
    return this.deps.repository.list().filter((r) => !this.builtIns.has(r.id));
  }

  private statusOf(record: NotifierRecord): NotifierStatus {
    const builtIn = this.builtIns.get(record.id);
    // `pending`: events collected for a digest that has not gone out yet.
    if (builtIn) return { ...builtIn.notifier.status(), name: record.name, pending: this.deps.dispatcher.pendingCount(record.id) };
    const live = this.live.get(record.id);
    if (live) return { ...live.status(), name: record.name, pending: this.deps.dispatcher.pendingCount(record.id) };
    return { kind: record.kind, id: record.id, name: record.name, enabled: false, state: 'disabled', reason: record.enabled ? 'not started' : 'turned off', sent: 0, failed: 0, last_error: null, last_sent_at: null };
  }

  private view(record: NotifierRecord): NotifierView {
    const builtIn = this.builtIns.get(record.id);
    const kind = builtIn ? undefined : this.deps.registry.get(record.kind);
    const settings: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(record.settings)) if (!kind?.secrets.includes(key)) settings[key] = value;
    for (const secret of kind?.secrets ?? []) settings[`has_${secret}`] = record.settings[secret] !== undefined && record.settings[secret] !== '';
    return {
      id: record.id,
      builtin: Boolean(builtIn),
      kind: record.kind,
      kind_label: builtIn?.label ?? kind?.label ?? record.kind,
      name: record.name,
      enabled: record.enabled,
      events: knownEvents(record.events),
      digest: record.digest,
      settings,
      status: this.statusOf(record),
      created_at: record.created_at,
      updated_at: record.updated_at,
    };
  }

  private async apply(record: NotifierRecord): Promise<void> {
    await this.retire(record.id);
    if (!record.enabled || !this.started) return;
    const notifier = this.build(record);
    await notifier.start();
    this.live.set(record.id, notifier);
    this.deps.dispatcher.set(notifier, { events: knownEvents(record.events), digest: record.digest });
  }

  private async retire(id: string): Promise<void> {
    const old = this.live.get(id);
    if (!old) return;
    this.live.delete(id);
    // What it was collecting for a digest goes out before it stops (a changed setting must not lose it).
    await this.deps.dispatcher.remove(id);
    await old.stop().catch(() => undefined);
  }

  private build(record: NotifierRecord): Notifier {
    const kind = this.kind(record.kind);
    return kind.create(kind.settings.parse(record.settings), this.deps.context({ id: record.id, name: record.name }));
  }

  private record(id: string): NotifierRecord {
    const record = this.builtIns.has(id) ? undefined : this.deps.repository.get(id);
    if (!record) throw notFound(`notifier ${id}`);
    return record;
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  private kind(kind: string): NotifierKind<string, any> {
    const found = this.deps.registry.get(kind);
    if (!found) throw badRequest(`kind: must be one of ${[...this.deps.registry.keys()].join(', ')}`, 'kind');
    return found;
  }
}

/** The stored event types this version knows (one a newer version wrote is skipped). */
function knownEvents(stored: readonly string[]): NotificationEventType[] {
  return NOTIFICATION_EVENT_TYPES.filter((t) => stored.includes(t));
}

/** An empty form field is an unset one. */
function withoutBlanks(settings: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(settings).filter(([, value]) => value !== '' && value !== null));
}

/** Parses settings with the kind's schema; the first problem becomes a 400 naming `settings.<field>`. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
function validate(kind: NotifierKind<string, any>, settings: Record<string, unknown>): Record<string, unknown> {
  const parsed = kind.settings.safeParse({ ...kind.defaults, ...withoutBlanks(settings) });
  if (parsed.success) return parsed.data as Record<string, unknown>;
  const issue = parsed.error.issues[0]!;
  const where = issue.path.length > 0 ? issue.path.map(String).join('.') : null;
  const message = issue.code === 'unrecognized_keys' ? `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.join(', ')}` : issue.message;
  const field = where ? `settings.${where}` : issue.code === 'unrecognized_keys' ? `settings.${issue.keys[0]}` : 'settings';
  throw new AppError('invalid_request', `${field}: ${message === 'Invalid input: expected string, received undefined' ? 'is required' : message}`, { httpStatus: 400, field });
}

/** The kind's settings as JSON Schema for the panel's form, secrets marked write-only. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function settingsJsonSchema(kind: NotifierKind<string, any>): Record<string, unknown> {
  const schema = z.toJSONSchema(kind.settings, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown> & { properties?: Record<string, Record<string, unknown>> };
  for (const secret of kind.secrets) {
    const property = schema.properties?.[secret];
    if (property) property.writeOnly = true;
  }
  return schema;
}
