import path from 'node:path';
import { Semaphore } from '../download/semaphore.js';
import { AppError, badRequest, conflict, notFound } from '../errors.js';
import type { AppEvents } from '../events/app-events.js';
import type { EventBus } from '../events/bus.js';
import type { CheckResult } from '../domain/health.js';
import type { Clock } from '../platform/clock.js';
import type { Logger } from '../platform/logger.js';
import { assertDestination, KIND_FIELDS, type DestinationPatchInput, type NewDestinationInput } from './destination-schema.js';
import { statusForError } from './destinations/errors.js';
import { DESTINATION_KIND_LIST, DESTINATION_KIND_REGISTRY, describeKinds, destinationKind, type DestinationKindDescription, fieldKinds, kindFields, secretFields } from './destinations/registry.js';
import type { ContentType, Destination, DestinationConfig, DestinationStatus, ProbeResult } from './destinations/types.js';
import {
  DEFAULT_DESTINATION_ID,
  DESTINATION_CHECK_INTERVAL_MS,
  type DestinationHealth,
  type DestinationRecord,
  type DestinationTestResult,
  type DestinationView,
} from './model.js';
import type { DestinationRepository } from './destination-repository.js';
import { DEFAULT_TEMPLATES } from './naming.js';

export interface DestinationServiceDeps {
  /** The stored destinations: this service's only way to the store. */
  repository: DestinationRepository;
  bus: EventBus<AppEvents>;
  clock: Clock;
  logger: Logger;
  /** MEDIA_DIR: the default destination's folder (not editable through the API). */
  mediaDir: string;
  /** Builds the adapter for a destination's settings (app.ts: createDestination with its deps). */
  connect: (config: DestinationConfig) => Destination;
  /** The periodic health check; 5 minutes in production. */
  checkIntervalMs?: number;
  /**
   * Transfers to a destination now, running and waiting for it (the job repository's count,
   * wired in app.ts: the library does not know jobs). None when absent.
   */
  transferCounts?: (destinationId: string) => { active: number; waiting: number };
}

/** Fields of the default destination that may change; the rest is MEDIA_DIR, fixed by the config. */
const DEFAULT_EDITABLE = new Set(['name', 'naming', 'max_concurrent_transfers', 'bandwidth_limit_kbps', 'metadata']);
/** Settable fields every kind has, in the order records are written (the kind's own fields go between). */
const LEADING_FIELDS = ['name', 'kind', 'enabled'] as const;
const TRAILING_FIELDS = ['content_types', 'quality_min', 'quality_max', 'naming', 'cleanup_local', 'max_concurrent_transfers', 'bandwidth_limit_kbps', 'timeout_ms', 'metadata'] as const;
/** Write-only fields of any kind: kept on a PUT that leaves them out, shown as `has_<field>`. */
const SECRETS = secretFields();

/** Every kind's fields, in the order of the kinds' lists: what views show (null where a kind has none). */
const VIEW_FIELDS = [...fieldKinds(DESTINATION_KIND_LIST).keys()];

/** Every settable field of a destination of this kind, in record order. */
function fieldsOf(kind: string): string[] {
  return [...LEADING_FIELDS, ...kindFields(destinationKind(kind)), ...TRAILING_FIELDS];
}

const UNKNOWN_HEALTH: DestinationHealth = {
  status: 'unknown',
  message: null,
  code: null,
  last_check_at: null,
  free_bytes: null,
  total_bytes: null,
  latency_ms: null,
  seen_host_key_fingerprint: null,
};

/** The same stored settings (records are copies: compared by content, not by reference). */
function sameRecord(a: DestinationRecord | undefined, b: DestinationRecord | undefined): boolean {
  return a !== undefined && b !== undefined && JSON.stringify(a) === JSON.stringify(b);
}

/** A wake-up for jobs waiting on a destination: not an error. */
const WOKEN = Symbol('destination back online');

/** `Living-room NAS` → `living-room-nas`. */
export function slugify(name: string): string {
  const slug = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40)
    .replace(/-+$/, '');
  return slug || 'destination';
}

