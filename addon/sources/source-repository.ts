/**
 * The playlist sources in db.json and their sync records: the only code that reads or writes
 * `store.data.sources` and `store.data.syncs`. It hands out copies, so a caller cannot change a
 * stored record by accident (a sync works on a snapshot of its source; an edit made while it runs
 * is not overwritten, because the sync writes back only its own fields through patch()).
 */
import type { Store } from '../store/db.js';
import type { SourceRecord, SyncRecord } from './model.js';

export type SourcePatch = Partial<Omit<SourceRecord, 'id' | 'kind' | 'created_at'>>;

export class SourceRepository {
  constructor(private readonly store: Store) {}

  private get rows(): SourceRecord[] {
    return this.store.data.sources;
  }

  private get syncRows(): SyncRecord[] {
    return this.store.data.syncs;
  }

  list(): SourceRecord[] {
    return this.rows.map((r) => structuredClone(r));
  }

  find(id: string): SourceRecord | undefined {
    const row = this.rows.find((r) => r.id === id);
    return row ? structuredClone(row) : undefined;
  }

  has(id: string): boolean {
    return this.rows.some((r) => r.id === id);
  }

  /** One field read without copying the record (the connection limit is read per request). */
  connectionLimit(id: string): number | undefined {
    return this.rows.find((r) => r.id === id)?.connection_limit;
  }

  async insert(record: SourceRecord): Promise<void> {
    if (this.has(record.id)) throw new Error(`source ${record.id} exists already`);
    this.rows.push(structuredClone(record));
    this.store.changed();
  }

  /** Replaces the stored source with the same id, in its place. */
  async replace(record: SourceRecord): Promise<void> {
    const index = this.rows.findIndex((r) => r.id === record.id);
    if (index < 0) throw new Error(`source ${record.id} does not exist`);
    this.rows.splice(index, 1, structuredClone(record));
    this.store.changed();
  }

  /**
   * Sets some fields of the stored source and returns the result (a copy), or undefined when it
   * was removed meanwhile (a sync that ends after its source was deleted writes nothing).
   */
  patch(id: string, fields: SourcePatch): SourceRecord | undefined {
    const row = this.rows.find((r) => r.id === id);
    if (!row) return undefined;
    Object.assign(row, structuredClone(fields));
    this.store.changed();
    return structuredClone(row);
  }

  /** Removes the source and its sync records. */
  async remove(id: string): Promise<void> {
    const data = this.store.data;
    data.sources = data.sources.filter((r) => r.id !== id);
    data.syncs = data.syncs.filter((r) => r.source_id !== id);
    this.store.changed();
  }

  // Sync records ---------------------------------------------------------------------------------

  /** A source's sync records, newest first. */
  syncsOf(id: string): SyncRecord[] {
    const out: SyncRecord[] = [];
    for (let i = this.syncRows.length - 1; i >= 0; i--) if (this.syncRows[i]!.source_id === id) out.push(structuredClone(this.syncRows[i]!));
    return out;
  }

  /** Appends a sync record, keeping at most `keep` per source (the oldest go). */
  addSync(record: SyncRecord, keep: number): void {
    const syncs = this.syncRows;
    syncs.push(structuredClone(record));
    let mine = 0;
    for (let i = syncs.length - 1; i >= 0; i--) {
      if (syncs[i]!.source_id !== record.source_id) continue;
      if (++mine > keep) syncs.splice(i, 1);
    }
    this.store.changed();
  }

  /**
   * After a restart: a source left "syncing" and a sync record left "running" were interrupted
   * (their catalogue was not replaced). Returns how many records it fixed.
   */
  settleInterrupted(): number {
    let fixed = 0;
    for (const s of this.rows) {
      if (s.status !== 'syncing') continue;
      s.status = s.error ? 'failed' : s.last_sync_at ? 'ok' : 'idle';
      fixed++;
    }
    for (const r of this.syncRows) {
      if (r.status !== 'running') continue;
      r.status = 'failed';
      r.error = { code: 'interrupted', message: 'the add-on stopped during this sync' };
      fixed++;
    }
    if (fixed > 0) this.store.changed();
    return fixed;
  }
}
