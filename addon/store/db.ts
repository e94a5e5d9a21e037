import { copyFile, mkdir, readFile, rename } from 'node:fs/promises';
import path from 'node:path';
import { Low } from 'lowdb';
import { DataFile } from 'lowdb/node';
import type { ApiKeyRecord, SessionRecord, User } from '../auth/model.js';
import type { Job } from '../jobs/model.js';
import type { DestinationRecord } from '../library/model.js';
import type { MetadataFileRecord } from '../library/metadata/model.js';
import type { MediaServerRecord } from '../mediaservers/model.js';
import type { SourceRecord, SyncRecord } from '../sources/model.js';
import type { Logger } from '../platform/logger.js';
import { LastGoodCopy, lastGoodName, savedAt as savedAtOf } from './last-good.js';
import type { SettingsOverrides } from '../ops/settings-model.js';
import type { NotifierRecord } from './notifier-record.js';

export interface DbSchema {
  version: 1;
  jobs: Job[];
  /** Bytes downloaded per local day, for /api/stats. */
  traffic: { day: string; bytes: number };
  /** The queue-level pause survives restarts: a paused queue must not start downloading on boot. */
  queue: { paused: boolean };
  /** Plain-Docker sign-in accounts, API keys (hashed) and cookie sessions (hashed). */
  users: User[];
  api_keys: ApiKeyRecord[];
  sessions: SessionRecord[];
  /** Playlist sources (their catalogues live in DATA_DIR/catalogues/, not here) and sync history. */
  sources: SourceRecord[];
  syncs: SyncRecord[];
  /** Library destinations (README "Library destinations"), secrets included: db.json stays in /data. */
  destinations: DestinationRecord[];
  /** Settings changed in the panel (PATCH /api/settings): they override env/options.json until reset. */
  settings: SettingsOverrides;
  /** The download speed limit and its weekly schedule (speed/schedule.ts), once changed in the panel. */
  speed?: unknown;
  /** Media servers to refresh (README "Media servers"); only MediaServerRepository touches it. */
  media_servers: MediaServerRecord[];
  /** NFO files the add-on wrote (to tell them from ones a user edited); only MetadataFileRepository touches it. */
  metadata_files: MetadataFileRecord[];
  /** Notification channels added in the panel (README "Notification channels"), secrets included. */
  notifiers: NotifierRecord[];
}

const emptyDb = (): DbSchema => ({ version: 1, jobs: [], traffic: { day: '', bytes: 0 }, queue: { paused: false }, users: [], api_keys: [], sessions: [], sources: [], syncs: [], destinations: [], settings: {}, media_servers: [], metadata_files: [], notifiers: [] });

export interface StoreOptions {
  /** Rotated copies of the last good db.json: db.json.bak (newest), db.json.bak.1, … */
  backups?: number;
  /** After a write, a fresh backup at most this often. */
  backupIntervalMs?: number;
  now?: () => number;
}

export interface StoreHealth {
  status: 'ok' | 'error';
  file: string;
  last_write_at: string | null;
  last_error: string | null;
  /** Set when db.json was corrupt at start: where it went and which backup replaced it. */
  moved_aside: string | null;
  restored_from: string | null;
  /** When the copy used had been saved: changes after this time were lost. */
  restored_saved_at: string | null;
}

type ReadResult = { state: 'ok'; data: Partial<DbSchema> } | { state: 'missing' } | { state: 'corrupt'; error: string };

/** Reads and shape-checks a store file without trusting it. */
async function readDb(file: string): Promise<ReadResult> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { state: 'missing' };
    return { state: 'corrupt', error: (err as Error).message };
  }
  try {
    const data: unknown = JSON.parse(text);
    if (!data || typeof data !== 'object' || Array.isArray(data)) return { state: 'corrupt', error: 'not a JSON object' };
    if ('jobs' in data && !Array.isArray((data as { jobs: unknown }).jobs)) return { state: 'corrupt', error: 'jobs is not a list' };
    return { state: 'ok', data: data as Partial<DbSchema> };
  } catch (err) {
    return { state: 'corrupt', error: text.trim() === '' ? 'the file is empty' : (err as Error).message };
  }
}

/**
 * Each frozen job row's JSON, kept while the row lives: JobRepository replaces a row on every
 * change (copy on write) and freezes it, so a row that is still the same object still has the
 * same JSON. A write then stringifies only the jobs changed since the last one, not all of
 * them: with 12,500 jobs, ~7 ms instead of ~15 ms of blocked event loop (best of 20) once a
 * second while anything changes.
 */
