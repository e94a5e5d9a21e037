/**
 * Playlist sources: CRUD, syncs (now, on a cron schedule, or all at once), the catalogue's items
 * with their status against the library, downloads from a selection or from rules, and the
 * per-source connection limit every download of a source shares.
 *
 * One sync runs at a time across all sources (a 200k list is ~150 MB of heap while it is
 * diffed); a second sync of a source that is already syncing is refused (409), a cron tick for
 * it is skipped. Catalogues live in DATA_DIR/catalogues/ (catalogue-file.ts); db.json only gets
 * the source's summary and the sync record.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { AppError, badRequest, errorMessage, notFound } from '../errors.js';
import type { AppEvents } from '../events/app-events.js';
import type { EventBus } from '../events/bus.js';
import { Semaphore, KeyedSemaphores } from '../download/semaphore.js';
import type { JobService } from '../jobs/job-service.js';
import type { Container, Job, LiveRequest, Page, Priority } from '../jobs/model.js';
import type { ChannelStore } from '../live/channel-store.js';
import { queryChannels, type Channel, type ChannelPage, type ChannelQuery } from '../live/channels.js';
import type { GuideProgramme, GuideService } from '../live/epg/guide-service.js';
import { programmeRecording } from '../live/epg/programme-recording.js';
import { redactHeaders } from '../jobs/view.js';
import type { Clock } from '../platform/clock.js';
import type { HttpClient } from '../platform/http.js';
import type { Logger } from '../platform/logger.js';
import { redactCredentials, redactUrlsInText, REDACTED } from '../redact.js';
import type { CatalogueItem } from './catalogue.js';
import { CatalogueFiles, type StoredCatalogue } from './catalogue-file.js';
import { createClassifier } from './classify.js';
import { fold } from './normalize.js';
import { connectSource, describeSourceKinds, type SourceKindDescription, sourceFieldKinds, sourceKind, sourceKindFields, sourceSecretFields } from './kinds/index.js';
import { jobVariantKey, LibraryIndex } from './library-index.js';
import type {
  GroupView,
  ItemStatus,
  ItemStatusFilter,
  ItemType,
  ItemView,
  Rule,
  SourceKind,
  SourceRecord,
  SourceView,
  SyncCounts,
  SyncPhase,
  SyncProgress,
  SyncRecord,
  QueuedItem,
} from './model.js';
import type { Quality } from './quality.js';
import { priorityFor, resolveQualityFilter } from './quality-filter.js';
import { compilePattern, evaluateRules } from './rules.js';
import { SyncScheduler } from './scheduler.js';
import { displayTitle, runSync } from './sync.js';
import type { TmdbClient } from './tmdb.js';
import { drive, Pacer } from '../platform/pacer.js';
import { runToEnd, type Steps } from '../domain/steps.js';
import type { SourceRepository } from './source-repository.js';

/** A running sync reports its progress at most this often (and at every change of phase). */
const PROGRESS_EVERY_MS = 250;

type ProgressReporter = ((phase: SyncPhase, entries: number, queue?: { queued: number; to_queue: number }) => void) & { close(): void };

const SYNCS_KEPT_PER_SOURCE = 50;
const CACHE_IDLE_MS = 5 * 60 * 1000;
const CACHE_MAX = 2;

export interface SourceServiceDeps {
  /** The sources and their sync records (the only code touching that part of the store). */
  repository: SourceRepository;
  bus: EventBus<AppEvents>;
  jobs: JobService;
  http: HttpClient;
  clock: Clock;
  logger: Logger;
  dataDir: string;
  tmdb: TmdbClient | null;
  /** Where each sync leaves the list's live channels (absent: they are dropped, as before). */
  channels?: ChannelStore;
  /** The programme guides of the sources' channels (x-tvg-url / url-tvg), refreshed by each sync. */
  guides?: GuideService;
  /** After a guide refresh: series recording rules queue the new airings (wired in app.ts). */
  afterGuide?: () => Promise<unknown>;
  /** Padding of a programme recording, minutes before its start and after its end (default 2 and 5). */
  recordingPadding?: { beforeMin: number; afterMin: number };
}

/** Settings a caller gives when creating a source (validated by http/sources-validation.ts). */
export interface SourceSettings {
  name?: string | undefined;
  enabled?: boolean | undefined;
  schedule?: string | null | undefined;
  headers?: Record<string, string> | undefined;
  quality?: Partial<SourceRecord['quality']> | undefined;
  content_types?: ItemType[] | undefined;
  include_groups?: string[] | undefined;
  exclude_groups?: string[] | undefined;
  rules?: Array<Partial<Rule> & Pick<Rule, 'kind' | 'value'>> | undefined;
  priority?: Partial<SourceRecord['priority']> | undefined;
  connection_limit?: number | undefined;
  epg_url?: string | null | undefined;
  url?: string | undefined;
  server?: string | undefined;
  username?: string | undefined;
  password?: string | undefined;
}

export interface ItemFilter {
  status: ItemStatusFilter;
  type?: ItemType | undefined;
  group?: string | undefined;
  quality?: Quality | 'unknown' | undefined;
  year?: number | undefined;
  q?: string | undefined;
  limit: number;
  offset: number;
}

export interface Selection {
  ids: number[];
  priority?: Priority | undefined;
  quality?: string | undefined;
  container?: Container | undefined;
  force?: boolean | undefined;
}