/**
 * Library destinations: the records in db.json (secrets included, never shown), one adapter per
 * destination (reused, rebuilt when its settings change), their health (memory only: the
 * periodic check runs at start), a transfer semaphore each (max_concurrent_transfers) and the
 * wake-ups of jobs waiting for a destination to come back.
 *
 * The default destination (`default`, a local destination at MEDIA_DIR) always exists; its name,
 * templates, transfer limit and bandwidth limit can be changed, nothing else, and it cannot be
 * deleted.
 */
export class DestinationService {
  private readonly adapters = new Map<string, { record: DestinationRecord; dest: Destination }>();
  private readonly health = new Map<string, DestinationHealth>();
  private readonly semaphores = new Map<string, Semaphore>();
  private readonly waiters = new Map<string, Set<() => void>>();
  private readonly stopController = new AbortController();
  private timer: NodeJS.Timeout | null = null;
  private checking: Promise<void> | null = null;
  private readonly probes = new Set<Promise<unknown>>();

  constructor(private readonly deps: DestinationServiceDeps) {
    this.repository = deps.repository;
    this.ensureDefault();
  }

  /** The stored destinations (copies); this service never touches store.data.destinations itself. */
  private readonly repository: DestinationRepository;

  private nowIso(): string {
    return new Date(this.deps.clock.now()).toISOString();
  }

  /** The default destination follows MEDIA_DIR; it is created (or repaired) at start. */
  private ensureDefault(): void {
    const mediaDir = path.resolve(this.deps.mediaDir);
    const record = this.repository.find(DEFAULT_DESTINATION_ID);
    if (!record) {
      const now = this.nowIso();
      void this.repository.insert(
        { id: DEFAULT_DESTINATION_ID, name: 'Media folder', kind: 'local', base_path: mediaDir, enabled: true, content_types: [], naming: {}, cleanup_local: true, max_concurrent_transfers: 2, created_at: now, updated_at: now },
        { first: true, persist: 'soon' },
      );
    } else if (record.base_path !== mediaDir || record.kind !== 'local' || record.enabled === false) {
      void this.repository.replace({ ...record, kind: 'local', base_path: mediaDir, enabled: true }, { persist: 'soon' });
    }
  }

  // -------------------------------------------------------------------------------------------
  // Records

  /** Every destination, the default first. */
  list(): DestinationRecord[] {
    return this.repository.list().sort((a, b) => Number(b.id === DEFAULT_DESTINATION_ID) - Number(a.id === DEFAULT_DESTINATION_ID));
  }

  find(id: string): DestinationRecord | undefined {
    return this.repository.find(id);
  }

  get(id: string): DestinationRecord {
    const record = this.find(id);
    if (!record) throw notFound(`destination ${id}`);
    return record;
  }

  defaultRecord(): DestinationRecord {
    return this.get(DEFAULT_DESTINATION_ID);
  }

  healthOf(id: string): DestinationHealth {
    return this.health.get(id) ?? UNKNOWN_HEALTH;
  }

  /** GET /api/destinations/kinds: every registered kind with the JSON Schema of its settings. */
  kinds(): DestinationKindDescription[] {
    return describeKinds();
  }