const rowJson = new WeakMap<object, string>();

function jobJson(row: unknown): string {
  if (!row || typeof row !== 'object' || !Object.isFrozen(row)) return JSON.stringify(row);
  let json = rowJson.get(row);
  if (json === undefined) {
    json = JSON.stringify(row);
    rowJson.set(row, json);
  }
  return json;
}

/** The same JSON as JSON.stringify(data) (jobs first), with unchanged job rows reused. */
export function serialize(data: DbSchema): string {
  const { jobs, ...rest } = data;
  if (!Array.isArray(jobs)) return JSON.stringify(data);
  const others = JSON.stringify(rest);
  const list = `"jobs":[${jobs.map(jobJson).join(',')}]`;
  return others === '{}' ? `{${list}}` : `{${list},${others.slice(1)}`;
}

export const backupNames = (file: string, count: number): string[] => Array.from({ length: count }, (_, i) => (i === 0 ? `${file}.bak` : `${file}.bak.${i}`));

/**
 * The single writer of db.json. Every change only marks the store dirty (`changed()`); one
 * interval later (a second in production) one write persists everything changed so far, and the
 * next write is at least an interval after the end of this one, so no two writes ever land in
 * the same second.
 * `flush()` waits for the next such write; `close()` (shutdown) writes at once. Writes are
 * compact JSON and atomic (temp file + rename, by lowdb's steno): a crash leaves the previous
 * whole file, at most one interval old. Running downloads do not depend on it: their journals
 * are what a resume trusts.
 *
 * The last good copy is kept: when db.json is read successfully at start, and after a write at
 * most once an hour, it is copied to db.json.bak, the older copies shifting to .bak.1 and .bak.2.
 * A db.json that cannot be read at start is moved aside (db.json.corrupt-<time>, never deleted)
 * and the newest backup that reads is used instead, with one error line saying so.
 */
export class Store {
  private timer: NodeJS.Timeout | null = null;
  private dirty = false;
  /** The write in progress, if any. */
  private writing: Promise<void> | null = null;
  /** flush() callers waiting for the next write. */
  private waiters: Array<{ resolve: () => void; reject: (err: unknown) => void }> = [];
  /** When the last write ended (its rename): the next one starts an interval later. */
  private lastWriteEnd = Number.NEGATIVE_INFINITY;
  private writes = 0;
  private lastWriteAt: number | null = null;
  private lastError: string | null = null;
  private lastBackupAt = 0;
  private backingUp: Promise<void> = Promise.resolve();
  /** db.json copied after every write (db.json.last-good): a restore loses seconds, not an hour. */
  private readonly lastGood: LastGoodCopy;

  private constructor(
    private readonly db: Low<DbSchema>,
    private readonly logger: Logger,
    private readonly intervalMs: number,
    private readonly file: string,
    private readonly options: Required<StoreOptions>,
    private readonly recovery: { movedAside: string | null; restoredFrom: string | null; savedAt: string | null },
  ) {
    this.lastGood = new LastGoodCopy(file, logger);
  }

  static async open(file: string, logger: Logger, intervalMs = 1000, options: StoreOptions = {}): Promise<Store> {
    const opts: Required<StoreOptions> = { backups: options.backups ?? 3, backupIntervalMs: options.backupIntervalMs ?? 3600_000, now: options.now ?? (() => Date.now()) };
    await mkdir(path.dirname(file), { recursive: true });
    // Compact: a pretty-printed store is a third larger and slower to write, and nobody reads it.
    const db = new Low<DbSchema>(new DataFile<DbSchema>(file, { parse: JSON.parse, stringify: serialize }), emptyDb());
    const read = await readDb(file);
    const recovery = { movedAside: null as string | null, restoredFrom: null as string | null, savedAt: null as string | null };
    if (read.state === 'ok') {
      db.data = read.data as DbSchema;
    } else if (read.state === 'corrupt') {
      // Never silently start empty over a user's data: keep the unreadable file for inspection.
      recovery.movedAside = `${file}.corrupt-${new Date(opts.now()).toISOString().replace(/[:.]/g, '-')}`;
      await rename(file, recovery.movedAside);
      // The copy taken after the last write first, then the hourly rotation.
      for (const candidate of [lastGoodName(file), ...backupNames(file, opts.backups)]) {
        const backup = await readDb(candidate);
        if (backup.state !== 'ok') continue;
        db.data = backup.data as DbSchema;
        recovery.restoredFrom = candidate;
        const savedAt = await savedAtOf(candidate);
        recovery.savedAt = savedAt;
        logger.error(
          { error: read.error, movedTo: recovery.movedAside, restoredFrom: candidate, backupSavedAt: savedAt, jobs: backup.data.jobs?.length ?? 0 },
          `db.json could not be read (${read.error}): moved aside to ${path.basename(recovery.movedAside)}, using the last good copy ${path.basename(candidate)} saved at ${savedAt}`,
        );
        break;
      }
      if (!recovery.restoredFrom) {
        logger.error(
          { error: read.error, movedTo: recovery.movedAside },
          `db.json could not be read (${read.error}) and no backup is usable: moved aside to ${path.basename(recovery.movedAside)}, starting with an empty store`,
        );
      }
    }
    db.data = { ...emptyDb(), ...db.data };
    const store = new Store(db, logger, intervalMs, file, opts, recovery);
    if (read.state === 'ok') await store.backup();
    // The restored copy goes to disk at once, before anything else can change it.
    if (read.state === 'corrupt') await store.write();
    return store;
  }