interface Loaded {
  stored: StoredCatalogue;
  /** Present items newest first (then list order), built on first query. */
  ordered: CatalogueItem[] | null;
  byId: Map<number, CatalogueItem> | null;
  /** Folded "title name" per item of `ordered`, built on the first search. */
  search: string[] | null;
  lastUsed: number;
}

const zeroCounts = (): SyncCounts => ({
  entries: 0, accepted: 0, optional: 0, rejected: 0, filtered: 0, duplicates: 0, new: 0, upgraded: 0, removed: 0,
  changed_url: 0, renamed: 0, already_downloaded: 0, queued: 0, malformed: 0, items: 0,
});

export class SourceService {
  readonly files: CatalogueFiles;
  readonly uploadsDir: string;
  private readonly scheduler: SyncScheduler;
  private readonly limits = new KeyedSemaphores((id) => this.connectionLimit(id));
  /** One sync at a time, all sources together. */
  private readonly syncSlot = new Semaphore(1);
  private readonly inFlight = new Map<string, Promise<SyncRecord>>();
  /** The last progress report of each running sync, by source id. */
  private readonly progress = new Map<string, SyncProgress>();
  private readonly cache = new Map<string, Loaded>();
  private readonly loading = new Map<string, Promise<StoredCatalogue | null>>();
  private readonly classify = createClassifier();
  private readonly jobKeys = new Map<string, string | null>();
  private stopping = new AbortController();
  private evictTimer: NodeJS.Timeout | null = null;
  /** The only way to the stored sources and their sync records (copies out, copies in). */
  private readonly repository: SourceRepository;

  constructor(private readonly deps: SourceServiceDeps) {
    this.files = new CatalogueFiles(path.join(deps.dataDir, 'catalogues'));
    this.uploadsDir = path.join(deps.dataDir, 'uploads');
    this.scheduler = new SyncScheduler((id) => this.scheduledSync(id), deps.logger);
    this.repository = deps.repository;
  }

  private nowIso(): string {
    return new Date(this.deps.clock.now()).toISOString();
  }

  // Lifecycle ------------------------------------------------------------------------------------

  async start(): Promise<void> {
    this.stopping = new AbortController();
    // The process stopped during a sync: its catalogue was not replaced.
    this.repository.settleInterrupted();
    for (const s of this.repository.list()) this.scheduler.set(s.id, s.enabled ? s.schedule : null);
    this.scheduler.start();
    this.evictTimer = setInterval(() => this.evictIdle(), 60_000);
    this.evictTimer.unref();
  }

  /** Stops the schedules, aborts a running sync and waits for it to let go. */
  async stop(): Promise<void> {
    this.scheduler.stop();
    this.stopping.abort(new AppError('shutdown', 'the add-on is stopping', { httpStatus: 503 }));
    if (this.evictTimer) clearInterval(this.evictTimer);
    this.evictTimer = null;
    await Promise.allSettled([...this.inFlight.values()]);
    this.cache.clear();
  }

  // CRUD -----------------------------------------------------------------------------------------

  /** GET /api/sources/kinds: every registered kind with the JSON Schema of its own settings. */
  kinds(): SourceKindDescription[] {
    return describeSourceKinds();
  }

  list(): SourceView[] {
    return this.repository.list().map((r) => this.view(r));
  }

  /** The stored source (a copy: changes go through update()). */
  get(id: string): SourceRecord {
    const s = this.repository.find(id);
    if (!s) throw notFound(`source ${id}`);
    return s;
  }

  view(s: SourceRecord): SourceView {
    const { catalogue_seq: _seq, url, ...rest } = s;
    const shown = rest as Record<string, unknown>;
    // Every kind's secrets are write-only: has_<field> instead.
    const secrets: Record<string, boolean> = {};
    for (const field of sourceSecretFields()) {
      secrets[`has_${field}`] = Boolean(shown[field]);
      delete shown[field];
    }
    const next = this.scheduler.nextRun(s.id);
    return {
      ...(shown as Omit<SourceRecord, 'password' | 'catalogue_seq' | 'url'>),
      url: url ? redactCredentials(url) : null,
      epg_url: s.epg_url ? redactCredentials(s.epg_url) : null,
      headers: redactHeaders(s.headers),
      has_password: false,
      ...secrets,
      error: s.error ? { code: s.error.code, message: redactUrlsInText(s.error.message) } : null,
      next_sync_at: next ? next.toISOString() : null,
      progress: this.progress.get(s.id) ?? null,
    };
  }

  async create(kind: SourceKind, input: SourceSettings & { name: string }): Promise<SourceRecord> {
    const now = this.nowIso();
    const record: SourceRecord = {
      id: randomUUID(),
      name: input.name,
      kind,
      enabled: input.enabled ?? true,
      // Every kind's fields are on the record (null where the kind has none): see kindSettings().
      url: null,
      server: null,
      username: null,
      password: null,
      ...kindSettings(kind, input),
      headers: input.headers ?? {},
      file: null,
      schedule: input.schedule ?? null,
      quality: qualitySettings(input.quality, { min: '480p', max: '1080p', ceiling: '2160p', accept_unknown: true }),
      content_types: input.content_types ?? ['movie', 'series', 'novela'],
      include_groups: input.include_groups ?? [],
      exclude_groups: input.exclude_groups ?? [],
      rules: (input.rules ?? []).map(normalizeRule),
      priority: { high_max_age_years: 2, low_min_age_years: 5, ...stripUndefined(input.priority ?? {}) },
      connection_limit: input.connection_limit ?? 1,
      epg_url: input.epg_url ?? null,
      status: 'idle',
      error: null,
      last_sync_at: null,
      last_sync_id: null,
      catalogue_seq: 0,
      item_count: 0,
      created_at: now,
      updated_at: now,
    };
    checkKind(record);
    await this.repository.insert(record);
    this.scheduler.set(record.id, record.enabled ? record.schedule : null);
    this.deps.logger.info({ sourceId: record.id, kind }, 'source added');
    return record;
  }