  /** The API's view: no secret, only whether one is set. */
  view(record: DestinationRecord): DestinationView {
    const naming: Partial<Record<ContentType, string>> = {};
    for (const [type, template] of Object.entries(record.naming ?? {})) if (typeof template === 'string' && template.trim() !== '') naming[type as ContentType] = template;
    const { active, waiting } = this.deps.transferCounts?.(record.id) ?? { active: 0, waiting: 0 };
    const def = destinationKind(record.kind);
    const stored = record as unknown as Record<string, unknown>;
    // Every kind's fields appear on every view (null where this kind has none), so the API's
    // shape does not depend on the kind; secrets only as has_<field>.
    const settings: Record<string, unknown> = {};
    for (const field of VIEW_FIELDS) {
      if (SECRETS.includes(field)) continue;
      const own = kindFields(def).includes(field);
      settings[field] = own ? (stored[field] ?? (def.defaults as Record<string, unknown>)[field] ?? null) : null;
    }
    const secrets: Record<string, boolean> = {};
    for (const field of SECRETS) secrets[`has_${field}`] = Boolean(stored[field]);
    return {
      id: record.id,
      name: record.name,
      kind: record.kind,
      is_default: record.id === DEFAULT_DESTINATION_ID,
      enabled: record.enabled !== false,
      ...settings,
      base_path: record.base_path ?? '',
      content_types: record.content_types ?? [],
      quality_min: record.quality_min ?? null,
      quality_max: record.quality_max ?? null,
      naming,
      templates: { ...DEFAULT_TEMPLATES, ...naming },
      cleanup_local: record.cleanup_local !== false,
      max_concurrent_transfers: record.max_concurrent_transfers ?? 1,
      bandwidth_limit_kbps: record.bandwidth_limit_kbps ?? null,
      timeout_ms: record.timeout_ms ?? null,
      metadata: record.metadata ?? 'none',
      ...secrets,
      transfers_active: active,
      transfers_waiting: waiting,
      ...this.healthOf(record.id),
      created_at: record.created_at,
      updated_at: record.updated_at,
    } as DestinationView;
  }

  async create(input: NewDestinationInput): Promise<DestinationRecord> {
    const now = this.nowIso();
    const record = this.validate(this.build({ ...(input as Record<string, unknown>), id: this.uniqueId(input.name), created_at: now, updated_at: now }));
    await this.repository.insert(record);
    this.deps.logger.info({ destination: record.id, kind: record.kind, where: this.describe(record) }, 'destination added');
    this.checkSoon(record.id);
    return record;
  }

  /**
   * PATCH merges; PUT (`replace`) sets every setting from the body, defaults for what it leaves
   * out, except secrets: those are kept unless given (a string) or cleared (null).
   */
  async update(id: string, input: DestinationPatchInput, mode: 'patch' | 'replace' = 'patch'): Promise<DestinationRecord> {
    const current = this.get(id);
    const body = input as Record<string, unknown>;
    let merged: Record<string, unknown>;
    if (mode === 'replace') {
      merged = { ...body };
      for (const s of SECRETS) if (body[s] === undefined) merged[s] = current[s];
      if (merged.kind === undefined) merged.kind = current.kind;
      if (merged.name === undefined) merged.name = current.name;
    } else {
      merged = { ...current, ...body };
    }
    if (merged.kind !== current.kind) {
      // Settings of the old kind that the new one cannot take go, unless the body sets them.
      for (const [field, kinds] of KIND_FIELDS) if (!kinds.includes(String(merged.kind)) && body[field] === undefined) delete merged[field];
    }
    if (id === DEFAULT_DESTINATION_ID) {
      const fixed = this.build({ ...merged, id, created_at: current.created_at, updated_at: current.updated_at });
      const before = current as unknown as Record<string, unknown>;
      const after = fixed as unknown as Record<string, unknown>;
      for (const field of new Set([...fieldsOf(current.kind), ...fieldsOf(fixed.kind)])) {
        if (DEFAULT_EDITABLE.has(field)) continue;
        if (JSON.stringify(after[field] ?? null) !== JSON.stringify(before[field] ?? null)) {
          throw badRequest(
            `${field}: the default destination is the media folder (MEDIA_DIR); only its name, naming templates, max_concurrent_transfers, bandwidth_limit_kbps and metadata can be changed`,
            field,
          );
        }
      }
    }
    const record = this.validate(this.build({ ...merged, id, created_at: current.created_at, updated_at: this.nowIso() }));
    await this.repository.replace(record);
    this.health.delete(id);
    this.semaphores.get(id)?.setLimit(record.max_concurrent_transfers ?? 1);
    await this.dropAdapter(id);
    this.deps.logger.info({ destination: id, kind: record.kind, where: this.describe(record), fields: Object.keys(body) }, 'destination changed');
    this.wake(id); // jobs waiting for it try the new settings now (or go elsewhere if it was disabled)
    this.checkSoon(id);
    return record;
  }