  health(): StoreHealth {
    return {
      status: this.lastError ? 'error' : 'ok',
      file: this.file,
      last_write_at: this.lastWriteAt === null ? null : new Date(this.lastWriteAt).toISOString(),
      last_error: this.lastError,
      moved_aside: this.recovery.movedAside,
      restored_from: this.recovery.restoredFrom,
      restored_saved_at: this.recovery.savedAt,
    };
  }

  /** Copies db.json (as written) to db.json.bak, shifting older copies; failures are logged only. */
  backup(): Promise<void> {
    this.lastBackupAt = this.options.now();
    const names = backupNames(this.file, this.options.backups);
    this.backingUp = this.backingUp.then(async () => {
      try {
        for (let i = names.length - 1; i > 0; i--) {
          await rename(names[i - 1]!, names[i]!).catch((err: NodeJS.ErrnoException) => {
            if (err.code !== 'ENOENT') throw err;
          });
        }
        const tmp = `${names[0]!}.tmp`;
        await copyFile(this.file, tmp);
        await rename(tmp, names[0]!);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') this.logger.warn({ err }, 'could not back up db.json');
      }
    });
    return this.backingUp;
  }

  get data(): DbSchema {
    return this.db.data;
  }

  /** Something changed: it is persisted by the next write (at most one per interval). */
  changed(): void {
    this.dirty = true;
    this.schedule();
  }

  /** How many times db.json has been written since open (health and tests). */
  get writeCount(): number {
    return this.writes;
  }

  /**
   * Waits until everything changed so far is on disk: the next write, which keeps the interval
   * (it does not write early). Rejects when that write fails.
   */
  flush(): Promise<void> {
    this.dirty = true;
    const done = new Promise<void>((resolve, reject) => this.waiters.push({ resolve, reject }));
    this.schedule();
    return done;
  }

  private schedule(): void {
    if (this.timer || this.writing) return; // a write in progress reschedules when it ends
    // A change waits one interval (so a burst is one write), and never less than an interval
    // after the previous write ended (so two writes never share a second).
    const wait = Math.max(this.intervalMs, this.lastWriteEnd + this.intervalMs - this.options.now());
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.write().catch((err: unknown) => this.logger.error({ err }, 'store write failed'));
    }, wait);
  }

  /** One write of the whole store; it settles the waiters that were there when it began. */
  private write(): Promise<void> {
    this.dirty = false;
    const waiters = this.waiters;
    this.waiters = [];
    const run = async (): Promise<void> => {
      try {
        await this.db.write();
      } catch (err) {
        this.lastError = (err as Error).message;
        for (const w of waiters) w.reject(err);
        throw err;
      } finally {
        this.lastWriteEnd = this.options.now();
      }
      this.writes++;
      this.lastError = null;
      this.lastWriteAt = this.lastWriteEnd;
      for (const w of waiters) w.resolve();
      this.lastGood.saved();
      if (this.lastWriteAt - this.lastBackupAt >= this.options.backupIntervalMs) void this.backup();
    };
    this.writing = run().finally(() => {
      this.writing = null;
      if (this.dirty || this.waiters.length) this.schedule();
    });
    return this.writing;
  }

  /** Shutdown: waits for a write in progress, then writes what is still unsaved at once. */
  async close(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    await this.writing?.catch(() => undefined);
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    if (this.dirty || this.waiters.length) await this.write();
    await this.backingUp;
    await this.lastGood.settled();
  }
}