  async update(id: string, patch: SourceSettings): Promise<SourceRecord> {
    const s = this.get(id);
    const field = (name: keyof SourceSettings, kinds: SourceKind[]): void => {
      if (patch[name] !== undefined && !kinds.includes(s.kind)) {
        throw new AppError('invalid_request', `${name}: not a setting of a ${s.kind} source`, { httpStatus: 400, field: name });
      }
    };
    for (const [name, kinds] of sourceFieldKinds()) field(name as keyof SourceSettings, kinds as SourceKind[]);
    if (patch.name !== undefined) s.name = patch.name;
    if (patch.enabled !== undefined) s.enabled = patch.enabled;
    if (patch.schedule !== undefined) s.schedule = patch.schedule;
    // A URL or header sent back as the API showed it (masked) means "unchanged".
    if (patch.url !== undefined && !(s.url && patch.url === redactCredentials(s.url))) s.url = patch.url;
    if (patch.headers !== undefined) {
      const next: Record<string, string> = {};
      for (const [k, v] of Object.entries(patch.headers)) next[k] = v === REDACTED && s.headers[k] !== undefined ? s.headers[k]! : v;
      s.headers = next;
    }
    if (patch.server !== undefined) s.server = patch.server;
    if (patch.username !== undefined) s.username = patch.username;
    if (patch.password !== undefined) s.password = patch.password;
    if (patch.quality !== undefined) s.quality = qualitySettings(patch.quality, s.quality);
    if (patch.content_types !== undefined) s.content_types = patch.content_types;
    if (patch.include_groups !== undefined) s.include_groups = patch.include_groups;
    if (patch.exclude_groups !== undefined) s.exclude_groups = patch.exclude_groups;
    if (patch.rules !== undefined) s.rules = patch.rules.map(normalizeRule);
    if (patch.priority !== undefined) s.priority = { ...s.priority, ...stripUndefined(patch.priority) };
    // A guide URL sent back as the API showed it (masked) means "unchanged".
    if (patch.epg_url !== undefined && !(s.epg_url && patch.epg_url === redactCredentials(s.epg_url))) s.epg_url = patch.epg_url;
    if (patch.connection_limit !== undefined) {
      s.connection_limit = patch.connection_limit;
      this.limits.get(s.id).setLimit(patch.connection_limit);
      this.deps.jobs.kick();
    }
    checkKind(s);
    s.updated_at = this.nowIso();
    await this.repository.replace(s);
    this.scheduler.set(s.id, s.enabled ? s.schedule : null);
    return s;
  }

  /** Removes the source, its catalogue, upload and sync history; its downloads stay. */
  async remove(id: string): Promise<void> {
    this.get(id);
    this.scheduler.set(id, null);
    const running = this.inFlight.get(id);
    if (running) await running.catch(() => undefined);
    await this.repository.remove(id);
    this.cache.delete(id);
    await this.files.remove(id);
    await this.deps.channels?.remove(id);
    await this.deps.guides?.remove(id);
    await rm(this.uploadPath(id), { force: true });
    this.deps.logger.info({ sourceId: id }, 'source removed');
  }

  uploadPath(id: string): string {
    return path.join(this.uploadsDir, `${id}.m3u`);
  }

  /** Takes an uploaded list (already on disk under uploadsDir) as the file of a `file` source. */
  async attachUpload(id: string, tmpPath: string, info: { name: string; size: number }): Promise<SourceRecord> {
    const s = this.get(id);
    if (s.kind !== 'file') throw new AppError('invalid_request', `a ${s.kind} source takes no uploaded file`, { httpStatus: 400 });
    await mkdir(this.uploadsDir, { recursive: true });
    await rename(tmpPath, this.uploadPath(id));
    const file = { name: info.name, size: info.size, uploaded_at: this.nowIso() };
    return this.repository.patch(id, { file, updated_at: file.uploaded_at }) ?? { ...s, file };
  }

  // Connection limits ----------------------------------------------------------------------------

  /** Connections a source's downloads may hold together (1 for an unknown or deleted source). */
  connectionLimit(id: string): number {
    return this.repository.connectionLimit(id) ?? 1;
  }

  /** The semaphore every request of every download of the source acquires. */
  connectionSemaphore(id: string): Semaphore {
    return this.limits.get(id);
  }

  // Syncs ----------------------------------------------------------------------------------------

  /** Runs a sync now and resolves with its record (status failed, with the error, if it failed). */
  sync(id: string, options: { trigger?: SyncRecord['trigger']; dryRun?: boolean } = {}): Promise<SyncRecord> {
    const s = this.get(id);
    if (this.inFlight.has(id)) throw new AppError('sync_running', `a sync of "${s.name}" is already running`, { httpStatus: 409 });
    if (s.kind === 'file' && !s.file) throw new AppError('no_file', 'upload a list to this source first (PUT /api/sources/:id/file)', { httpStatus: 409 });
    if (this.stopping.signal.aborted) throw new AppError('shutdown', 'the add-on is stopping', { httpStatus: 503 });
    const run = this.runOne(s, options.trigger ?? 'manual', options.dryRun ?? false).finally(() => this.inFlight.delete(id));
    this.inFlight.set(id, run);
    return run;
  }