  async remove(id: string): Promise<void> {
    this.get(id); // 404 for an unknown id
    if (id === DEFAULT_DESTINATION_ID) throw conflict('the default destination (the media folder) cannot be deleted');
    await this.repository.remove(id);
    this.health.delete(id);
    this.semaphores.delete(id);
    this.wake(id); // jobs waiting for it choose again
    await this.dropAdapter(id);
    this.deps.logger.info({ destination: id }, 'destination deleted');
  }

  /**
   * Defaults applied (the common ones and the kind's), nulls and blanks dropped, fields in a fixed
   * order, nothing unknown. A kind that is not registered keeps only the common fields (the
   * validation then refuses it).
   */
  private build(input: Record<string, unknown>, only: 'any-kind' | 'own-kind' = 'any-kind'): DestinationRecord {
    const kind = String(input.kind);
    const def = DESTINATION_KIND_REGISTRY.get(kind);
    const out: Record<string, unknown> = { id: input.id };
    const defaults: Record<string, unknown> = {
      enabled: true,
      content_types: [],
      naming: {},
      cleanup_local: true,
      max_concurrent_transfers: 1,
      ...(def?.defaults ?? {}),
    };
    // Before validation every kind's fields are kept, so "share is not used by local destinations" is said, not dropped silently.
    const fields = def && only === 'own-kind' ? fieldsOf(kind) : [...LEADING_FIELDS, ...KIND_FIELDS.keys(), ...TRAILING_FIELDS];
    for (const field of fields) {
      let value = input[field] ?? defaults[field];
      if (value === null || value === undefined) continue;
      if (field === 'naming') {
        const naming: Record<string, string> = {};
        for (const [t, v] of Object.entries(value as Record<string, unknown>)) if (typeof v === 'string' && v.trim() !== '') naming[t] = v;
        value = naming;
      }
      if (field === 'bandwidth_limit_kbps' && value === 0) continue;
      out[field] = value;
    }
    out.created_at = input.created_at;
    out.updated_at = input.updated_at;
    return out as unknown as DestinationRecord;
  }

  /** The kind's rules (its schema), then the adapter's own (it refuses unusable settings); the record with the kind's settings as parsed (trimmed, defaults). */
  private validate(record: DestinationRecord): DestinationRecord {
    const settings = assertDestination(record as unknown as Parameters<typeof assertDestination>[0]);
    const checked = { ...record, ...settings } as DestinationRecord;
    try {
      this.deps.connect(checked);
    } catch (err) {
      if (err instanceof AppError) throw new AppError('invalid_request', err.message, { httpStatus: 400 });
      throw err;
    }
    return this.build(checked as unknown as Record<string, unknown>, 'own-kind');
  }

  private uniqueId(name: string): string {
    const base = slugify(name);
    const taken = (id: string): boolean => id === DEFAULT_DESTINATION_ID || this.repository.has(id);
    if (!taken(base)) return base;
    for (let n = 2; ; n++) if (!taken(`${base}-${n}`)) return `${base}-${n}`;
  }

  describe(record: DestinationRecord): string {
    try {
      return this.adapter(record.id).describe();
    } catch {
      return `${record.kind} ${record.host ?? record.base_path}`;
    }
  }

  // -------------------------------------------------------------------------------------------
  // Adapters and transfer slots

  /** The adapter of a destination, built on first use and whenever its settings changed. */
  adapter(id: string): Destination {
    const record = this.get(id);
    const cached = this.adapters.get(id);
    if (cached && sameRecord(cached.record, record)) return cached.dest;
    if (cached) void cached.dest.close().catch(() => undefined);
    const dest = this.deps.connect(record);
    this.adapters.set(id, { record, dest });
    return dest;
  }

