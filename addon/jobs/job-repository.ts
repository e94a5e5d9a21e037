/**
 * The jobs in db.json, the queue's pause and the day's traffic: the only code that reads or writes
 * `store.data.jobs`, `store.data.queue` and `store.data.traffic`.
 *
 * Copy on write, frozen reads: every stored job is deep-frozen, and a change replaces the row with
 * a new frozen object. Reads hand out the stored rows themselves, so a caller cannot change a
 * stored job by accident (assigning to a field throws in our strict-mode ESM) and nothing is
 * copied to read. Copies were measured against this: cloning the 12,500 rows of the store bench
 * (structuredClone) costs 70–190 ms on the bench machine, and the scheduler and the MQTT and
 * series-rule views read every row; freezing them all once costs 20–35 ms at start.
 * Every change marks the store dirty; the one writer (store/db.ts) persists at most once a second.
 */
import type { DbSchema, Store } from '../store/db.js';
import type { Job, JobStatus } from './model.js';

/** The part of the store this repository owns (a Store, or an in-memory object in tests). */
export type JobStore = Pick<Store, 'changed'> & Partial<Pick<Store, 'flush'>> & { readonly data: Pick<DbSchema, 'jobs' | 'queue' | 'traffic'> };

/** A change to a job: a field set to undefined is removed from the record. */
export type JobPatch = { [K in keyof Job]?: Job[K] | undefined };

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value as Record<string, unknown>)) deepFreeze(v);
  }
  return value;
}

/**
 * Bumped on the jobs array by every change any JobRepository makes (a symbol: JSON never sees
 * it), so a second repository over the same store (tests) never trusts a stale index.
 */
const VERSION = Symbol('job rows version');
type Rows = Job[] & { [VERSION]?: number };

/**
 * What the hot paths ask on every create and every scheduling pass, kept instead of scanned:
 * 12,500 rows of a dozen shapes make each scan ~0.5 ms (megamorphic property loads), and a
 * sync creating 2,500 jobs asked three scans per job.
 */
interface Index {
  rows: Rows;
  version: number;
  position: Map<string, number>;
  byStatus: Record<JobStatus, number>;
  /** Pending recordings with a start_at: what the wake-up timer looks at. */
  scheduled: Set<string>;
}

const emptyCounts = (): Record<JobStatus, number> => ({ pending: 0, downloading: 0, merging: 0, transferring: 0, completed: 0, failed: 0, paused: 0, cancelled: 0 });
const isScheduled = (j: Job): boolean => j.status === 'pending' && Boolean(j.live?.start_at);

export class JobRepository {
  private index: Index | null = null;

  constructor(private readonly store: JobStore) {}

  /** Resolves once every change so far is in db.json (at once for a store that does not write). */
  async persisted(): Promise<void> {
    await this.store.flush?.();
  }

  private get rows(): Rows {
    return this.indexed().rows;
  }

  /** The index, rebuilt (and rows read from db.json frozen) when the rows changed behind it. */
  private indexed(): Index {
    const rows = this.store.data.jobs as Rows;
    const version = rows[VERSION] ?? 0;
    if (this.index && this.index.rows === rows && this.index.version === version && this.index.position.size === rows.length) return this.index;
    const index: Index = { rows, version, position: new Map(), byStatus: emptyCounts(), scheduled: new Set() };
    rows.forEach((row, i) => {
      deepFreeze(row);
      index.position.set(row.id, i);
      index.byStatus[row.status]++;
      if (isScheduled(row)) index.scheduled.add(row.id);
    });
    this.index = index;
    return index;
  }

  /** Records a change made to the rows: the index follows it instead of being rebuilt. */
  private changed(index: Index, before: Job | null, after: Job | null): void {
    if (before) {
      index.byStatus[before.status]--;
      index.scheduled.delete(before.id);
    }
    if (after) {
      index.byStatus[after.status]++;
      if (isScheduled(after)) index.scheduled.add(after.id);
    }
    index.version = (index.rows[VERSION] ?? 0) + 1;
    Object.defineProperty(index.rows, VERSION, { value: index.version, writable: true, configurable: true, enumerable: false });
    this.store.changed();
  }

  private positionOf(id: string): number {
    const index = this.indexed();
    const at = index.position.get(id);
    return at !== undefined && index.rows[at]?.id === id ? at : -1;
  }

  /** Every job in creation order: the stored rows, frozen (read-only views, nothing copied). */
  all(): readonly Job[] {
    return this.rows;
  }