  /** Syncs every enabled source, one after the other; never throws (failures are in the records). */
  async syncAll(): Promise<SyncRecord[]> {
    const out: SyncRecord[] = [];
    for (const s of this.repository.list()) {
      if (!s.enabled || this.inFlight.has(s.id) || (s.kind === 'file' && !s.file)) continue;
      try {
        out.push(await this.sync(s.id, { trigger: 'all' }));
      } catch (err) {
        this.deps.logger.warn({ sourceId: s.id, error: errorMessage(err) }, 'sync skipped');
      }
    }
    return out;
  }

  isSyncing(id: string): boolean {
    return this.inFlight.has(id);
  }

  syncs(id: string, page: { limit: number; offset: number }): Page<SyncRecord> {
    this.get(id);
    const all = this.repository.syncsOf(id);
    return { items: all.slice(page.offset, page.offset + page.limit), total: all.length };
  }

  private async scheduledSync(id: string): Promise<void> {
    if (this.inFlight.has(id)) {
      this.deps.logger.info({ sourceId: id }, 'scheduled sync skipped: the previous one is still running');
      return;
    }
    await this.sync(id, { trigger: 'schedule' });
  }

  private async runOne(s: SourceRecord, trigger: SyncRecord['trigger'], dryRun: boolean): Promise<SyncRecord> {
    const syncId = randomUUID();
    const progress = this.progressReporter(s, syncId);
    // Said only when it is true: another source holds the one sync slot.
    progress(this.syncSlot.inUse > 0 ? 'waiting' : 'fetching', 0);
    let release: () => void;
    try {
      release = await this.syncSlot.acquire(this.stopping.signal);
    } catch (err) {
      progress.close();
      throw err;
    }
    // The source as it is now (it may have been edited while this sync waited for its turn).
    s = this.repository.find(s.id) ?? s;
    const controller = new AbortController();
    const signal = AbortSignal.any([controller.signal, this.stopping.signal]);
    const started = this.deps.clock.now();
    const record: SyncRecord = {
      id: syncId,
      source_id: s.id,
      trigger,
      status: 'running',
      started_at: new Date(started).toISOString(),
      finished_at: null,
      duration_ms: null,
      seq: s.catalogue_seq,
      counts: zeroCounts(),
      anomaly: null,
      issues: [],
      new_titles: [],
      notes: [],
      queued: [],
      would_queue: [],
      dry_run: dryRun,
      error: null,
      account: null,
    };
    const logger = this.deps.logger.child({ sourceId: s.id, syncId: record.id });
    s.status = 'syncing';
    this.repository.patch(s.id, { status: 'syncing' });
    // Sync-owned fields, written back at the end without touching what an edit changed meanwhile.
    let outcomeFields: Pick<SourceRecord, 'status' | 'error'> & Partial<Pick<SourceRecord, 'catalogue_seq' | 'item_count'>> = { status: 'failed', error: null };
    try {
      const previous = await this.loadCatalogue(s.id);
      const seq = Math.max(s.catalogue_seq, previous?.catalogue.seq ?? 0) + 1;
      record.seq = seq;
      // One time budget for the whole sync: no stretch of it holds the event loop much past it.
      const pacer = new Pacer();
      const outcome = await runSync({
        source: s,
        kind: connectSource(s),
        previous,
        library: await drive(this.libraryIndexSteps(), pacer),
        pacer,
        seq,
        now: new Date(started),
        signal,
        fetch: { http: this.deps.http, logger, uploadPath: this.uploadPath(s.id) },
        files: this.files,
        tmdb: this.deps.tmdb,
        logger,
        onProgress: (phase, entries) => progress(phase, entries),
      });
      const entries = outcome.counts.entries;
      progress('queueing', entries, { queued: 0, to_queue: outcome.matches.length });
      for (const m of outcome.matches) {
        // Thousands of jobs may be queued at once: let requests (the panel's lists) in between.
        // Each job is heavy enough (store, events) to read the clock every time.
        if (pacer.overBudget()) await pacer.yield();
        const q: QueuedItem = { item_id: m.item.id, title: displayTitle(m.item), rule: m.rule.name || m.rule.value, job_id: null };
        if (dryRun || m.rule.dry_run) {
          record.would_queue.push(q);
          continue;
        }
        const job = await this.createJob(s, m.item, { priority: m.priority }, signal);
        q.job_id = job.id;
        record.queued.push(q);
        progress('queueing', entries, { queued: record.queued.length, to_queue: outcome.matches.length });
      }
      const guideUrls = [...new Set([...(s.epg_url ? [s.epg_url] : []), ...outcome.epgUrls])];
      if (this.deps.channels) await this.deps.channels.replace(s.id, outcome.channels, guideUrls);
      if (this.deps.guides && guideUrls.length > 0 && outcome.channels.length > 0) {
        progress('guide', entries);
        // The guide rides on the source's schedule; a guide that fails leaves the sync a note, not a failure.
        try {
          const g = await this.deps.guides.refresh(s.id, guideUrls, outcome.channels, signal);
          outcome.notes.push(`guide: ${g.programmes} programmes for ${g.matched_channels} of ${outcome.channels.length} channels`);
          await this.deps.afterGuide?.().catch((err: unknown) => logger.warn({ err: errorMessage(err) }, 'series recording rules could not be evaluated'));
        } catch (err) {
          if (signal.aborted) throw err;
          outcome.notes.push(`guide: ${redactUrlsInText(errorMessage(err))}`);
          logger.warn({ err: redactUrlsInText(errorMessage(err)) }, 'the programme guide could not be updated; the channels are kept');
        }
      }
      record.counts = { ...outcome.counts, queued: record.queued.length };
      record.anomaly = outcome.anomaly;
      record.issues = outcome.issues;
      record.notes = outcome.notes;
      record.account = outcome.account;
      record.new_titles = outcome.newTitles;
      record.status = 'completed';
      s.catalogue_seq = seq;
      s.item_count = outcome.catalogue.items.length;
      s.status = 'ok';
      s.error = null;
      outcomeFields = { status: 'ok', error: null, catalogue_seq: seq, item_count: s.item_count };
      this.cache.set(s.id, { stored: { catalogue: outcome.catalogue, bytes: 0 }, ordered: null, byId: null, search: null, lastUsed: this.deps.clock.now() });
      this.trimCache();
      logger.info(
        { entries: record.counts.entries, items: record.counts.items, new: record.counts.new, upgraded: record.counts.upgraded, removed: record.counts.removed, queued: record.counts.queued, rewrote: outcome.written, anomaly: !!outcome.anomaly },
        'source synced',
      );
    } catch (err) {
      const code = this.stopping.signal.aborted
        ? 'shutdown'
        : err instanceof AppError
          ? err.code
          : (err as { code?: unknown }).code === 'not_a_playlist'
            ? 'not_a_playlist'
            : 'sync_failed';
      record.status = 'failed';
      record.error = { code, message: code === 'shutdown' ? 'the add-on stopped during this sync' : redactUrlsInText(errorMessage(err)) };
      s.status = 'failed';
      s.error = record.error;
      outcomeFields = { status: 'failed', error: record.error };
      logger.warn({ code, error: record.error.message }, 'source sync failed');
    } finally {
      release();
      progress.close();
    }
    const finished = this.deps.clock.now();
    record.finished_at = new Date(finished).toISOString();
    record.duration_ms = finished - started;
    s.last_sync_at = record.finished_at;
    s.last_sync_id = record.id;
    // Absent when the source was deleted during the sync: nothing is written back then.
    const after = this.repository.patch(s.id, { ...outcomeFields, last_sync_at: s.last_sync_at, last_sync_id: s.last_sync_id });
    if (after) this.repository.addSync(record, SYNCS_KEPT_PER_SOURCE);
    this.deps.bus.emit('sync.completed', {
      source: { id: s.id, name: after?.name ?? s.name },
      new_items: record.counts.new,
      updated_items: record.counts.upgraded,
      removed_items: record.counts.removed,
      total_items: s.item_count,
      queued: record.counts.queued,
      duration_ms: record.duration_ms,
      error: record.error?.message ?? null,
      new_titles: record.new_titles,
      record,
    });
    return record;
  }