  private async dropAdapter(id: string): Promise<void> {
    const cached = this.adapters.get(id);
    this.adapters.delete(id);
    if (cached) await cached.dest.close().catch((err: unknown) => this.deps.logger.debug({ err, destination: id }, 'closing a destination failed'));
  }

  /** A transfer slot on the destination (max_concurrent_transfers); resolves with the release. */
  acquire(id: string, signal?: AbortSignal): Promise<() => void> {
    let sem = this.semaphores.get(id);
    if (!sem) {
      sem = new Semaphore(this.find(id)?.max_concurrent_transfers ?? 1);
      this.semaphores.set(id, sem);
    }
    return sem.acquire(signal);
  }

  // -------------------------------------------------------------------------------------------
  // Health

  /** A transfer went through: the destination is online (free space is left to the checks). */
  reportSuccess(id: string): void {
    const record = this.find(id);
    if (record && this.healthOf(id).status !== 'online') this.setHealth(record, { status: 'online', message: null, code: null });
  }

  /** A transfer failed: offline for what fixes itself, error for what a person must fix. */
  reportFailure(id: string, err: unknown): void {
    const record = this.find(id);
    if (!record) return;
    const status = statusForError(err);
    const app = err instanceof AppError ? err : null;
    this.setHealth(record, { status, message: app?.message ?? String(err), code: app?.code ?? 'destination_protocol_error' });
  }

  private setHealth(record: DestinationRecord, patch: Partial<DestinationHealth>): void {
    const before = this.healthOf(record.id);
    const after: DestinationHealth = { ...before, ...patch };
    this.health.set(record.id, after);
    if (after.status !== before.status || (after.status !== 'online' && after.message !== before.message)) {
      const log = after.status === 'online' || after.status === 'unknown' ? 'info' : 'warn';
      this.deps.logger[log]({ destination: record.id, status: after.status, previous: before.status, code: after.code, message: after.message }, `destination ${record.name} is ${after.status}`);
    }
    if (after.status !== before.status) {
      this.deps.bus.emit('destination.status', {
        id: record.id,
        name: record.name,
        kind: record.kind,
        status: after.status,
        previous: before.status,
        message: after.message,
        code: after.code,
        checked_at: after.last_check_at ?? this.nowIso(),
      });
    }
    if (after.status === 'online' && before.status !== 'online') this.wake(record.id);
  }

  private healthFromProbe(result: ProbeResult): Partial<DestinationHealth> {
    return {
      status: result.status,
      message: result.ok ? null : (result.message ?? 'the check failed'),
      code: result.ok ? null : (result.code ?? 'destination_protocol_error'),
      last_check_at: this.nowIso(),
      ...(result.ok ? { free_bytes: result.freeBytes, total_bytes: result.totalBytes, latency_ms: result.latencyMs === null ? null : Math.round(result.latencyMs) } : { latency_ms: null }),
      ...(result.hostKeyFingerprint ? { seen_host_key_fingerprint: result.hostKeyFingerprint } : {}),
    };
  }

  private async probe(record: DestinationRecord, write: boolean): Promise<ProbeResult> {
    const run = (async (): Promise<ProbeResult> => {
      try {
        return await this.adapter(record.id).probe({ write, signal: this.stopController.signal });
      } catch (err) {
        const app = err instanceof AppError ? err : null;
        return { ok: false, status: app ? statusForError(app) : 'error', latencyMs: null, freeBytes: null, totalBytes: null, code: app?.code ?? 'destination_protocol_error', message: (err as Error).message };
      }
    })();
    this.probes.add(run);
    try {
      return await run;
    } finally {
      this.probes.delete(run);
    }
  }

  /** One destination now: connect and ask for free space (and write+delete a file with `write`). */
  async check(id: string, options: { write?: boolean } = {}): Promise<DestinationHealth> {
    const record = this.get(id);
    if (record.enabled === false) return this.healthOf(id);
    const result = await this.probe(record, options.write ?? false);
    if (this.stopController.signal.aborted || !sameRecord(this.find(id), record)) return this.healthOf(id);
    this.setHealth(record, this.healthFromProbe(result));
    return this.healthOf(id);
  }

