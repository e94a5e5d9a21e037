/**
 * The destinations in db.json: the only code that reads or writes `store.data.destinations`.
 * It hands out copies, so a caller cannot change a stored record by accident; changes go
 * through insert/replace/remove, which persist before they resolve (a destination saved through
 * the API is on disk when the API answers).
 */
import type { Store } from '../store/db.js';
import type { DestinationRecord } from './model.js';

export class DestinationRepository {
  constructor(private readonly store: Store) {}

  private get rows(): DestinationRecord[] {
    return this.store.data.destinations;
  }

  list(): DestinationRecord[] {
    return this.rows.map((r) => structuredClone(r));
  }

  find(id: string): DestinationRecord | undefined {
    const row = this.rows.find((r) => r.id === id);
    return row ? structuredClone(row) : undefined;
  }

  has(id: string): boolean {
    return this.rows.some((r) => r.id === id);
  }

  /** Adds a destination (`first`: before the others, as the default destination is kept). */
  async insert(record: DestinationRecord, options: { first?: boolean; persist?: 'now' | 'soon' } = {}): Promise<void> {
    if (this.has(record.id)) throw new Error(`destination ${record.id} exists already`);
    const copy = structuredClone(record);
    if (options.first) this.rows.unshift(copy);
    else this.rows.push(copy);
    await this.persist(options.persist);
  }

  /** Replaces the stored destination with the same id, in its place. */
  async replace(record: DestinationRecord, options: { persist?: 'now' | 'soon' } = {}): Promise<void> {
    const index = this.rows.findIndex((r) => r.id === record.id);
    if (index < 0) throw new Error(`destination ${record.id} does not exist`);
    this.rows.splice(index, 1, structuredClone(record));
    await this.persist(options.persist);
  }

  async remove(id: string): Promise<void> {
    const index = this.rows.findIndex((r) => r.id === id);
    if (index < 0) return;
    this.rows.splice(index, 1);
    await this.persist();
  }

  /** `soon` (the default) lets the one writer coalesce it within a second, as every change is; `now` waits for the write. */
  private async persist(when: 'now' | 'soon' = 'soon'): Promise<void> {
    if (when === 'soon') this.store.changed();
    else await this.store.flush();
  }
}