  /**
   * Reports a running sync's phase and entries read on the bus (`sync.progress`, sent over SSE):
   * at once when the phase changes, otherwise at most every PROGRESS_EVERY_MS. The last report is
   * kept for views of the source (GET /api/sources shows it while the sync runs).
   */
  private progressReporter(s: SourceRecord, syncId: string): ProgressReporter {
    const startedAt = this.nowIso();
    let lastPhase: SyncPhase | null = null;
    let lastAt = 0;
    let closed = false;
    /** A report held back by the throttle, sent when the interval ends (a list that stalls still shows what was read). */
    let trailing: NodeJS.Timeout | null = null;
    let latest: SyncProgress | null = null;
    const publish = (event: SyncProgress): void => {
      if (trailing) clearTimeout(trailing);
      trailing = null;
      latest = null;
      lastPhase = event.phase;
      lastAt = this.deps.clock.now();
      this.progress.set(s.id, event);
      this.deps.bus.emit('sync.progress', event);
    };
    const report = ((phase, entries, queue) => {
      if (closed) return;
      const event: SyncProgress = {
        source: { id: s.id, name: this.repository.find(s.id)?.name ?? s.name },
        sync_id: syncId,
        phase,
        entries,
        queued: queue?.queued ?? 0,
        to_queue: queue?.to_queue ?? null,
        started_at: startedAt,
      };
      const elapsed = this.deps.clock.now() - lastAt;
      const done = queue !== undefined && queue.queued === queue.to_queue;
      if (phase !== lastPhase || elapsed >= PROGRESS_EVERY_MS || done) return publish(event);
      latest = event;
      trailing ??= setTimeout(() => latest && !closed && publish(latest), PROGRESS_EVERY_MS - elapsed);
    }) as ProgressReporter;
    report.close = () => {
      closed = true;
      if (trailing) clearTimeout(trailing);
      this.progress.delete(s.id);
    };
    return report;
  }

  // Catalogue and library --------------------------------------------------------------------------

  private async loadCatalogue(id: string): Promise<StoredCatalogue | null> {
    const hit = this.cache.get(id);
    if (hit) {
      hit.lastUsed = this.deps.clock.now();
      return hit.stored;
    }
    let pending = this.loading.get(id);
    if (!pending) {
      pending = this.files.read(id).finally(() => this.loading.delete(id));
      this.loading.set(id, pending);
    }
    const stored = await pending;
    if (stored && this.repository.has(id)) {
      this.cache.set(id, { stored, ordered: null, byId: null, search: null, lastUsed: this.deps.clock.now() });
      this.trimCache();
    }
    return stored;
  }