  /** POST /api/destinations/:id/test: connect, write and delete a probe file, report space and latency. */
  async test(id: string): Promise<DestinationTestResult> {
    const record = this.get(id);
    const result = await this.probe(record, true);
    if (sameRecord(this.find(id), record)) this.setHealth(record, this.healthFromProbe(result));
    return {
      ok: result.ok,
      status: result.status,
      latency_ms: result.latencyMs === null ? null : Math.round(result.latencyMs),
      free_bytes: result.freeBytes,
      total_bytes: result.totalBytes,
      code: result.ok ? null : (result.code ?? null),
      message: result.ok ? null : (result.message ?? null),
      host_key_fingerprint: result.hostKeyFingerprint ?? null,
      checked_at: this.nowIso(),
    };
  }

  /** Every enabled destination at once; a check already running is joined, not repeated. */
  checkAll(): Promise<void> {
    if (this.checking) return this.checking;
    const ids = this.repository
      .list()
      .filter((r) => r.enabled !== false)
      .map((r) => r.id);
    this.checking = Promise.allSettled(ids.map((id) => this.check(id)))
      .then(() => undefined)
      .finally(() => {
        this.checking = null;
      });
    return this.checking;
  }

  private checkSoon(id: string): void {
    if (this.stopController.signal.aborted) return;
    this.check(id).catch((err: unknown) => this.deps.logger.warn({ err, destination: id }, 'destination check failed'));
  }

  /** For /api/health: `degraded` (never `error`) when a destination is down; a restart would not fix a NAS. */
  healthCheck(): CheckResult {
    const items = this.list()
      .filter((r) => r.enabled !== false)
      .map((r) => {
        const h = this.healthOf(r.id);
        return { id: r.id, name: r.name, kind: r.kind, status: h.status, message: h.message, last_check_at: h.last_check_at, free_bytes: h.free_bytes };
      });
    const down = items.filter((i) => i.status === 'offline' || i.status === 'error');
    if (down.length === 0) return { status: 'ok', destinations: items };
    return {
      status: 'degraded',
      message: down.map((d) => `${d.name} is ${d.status}${d.message ? `: ${d.message}` : ''}`).join('; '),
      destinations: items,
    };
  }

  /**
   * Waits `ms` before the next attempt at a destination that is down, or less: a health check
   * (or a transfer) that finds it online again, or its deletion, ends the wait at once.
   */
  async waitForRetry(id: string, ms: number, signal: AbortSignal): Promise<void> {
    const wake = new AbortController();
    const onAbort = (): void => wake.abort(signal.reason);
    if (signal.aborted) throw signal.reason;
    signal.addEventListener('abort', onAbort, { once: true });
    const waiter = (): void => wake.abort(WOKEN);
    let set = this.waiters.get(id);
    if (!set) this.waiters.set(id, (set = new Set()));
    set.add(waiter);
    try {
      await this.deps.clock.sleep(ms, wake.signal);
    } catch (err) {
      if (err !== WOKEN) throw err;
    } finally {
      set.delete(waiter);
      signal.removeEventListener('abort', onAbort);
    }
  }

  private wake(id: string): void {
    for (const w of [...(this.waiters.get(id) ?? [])]) w();
  }

  /** The first check now (not awaited: a slow NAS must not delay start-up), then every 5 minutes. */
  start(): void {
    this.ensureDefault();
    void this.checkAll().catch((err: unknown) => this.deps.logger.warn({ err }, 'destination checks failed'));
    this.timer = setInterval(() => {
      void this.checkAll().catch((err: unknown) => this.deps.logger.warn({ err }, 'destination checks failed'));
    }, this.deps.checkIntervalMs ?? DESTINATION_CHECK_INTERVAL_MS);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.stopController.abort(new Error('shutting down'));
    await Promise.allSettled([...this.probes]);
    await Promise.allSettled([...this.adapters.keys()].map((id) => this.dropAdapter(id)));
  }
}

export type { DestinationStatus };