  find(id: string): Job | undefined {
    const at = this.positionOf(id);
    return at < 0 ? undefined : this.rows[at];
  }

  /**
   * A view that always reads the current record of `id` (or its last one, once removed): for
   * code that holds a job across changes it does not make itself (a transfer reads `transfer`
   * after each attempt its hooks record). Read-only like every row.
   */
  live(id: string): Job {
    let last = this.find(id);
    if (!last) throw new Error(`job ${id} does not exist`);
    return new Proxy({} as Job, {
      get: (_target, key) => {
        last = this.find(id) ?? last;
        return (last as unknown as Record<string | symbol, unknown>)[key];
      },
      has: (_target, key) => key in (this.find(id) ?? last!),
      ownKeys: () => Reflect.ownKeys(this.find(id) ?? last!),
      getOwnPropertyDescriptor: (_target, key) => {
        const d = Reflect.getOwnPropertyDescriptor(this.find(id) ?? last!, key);
        return d ? { ...d, configurable: true } : undefined;
      },
      set: () => false,
      deleteProperty: () => false,
    });
  }

  count(status: JobStatus): number {
    return this.indexed().byStatus[status];
  }

  /** Jobs by status. */
  countByStatus(): Record<JobStatus, number> {
    return { ...this.indexed().byStatus };
  }

  /** Pending recordings that wait for their start_at (live.start_at set). */
  scheduledRecordings(): Job[] {
    const index = this.indexed();
    return [...index.scheduled].map((id) => index.rows[index.position.get(id)!]!);
  }

  /** Transfers to one destination: running, and waiting for it to come back (an error noted). */
  transferCounts(destinationId: string): { active: number; waiting: number } {
    let active = 0;
    let waiting = 0;
    for (const job of this.rows) {
      if (job.status !== 'transferring' || job.transfer?.destination_id !== destinationId) continue;
      if (job.error) waiting++;
      else active++;
    }
    return { active, waiting };
  }

  /** Adds a job (a frozen copy of it) at the end; returns the stored row. */
  insert(job: Job): Job {
    if (this.find(job.id)) throw new Error(`job ${job.id} exists already`);
    const row = deepFreeze(structuredClone(job));
    const index = this.indexed();
    index.position.set(row.id, index.rows.length);
    index.rows.push(row);
    this.changed(index, null, row);
    return row;
  }

  /** Replaces the job with itself changed by `patch`, in its place; returns the new row. */
  update(id: string, patch: JobPatch): Job {
    const at = this.positionOf(id);
    if (at < 0) throw new Error(`job ${id} does not exist`);
    const index = this.indexed();
    const before = index.rows[at]!;
    const next = { ...before, ...structuredClone(patch) } as Record<string, unknown>;
    for (const [key, value] of Object.entries(patch)) if (value === undefined) delete next[key];
    const row = deepFreeze(next as unknown as Job);
    index.rows[at] = row;
    this.changed(index, before, row);
    return row;
  }

  remove(id: string): boolean {
    return this.removeMany(new Set([id])) > 0;
  }

  /** Removes every job whose id is in `ids`, in one change; returns how many were removed. */
  removeMany(ids: ReadonlySet<string>): number {
    const rows = this.rows;
    const kept = rows.filter((j) => !ids.has(j.id));
    const removed = rows.length - kept.length;
    if (removed === 0) return 0;
    rows.length = 0;
    for (const j of kept) rows.push(j);
    // Positions moved: the next read rebuilds the index.
    Object.defineProperty(rows, VERSION, { value: (rows[VERSION] ?? 0) + 1, writable: true, configurable: true, enumerable: false });
    this.index = null;
    this.store.changed();
    return removed;
  }

  /** The queue-level pause, which survives restarts. */
  queuePaused(): boolean {
    return this.store.data.queue.paused;
  }

  setQueuePaused(paused: boolean): void {
    if (this.store.data.queue.paused === paused) return;
    this.store.data.queue = { ...this.store.data.queue, paused };
    this.store.changed();
  }

  /** Bytes downloaded on `day` (a local YYYY-MM-DD). */
  trafficOn(day: string): number {
    const t = this.store.data.traffic;
    return t.day === day ? t.bytes : 0;
  }

  /**
   * Counts downloaded bytes for `day`. Called for every chunk, so it does not mark the store
   * dirty: the count rides on the next write (a state change or any other), as it always has.
   */
  addTraffic(day: string, bytes: number): void {
    const t = this.store.data.traffic;
    if (t.day !== day) {
      t.day = day;
      t.bytes = 0;
    }
    t.bytes += bytes;
  }
}