  private async loaded(id: string): Promise<Loaded | null> {
    await this.loadCatalogue(id);
    return this.cache.get(id) ?? null;
  }

  private trimCache(): void {
    while (this.cache.size > CACHE_MAX) {
      let oldest: string | null = null;
      let t = Infinity;
      for (const [id, l] of this.cache) if (l.lastUsed < t) [oldest, t] = [id, l.lastUsed];
      this.cache.delete(oldest!);
    }
  }

  private evictIdle(): void {
    const now = this.deps.clock.now();
    for (const [id, l] of this.cache) if (now - l.lastUsed > CACHE_IDLE_MS && !this.inFlight.has(id)) this.cache.delete(id);
  }

  /** The library (completed or queued jobs) by identity. */
  libraryIndex(): LibraryIndex {
    return runToEnd(this.libraryIndexSteps());
  }

  /** libraryIndex as steps: a sync drives it (the first one classifies every hand-added job). */
  private libraryIndexSteps(): Steps<LibraryIndex> {
    // Every job, oldest first as the library has always been indexed (no live progress needed).
    const jobs = this.deps.jobs.all();
    if (this.jobKeys.size > jobs.length * 2 + 1000) this.jobKeys.clear();
    return LibraryIndex.fromJobsSteps(jobs, (job) => {
      if (job.variant_key) return job.variant_key;
      let key = this.jobKeys.get(job.id);
      if (key === undefined) {
        key = jobVariantKey(job, this.classify);
        this.jobKeys.set(job.id, key);
      }
      return key;
    });
  }

  private itemView(s: SourceRecord, item: CatalogueItem, status: ItemStatus, library: LibraryIndex, now: Date): ItemView {
    const episodic = item.type === 'series' || item.type === 'novela';
    return {
      id: item.id,
      status,
      title: item.title,
      name: item.name,
      content_type: item.type,
      show: episodic ? item.title : null,
      season: item.season,
      episode: item.episode,
      episode_title: item.episode_title,
      year: item.year,
      quality: item.quality,
      quality_status: item.qs,
      language: item.language,
      group: item.group,
      url: redactCredentials(item.url),
      logo: item.logo,
      priority: priorityFor({ contentType: item.type, year: item.year }, now, { highMaxAgeYears: s.priority.high_max_age_years, lowMinAgeYears: s.priority.low_min_age_years }),
      job_id: status === 'downloaded' || status === 'upgrade' ? library.jobFor(item.key) : null,
      tmdb: item.meta,
    };
  }

  private statusOf(item: CatalogueItem, seq: number, library: LibraryIndex): ItemStatus {
    if (item.removed) return 'removed';
    const lib = library.statusOf(item.key, item.qs === 'accepted');
    if (lib === 'downloaded') return 'downloaded';
    if (lib === 'upgrade' || item.upgraded === seq) return 'upgrade';
    if (item.added === seq) return 'new';
    return 'listed';
  }

  /** The catalogue's items, newest first, filtered and paged. */
  async items(id: string, f: ItemFilter): Promise<Page<ItemView>> {
    const s = this.get(id);
    const l = await this.loaded(id);
    if (!l) return { items: [], total: 0 };
    const cat = l.stored.catalogue;
    const library = this.libraryIndex();
    const now = new Date(this.deps.clock.now());
    const seq = s.catalogue_seq;
    let pool: CatalogueItem[];
    let search: string[] | null = null;
    if (f.status === 'removed') pool = cat.removed;
    else {
      pool = ordered(l);
      if (f.q) search = l.search ??= pool.map((i) => fold(`${i.title} ${i.name}`));
    }
    const group = f.group ? compilePattern(f.group) : null;
    const q = f.q ? fold(f.q) : null;
    const out: ItemView[] = [];
    let total = 0;
    for (let i = 0; i < pool.length; i++) {
      const item = pool[i]!;
      if (f.type && item.type !== f.type) continue;
      if (f.year !== undefined && item.year !== f.year) continue;
      if (f.quality && (f.quality === 'unknown' ? item.quality !== null : item.quality !== f.quality)) continue;
      if (group && !group(item.group)) continue;
      if (q && !(search ? search[i]! : fold(`${item.title} ${item.name}`)).includes(q)) continue;
      const status = this.statusOf(item, seq, library);
      if (f.status !== 'all' && f.status !== 'removed' && status !== f.status) continue;
      if (total >= f.offset && out.length < f.limit) out.push(this.itemView(s, item, status, library, now));
      total++;
    }
    return { items: out, total };
  }

  /**
   * Group-titles with their catalogue item counts. `catalogue` (the default): the groups of the
   * catalogue (what Review filters by). `list`: every group the last sync saw in the provider's
   * list before the source's filters, so the include/exclude pickers can offer a group that is
   * filtered out today; `entries` is how many entries it had.
   */
  async groups(id: string, scope: 'catalogue' | 'list' = 'catalogue'): Promise<GroupView[]> {
    this.get(id);
    const [l, seen] = await Promise.all([this.loaded(id), this.files.readGroups(id)]);
    const counts = new Map<string, number>();
    for (const item of l?.stored.catalogue.items ?? []) if (item.group) counts.set(item.group, (counts.get(item.group) ?? 0) + 1);
    const entries = new Map((seen ?? []).map((g) => [g.group, g.entries]));
    const names = scope === 'list' ? new Set([...entries.keys(), ...counts.keys()]) : new Set(counts.keys());
    return [...names]
      .map((group) => ({ group, count: counts.get(group) ?? 0, entries: entries.get(group) ?? null }))
      .sort((a, b) => (scope === 'list' ? (b.entries ?? b.count) - (a.entries ?? a.count) : b.count - a.count) || a.group.localeCompare(b.group));
  }

