/**
 * Media servers: the records (through MediaServerRepository), one adapter per server (rebuilt
 * when its settings change), its status (memory only), the Test, and the refresh after every
 * completed download or recording whose destination the server covers, batched per folder
 * (refresh-batcher.ts).
 *
 * A server that is down only shows `error` in its status and a warning in the log: the
 * download is completed before any of this runs and stays completed.
 */
import { z, ZodError } from 'zod';
import { AppError, badRequest, errorMessage, notFound } from '../errors.js';
import type { AppEvents } from '../events/app-events.js';
import type { EventBus } from '../events/bus.js';
import type { Job } from '../jobs/model.js';
import { slugify } from '../library/destination-service.js';
import type { CheckResult } from '../domain/health.js';
import type { Clock } from '../platform/clock.js';
import type { Logger } from '../platform/logger.js';
import {
  REFRESH_WINDOW_MS,
  type MediaServerKindInfo,
  type MediaServerRecord,
  type MediaServerStatusView,
  type MediaServerTestResult,
  type MediaServerView,
} from './model.js';
import { mapPath, parentFolder } from './path-map.js';
import { RefreshBatcher, type Timers } from './refresh-batcher.js';
import type { MediaServerKind } from './registry.js';
import type { MediaServerRepository } from './repository.js';
import type { MediaServerPatchInput, NewMediaServerInput } from './schema.js';
import type { MediaServer, MediaServerDeps } from './types.js';

/** What the service needs to know about library destinations. */
export interface DestinationLookup {
  exists(id: string): boolean;
  /** Every destination id, the default first. */
  ids(): string[];
  /** Where a file relative to a destination is, as the add-on sees it (job.location's format). */
  locate(id: string, relPath: string): string | null;
}

export interface MediaServerServiceDeps {
  repo: MediaServerRepository;
  kinds: ReadonlyMap<string, MediaServerKind>;
  serverDeps: MediaServerDeps;
  destinations: DestinationLookup;
  bus: EventBus<AppEvents>;
  clock: Clock;
  logger: Logger;
  /** Runs before the refresh is queued (app.ts: write the NFO and artwork, so the scan finds them). */
  beforeRefresh?: (job: Job, signal: AbortSignal) => Promise<void>;
  windowMs?: number;
  /** Waits before trying a folder again after the server could not be reached (1, 5, 15 min). */
  retryDelaysMs?: readonly number[];
  timers?: Timers;
}

export const DEFAULT_REFRESH_RETRY_MS: readonly number[] = [60_000, 300_000, 900_000];

/** The file the Test maps when the request names none. */
export const SAMPLE_RELATIVE_PATH = 'Movies/Example (2024)/Example (2024).mkv';
const DEFAULT_DESTINATION = 'default';

export class MediaServerService {
  private readonly adapters = new Map<string, { updatedAt: string; server: MediaServer }>();
  private readonly counters = new Map<string, { refreshes: number; failures: number; last_refresh_at: string | null }>();
  private readonly handled = new Set<string>();
  private readonly batcher: RefreshBatcher;
  private readonly unsubscribe: Array<() => void> = [];
  private readonly followUps = new Set<Promise<void>>();
  /** Aborted by stop(): NFO writes, TMDB lookups and refreshes in flight give up. */
  private readonly stopping = new AbortController();

  constructor(private readonly deps: MediaServerServiceDeps) {
    this.batcher = new RefreshBatcher({
      windowMs: deps.windowMs ?? REFRESH_WINDOW_MS,
      run: (id, folders, attempt) => this.refreshNow(id, folders, attempt),
      ...(deps.timers ? { timers: deps.timers } : {}),
    });
  }

  // -------------------------------------------------------------------------------------------
  // Records

  list(): MediaServerRecord[] {
    return this.deps.repo.list();
  }

  get(id: string): MediaServerRecord {
    const r = this.deps.repo.find(id);
    if (!r) throw notFound(`media server ${id}`);
    return r;
  }

