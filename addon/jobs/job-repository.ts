/**
 * The jobs in db.json, the queue's pause and the day's traffic: the only code that reads or writes
 * `store.data.jobs`, `store.data.queue` and `store.data.traffic`.
 *
 * Copy on write, frozen reads: every stored job is deep-frozen, and a change replaces the row with
 * a new frozen object. Reads hand out the stored rows themselves, so a caller cannot change a
 * stored job by accident (assigning to a field throws in our strict-mode ESM) and nothing is
 * copied to read. Copies were measured against this: cloning the 12,500 rows of the store bench
 * for one scan costs ~100 ms, and the scheduler, the API's list and every view scan them.
 * Every change marks the store dirty; the one writer (store/db.ts) persists at most once a second.
 */
import type { Store } from '../store/db.js';
import type { Job, JobStatus } from './model.js';

/** A change to a job: a field set to undefined is removed from the record. */
export type JobPatch = { [K in keyof Job]?: Job[K] | undefined };

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value as Record<string, unknown>)) deepFreeze(v);
  }
  return value;
}

export class JobRepository {
  /** The array last frozen, so rows read from db.json at start are frozen once, on first use. */
  private frozenRows: Job[] | null = null;

  constructor(private readonly store: Store) {}

  private get rows(): Job[] {
    const rows = this.store.data.jobs;
    if (this.frozenRows !== rows) {
      for (const row of rows) deepFreeze(row);
      this.frozenRows = rows;
    }
    return rows;
  }

  /** Every job in creation order: the stored rows, frozen (read-only views, nothing copied). */
  all(): readonly Job[] {
    return this.rows;
  }

  find(id: string): Job | undefined {
    return this.rows.find((j) => j.id === id);
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
    let n = 0;
    for (const j of this.rows) if (j.status === status) n++;
    return n;
  }

  /** Jobs by status, in one pass. */
  countByStatus(): Record<JobStatus, number> {
    const by: Record<JobStatus, number> = { pending: 0, downloading: 0, merging: 0, transferring: 0, completed: 0, failed: 0, paused: 0, cancelled: 0 };
    for (const j of this.rows) by[j.status]++;
    return by;
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
    this.rows.push(row);
    this.store.changed();
    return row;
  }

  /** Replaces the job with itself changed by `patch`, in its place; returns the new row. */
  update(id: string, patch: JobPatch): Job {
    const rows = this.rows;
    const index = rows.findIndex((j) => j.id === id);
    if (index < 0) throw new Error(`job ${id} does not exist`);
    const next = { ...rows[index]!, ...structuredClone(patch) } as Record<string, unknown>;
    for (const [key, value] of Object.entries(patch)) if (value === undefined) delete next[key];
    const row = deepFreeze(next as unknown as Job);
    rows[index] = row;
    this.store.changed();
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