  // Downloads ------------------------------------------------------------------------------------

  /** Creates one download per selected item; items the library has are skipped unless forced. */
  async download(id: string, sel: Selection): Promise<{ items: Job[]; skipped: Array<{ id: number; reason: string }> }> {
    const s = this.get(id);
    const l = await this.loaded(id);
    const byId = l ? byIdOf(l) : new Map<number, CatalogueItem>();
    const library = this.libraryIndex();
    const created: Job[] = [];
    const skipped: Array<{ id: number; reason: string }> = [];
    for (const itemId of new Set(sel.ids)) {
      const item = byId.get(itemId);
      if (!item) {
        skipped.push({ id: itemId, reason: 'not_found' });
        continue;
      }
      if (!sel.force && library.statusOf(item.key, item.qs === 'accepted') === 'downloaded') {
        skipped.push({ id: itemId, reason: 'already_downloaded' });
        continue;
      }
      const job = await this.createJob(s, item, { priority: sel.priority, quality: sel.quality, container: sel.container });
      library.add(item.key, job.id);
      created.push(job);
    }
    return { items: created, skipped };
  }

  /** What rules would queue now: from the last sync's fresh items, or from everything the library lacks. */
  async previewRules(id: string, input: { rules?: Array<Partial<Rule> & Pick<Rule, 'kind' | 'value'>> | undefined; scope: 'last_sync' | 'all' }): Promise<Array<{ rule: { id: string; name: string }; priority: Priority; item: ItemView }>> {
    const s = this.get(id);
    const l = await this.loaded(id);
    if (!l) return [];
    const library = this.libraryIndex();
    const seq = s.catalogue_seq;
    const candidates = l.stored.catalogue.items.filter((item) => {
      const status = this.statusOf(item, seq, library);
      if (status === 'downloaded' || status === 'removed') return false;
      return input.scope === 'all' || status === 'new' || status === 'upgrade';
    });
    const rules = (input.rules ?? s.rules).map((r) => ({ ...normalizeRule(r), dry_run: false }));
    const now = new Date(this.deps.clock.now());
    return evaluateRules(rules, candidates, { now, priority: { highMaxAgeYears: s.priority.high_max_age_years, lowMinAgeYears: s.priority.low_min_age_years } }).map((m) => ({
      rule: { id: m.rule.id, name: m.rule.name },
      priority: m.priority,
      item: this.itemView(s, m.item, this.statusOf(m.item, seq, library), library, now),
    }));
  }

  /** Live channels of every source (GET /api/channels), with what is on now and next. */
  async channels(query: ChannelQuery): Promise<ChannelPage & { items: Array<Channel & { now: GuideProgramme | null; next: GuideProgramme | null }> }> {
    const page = queryChannels(this.deps.channels ? await this.deps.channels.all() : [], query);
    const items = await Promise.all(page.items.map(async (c) => ({ ...c, ...(this.deps.guides ? await this.deps.guides.nowNext(c) : { now: null, next: null }) })));
    return { ...page, items };
  }

  /** Every source's channels. */
  async allChannels(): Promise<Channel[]> {
    return this.deps.channels ? this.deps.channels.all() : [];
  }

  /** A channel's programmes overlapping [from, to). */
  async programmesOf(channel: Channel, from: number, to: number): Promise<GuideProgramme[]> {
    return this.deps.guides ? this.deps.guides.programmes(channel, from, to) : [];
  }

  /** A channel's programmes in the next `hours` (GET /api/channels/:id/guide). */
  async channelGuide(id: string, hours: number): Promise<GuideProgramme[]> {
    const channel = this.deps.channels ? await this.deps.channels.get(id) : undefined;
    if (!channel) throw notFound(`channel ${id}`);
    if (!this.deps.guides) return [];
    const now = this.deps.clock.now();
    return this.deps.guides.programmes(channel, now, now + hours * 3600_000);
  }

  /**
   * Records a channel (POST /api/channels/:id/record): a job with the channel's URL as its source
   * kind resolves it, the source's and the list's headers, the source's connection limit, and
   * `live` as asked (nothing: record until stopped, capped by max_recording_minutes).
   */
  async recordChannel(
    id: string,
    request: { live?: LiveRequest | undefined; title?: string | undefined; priority?: Priority | undefined; programme?: { start: string } | undefined },
  ): Promise<Job> {
    const channel = this.deps.channels ? await this.deps.channels.get(id) : undefined;
    if (!channel) throw notFound(`channel ${id}`);
    const s = this.get(channel.source_id);
    const kind = connectSource(s);
    const base = {
      url: kind.resolveUrl(channel.url),
      headers: { ...kind.downloadHeaders(), ...channel.headers },
      priority: request.priority ?? ('high' as const),
      source_id: s.id,
    };
    if (request.programme) {
      const start = Date.parse(request.programme.start);
      const programme = this.deps.guides ? (await this.deps.guides.programmes(channel, start - 1, start + 1)).find((p) => p.start === start) : undefined;
      if (!programme) throw badRequest(`programme: no programme of ${channel.name} starts at ${request.programme.start} (GET /api/channels/${id}/guide lists them)`, 'programme');
      return this.deps.jobs.create({ ...base, ...programmeRecording(channel.name, programme, this.deps.recordingPadding ?? { beforeMin: 2, afterMin: 5 }, this.deps.clock.now()), ...(request.title ? { title: request.title } : {}) });
    }
    return this.deps.jobs.create({
      ...base,
      title: request.title?.trim() || channel.name,
      content_type: 'recording',
      show: channel.name,
      live: { ...(request.live ?? {}), channel: request.live?.channel ?? channel.name },
    });
  }