  private kindOf(kind: string): MediaServerKind {
    const k = this.deps.kinds.get(kind);
    if (!k) throw badRequest(`kind: must be one of ${[...this.deps.kinds.keys()].join(', ')}`, 'kind');
    return k;
  }

  kinds(): MediaServerKindInfo[] {
    return [...this.deps.kinds.values()].map((k) => ({
      kind: k.kind,
      label: k.label,
      secrets: [...k.secrets],
      defaults: { ...(k.defaults as Record<string, unknown>) },
      settings_schema: z.toJSONSchema(k.settings, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>,
    }));
  }

  view(record: MediaServerRecord): MediaServerView {
    const kind = this.deps.kinds.get(record.kind);
    const secrets = new Set<string>(kind?.secrets ?? []);
    const settings: Record<string, unknown> = {};
    const has: Record<string, boolean> = {};
    for (const [k, v] of Object.entries(record.settings)) if (!secrets.has(k)) settings[k] = v;
    for (const s of secrets) has[`has_${s}`] = typeof record.settings[s] === 'string' && record.settings[s] !== '';
    return {
      id: record.id,
      name: record.name,
      kind: record.kind,
      label: kind?.label ?? record.kind,
      enabled: record.enabled,
      destinations: [...record.destinations],
      path_map: record.path_map.map((e) => ({ ...e })),
      settings,
      ...has,
      status: this.statusOf(record),
      created_at: record.created_at,
      updated_at: record.updated_at,
    } as MediaServerView;
  }

  statusOf(record: MediaServerRecord): MediaServerStatusView {
    const c = this.counters.get(record.id) ?? { refreshes: 0, failures: 0, last_refresh_at: null };
    const s = this.adapters.get(record.id)?.server.status() ?? { state: 'unknown' as const, message: null, code: null, last_check_at: null };
    return {
      state: record.enabled ? s.state : 'disabled',
      message: s.message,
      code: s.code,
      last_check_at: s.last_check_at,
      last_refresh_at: c.last_refresh_at,
      refreshes: c.refreshes,
      failures: c.failures,
      pending_folders: this.batcher.pending(record.id),
    };
  }

  async create(input: NewMediaServerInput): Promise<MediaServerRecord> {
    const kind = this.kindOf(input.kind);
    const now = new Date(this.deps.clock.now()).toISOString();
    const record: MediaServerRecord = {
      id: this.uniqueId(input.name),
      name: input.name,
      kind: kind.kind,
      enabled: input.enabled ?? true,
      destinations: this.checkDestinations(input.destinations ?? []),
      path_map: input.path_map ?? [],
      settings: this.checkSettings(kind, { ...(kind.defaults as Record<string, unknown>), ...dropNulls(input.settings ?? {}) }),
      created_at: now,
      updated_at: now,
    };
    await this.deps.repo.create(record);
    this.deps.logger.info({ mediaServer: record.id, kind: record.kind }, 'media server added');
    return record;
  }

  async update(id: string, input: MediaServerPatchInput): Promise<MediaServerRecord> {
    const current = this.get(id);
    const kind = this.kindOf(current.kind);
    const settings = input.settings ? this.checkSettings(kind, dropNulls({ ...current.settings, ...input.settings })) : current.settings;
    const record: MediaServerRecord = {
      ...current,
      ...(input.name !== undefined ? { name: input.name } : {}),
      ...(input.enabled !== undefined ? { enabled: input.enabled } : {}),
      ...(input.destinations !== undefined ? { destinations: this.checkDestinations(input.destinations) } : {}),
      ...(input.path_map !== undefined ? { path_map: input.path_map } : {}),
      settings,
      updated_at: new Date(Math.max(this.deps.clock.now(), Date.parse(current.updated_at) + 1)).toISOString(),
    };
    await this.deps.repo.replace(record);
    if (!record.enabled) this.batcher.drop(id);
    this.deps.logger.info({ mediaServer: id, fields: Object.keys(input) }, 'media server changed');
    return record;
  }

  async remove(id: string): Promise<void> {
    if (!(await this.deps.repo.remove(id))) throw notFound(`media server ${id}`);
    this.batcher.drop(id);
    this.adapters.delete(id);
    this.counters.delete(id);
    this.deps.logger.info({ mediaServer: id }, 'media server deleted');
  }

  private checkSettings(kind: MediaServerKind, settings: Record<string, unknown>): Record<string, unknown> {
    try {
      return kind.settings.parse(settings) as Record<string, unknown>;
    } catch (err) {
      if (!(err instanceof ZodError)) throw err;
      const issue = err.issues[0]!;
      const field = ['settings', ...issue.path.map(String)].join('.');
      const message =
        issue.code === 'unrecognized_keys'
          ? `unknown field(s): ${issue.keys.join(', ')}`
          : issue.code === 'invalid_type' && issue.input === undefined
            ? `is required for ${kind.label}`
            : issue.message;
      throw badRequest(`${field}: ${message}`, field);
    }
  }

  private checkDestinations(ids: string[]): string[] {
    const unknown = ids.find((d) => !this.deps.destinations.exists(d));
    if (unknown) throw badRequest(`destinations: no destination "${unknown}"`, 'destinations');
    return ids;
  }

  private uniqueId(name: string): string {
    const base = slugify(name);
    if (!this.deps.repo.has(base)) return base;
    for (let n = 2; ; n++) if (!this.deps.repo.has(`${base}-${n}`)) return `${base}-${n}`;
  }

  // -------------------------------------------------------------------------------------------
  // Adapters, Test

  private adapter(record: MediaServerRecord): MediaServer {
    const cached = this.adapters.get(record.id);
    if (cached && cached.updatedAt === record.updated_at) return cached.server;
    const server = this.kindOf(record.kind).create(record.settings, this.deps.serverDeps);
    this.adapters.set(record.id, { updatedAt: record.updated_at, server });
    return server;
  }

  /** A file as the add-on would see it in the first destination this server covers. */
  samplePath(record: MediaServerRecord): string {
    const ids = record.destinations.length ? record.destinations : this.deps.destinations.ids();
    for (const id of ids) {
      const where = this.deps.destinations.locate(id, SAMPLE_RELATIVE_PATH);
      if (where) return where;
    }
    return `/media/${SAMPLE_RELATIVE_PATH}`;
  }

  async test(id: string, samplePath?: string, signal?: AbortSignal): Promise<MediaServerTestResult> {
    const record = this.get(id);
    const sample = samplePath ?? this.samplePath(record);
    const mapped = mapPath(sample, record.path_map);
    const base = { sample_path: sample, mapped_path: mapped.path, path_map_entry: mapped.entry };
    const checked_at = (): string => new Date(this.deps.clock.now()).toISOString();
    try {
      const outcome = await this.adapter(record).test(mapped.path, signal);
      const note = mapped.entry ? '' : ' (no path_map entry matched, so the path is passed on unchanged)';
      return { ok: true, code: null, ...base, ...outcome, message: `${outcome.message}${note}`, checked_at: checked_at() };
    } catch (err) {
      if (signal?.aborted) throw err;
      const app = err instanceof AppError ? err : null;
      return { ok: false, code: app?.code ?? 'mediaserver_error', message: errorMessage(err), ...base, server_name: null, version: null, library: null, covered: null, checked_at: checked_at() };
    }
  }

  // -------------------------------------------------------------------------------------------
  // Refresh after completions

  /** Subscribe to completed downloads and recordings. */
  start(): void {
    const landed = ({ job }: { job: Job }): void => {
      if (job.status !== 'completed') return;
      const work = this.fileLanded(job).catch((err: unknown) => this.deps.logger.warn({ jobId: job.id, err: errorMessage(err) }, 'library follow-up failed'));
      this.followUps.add(work);
      void work.finally(() => this.followUps.delete(work));
    };
    this.unsubscribe.push(this.deps.bus.on('job.status', landed), this.deps.bus.on('recording.finished', landed));
  }

  /** NFO/artwork first (beforeRefresh), then a refresh queued on every server covering the destination. */
  async fileLanded(job: Job): Promise<void> {
    if (job.status !== 'completed' || !job.file_path) return;
    const key = `${job.id}@${job.completed_at ?? ''}`;
    if (this.handled.has(key)) return; // job.status and recording.finished both report a recording
    this.handled.add(key);
    if (this.handled.size > 1000) this.handled.delete(this.handled.values().next().value!);
    if (this.stopping.signal.aborted) return;
    if (this.deps.beforeRefresh) {
      await this.deps.beforeRefresh(job, this.stopping.signal).catch((err: unknown) => this.deps.logger.warn({ jobId: job.id, err: errorMessage(err) }, 'writing NFO and artwork failed; the media servers are refreshed anyway'));
    }
    const destination = job.transfer?.destination_id ?? DEFAULT_DESTINATION;
    const location = job.location ?? this.deps.destinations.locate(destination, job.file_path);
    if (!location) return;
    for (const server of this.deps.repo.list()) {
      if (!server.enabled) continue;
      if (server.destinations.length > 0 && !server.destinations.includes(destination)) continue;
      const folder = parentFolder(mapPath(location, server.path_map).path);
      this.batcher.add(server.id, folder);
      this.deps.logger.debug({ mediaServer: server.id, folder, jobId: job.id }, 'media server refresh queued');
    }
  }

  private async refreshNow(id: string, folders: string[], attempt = 0): Promise<void> {
    const record = this.deps.repo.find(id);
    if (!record || !record.enabled) return;
    const c = this.counters.get(id) ?? { refreshes: 0, failures: 0, last_refresh_at: null };
    this.counters.set(id, c);
    try {
      const outcome = await this.adapter(record).refresh(folders, this.stopping.signal);
      c.refreshes++;
      c.last_refresh_at = new Date(this.deps.clock.now()).toISOString();
      this.deps.logger.info({ mediaServer: id, folders, method: outcome.method, attempt }, outcome.message);
    } catch (err) {
      if (this.stopping.signal.aborted) return;
      c.failures++;
      const code = (err as AppError).code;
      // A server that is restarting or briefly away gets the folder again later; wrong
      // credentials or a refusal need a person, so they are not retried.
      const delays = this.deps.retryDelaysMs ?? DEFAULT_REFRESH_RETRY_MS;
      const retry = code === 'mediaserver_unreachable' && attempt < delays.length ? delays[attempt]! : null;
      const next = retry === null ? '' : `; trying again in ${Math.round(retry / 1000)} s`;
      this.deps.logger.warn({ mediaServer: id, folders, code, attempt }, `media server "${record.name}" was not refreshed: ${errorMessage(err)}${next}`);
      if (retry !== null) for (const folder of folders) this.batcher.add(id, folder, { delayMs: retry, attempt: attempt + 1 });
    }
  }

  /** Follow-ups and refreshes in flight are done (tests). */
  async idle(): Promise<void> {
    await Promise.allSettled([...this.followUps]);
    await this.batcher.idle();
  }

  /** For GET /api/health: degraded while an enabled server's last contact failed (never `error`: a restart would not fix it). */
  healthCheck(): CheckResult & { servers: number; failing: string[] } {
    const enabled = this.deps.repo.list().filter((r) => r.enabled);
    const failing = enabled.filter((r) => this.statusOf(r).state === 'error');
    return failing.length
      ? { status: 'degraded', message: `media server ${failing.map((r) => `"${r.name}"`).join(', ')} not reachable: ${this.statusOf(failing[0]!).message ?? ''}`, servers: enabled.length, failing: failing.map((r) => r.id) }
      : { status: 'ok', servers: enabled.length, failing: [] };
  }

  async stop(): Promise<void> {
    for (const off of this.unsubscribe.splice(0)) off();
    this.stopping.abort(new Error('shutting down'));
    await Promise.allSettled([...this.followUps]);
    await this.batcher.stop();
  }
}

const dropNulls = (o: Record<string, unknown>): Record<string, unknown> => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== null && v !== undefined));