  private async createJob(
    s: SourceRecord,
    item: CatalogueItem,
    opts: { priority?: Priority | undefined; quality?: string | undefined; container?: Container | undefined },
    signal?: AbortSignal,
  ): Promise<Job> {
    const kind = connectSource(s);
    const episodic = item.type === 'series' || item.type === 'novela';
    let meta = item.meta;
    if (!meta && this.deps.tmdb?.enabled && item.type !== 'other') {
      meta = await this.deps.tmdb.lookup({ kind: item.type === 'movie' ? 'movie' : 'tv', title: item.title, year: item.type === 'movie' ? item.year : null }, signal);
      if (meta) item.meta = meta;
    }
    const providerTmdb = item.tmdb && /^\d+$/.test(item.tmdb) ? Number(item.tmdb) : null;
    const now = new Date(this.deps.clock.now());
    return this.deps.jobs.create({
      url: kind.resolveUrl(item.url),
      title: displayTitle(item),
      headers: { ...kind.downloadHeaders(), ...(item.headers ?? {}) },
      priority: opts.priority ?? priorityFor({ contentType: item.type, year: item.year }, now, { highMaxAgeYears: s.priority.high_max_age_years, lowMinAgeYears: s.priority.low_min_age_years }),
      quality: opts.quality,
      container: opts.container,
      content_type: item.type,
      source_id: s.id,
      show: episodic ? item.title : null,
      year: item.year,
      season: item.season,
      episode: item.episode,
      episode_title: item.episode_title,
      tmdb_id: meta?.id ?? providerTmdb,
      // TMDB's poster only: a list's tvg-logo is often a channel logo, or on the provider's host.
      poster: meta?.poster ?? null,
      variant_key: item.key,
    });
  }
}

function ordered(l: Loaded): CatalogueItem[] {
  if (!l.ordered) {
    const items = l.stored.catalogue.items;
    const idx = items.map((_, i) => i);
    // Newest first; a stable sort keeps the provider's order within a generation.
    idx.sort((a, b) => Math.max(items[b]!.added, items[b]!.upgraded) - Math.max(items[a]!.added, items[a]!.upgraded) || a - b);
    l.ordered = idx.map((i) => items[i]!);
    l.search = null;
  }
  return l.ordered;
}

function byIdOf(l: Loaded): Map<number, CatalogueItem> {
  if (!l.byId) {
    l.byId = new Map();
    for (const item of l.stored.catalogue.items) l.byId.set(item.id, item);
  }
  return l.byId;
}

function normalizeRule(r: Partial<Rule> & Pick<Rule, 'kind' | 'value'>): Rule {
  return {
    id: r.id ?? randomUUID().slice(0, 8),
    name: r.name ?? '',
    enabled: r.enabled ?? true,
    kind: r.kind,
    value: r.value,
    content_types: r.content_types ?? [],
    language: r.language ?? null,
    max_per_sync: r.max_per_sync ?? 10,
    dry_run: r.dry_run ?? false,
  };
}

function qualitySettings(input: Partial<SourceRecord['quality']> | undefined, base: SourceRecord['quality']): SourceRecord['quality'] {
  const q = { ...base, ...stripUndefined(input ?? {}) };
  try {
    const cfg = resolveQualityFilter({ min: q.min, max: q.max, ceiling: input?.ceiling ?? (input?.max ? undefined : q.ceiling), acceptUnknown: q.accept_unknown });
    return { min: cfg.min, max: cfg.max, ceiling: cfg.ceiling, accept_unknown: cfg.acceptUnknown };
  } catch (err) {
    throw new AppError('invalid_request', `quality: ${(err as Error).message.replace(/^quality filter: /, '')}`, { httpStatus: 400, field: 'quality' });
  }
}

/** The kind's own settings must hold on the whole source (after a PATCH too): its schema says what and names the field. */
function checkKind(s: SourceRecord): void {
  const def = sourceKind(s.kind);
  const settings: Record<string, unknown> = {};
  for (const field of sourceKindFields(def)) settings[field] = (s as unknown as Record<string, unknown>)[field] ?? undefined;
  const parsed = def.settings.safeParse(settings);
  if (parsed.success) return;
  const issue = parsed.error.issues[0]!;
  const field = issue.path.join('.');
  const message = issue.input === undefined ? 'is required' : issue.message;
  throw new AppError('invalid_request', `${field}: ${message}`, { httpStatus: 400, ...(field ? { field } : {}) });
}

/** The kind's own fields of a new source (the other kinds' stay null). */
function kindSettings(kind: SourceKind, input: SourceSettings): Partial<SourceRecord> {
  const out: Record<string, unknown> = {};
  for (const field of sourceKindFields(sourceKind(kind))) out[field] = (input as Record<string, unknown>)[field] ?? null;
  return out as Partial<SourceRecord>;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  const out: Partial<T> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  return out;
}

