import type { NotifierRecord } from './notifier-record.js';
import type { Store } from './db.js';

/**
 * The only code that reads or writes the `notifiers` part of the store. Hands out copies, so a
 * caller changing a record changes nothing until it calls `save`; every change is written before
 * the call returns (a notifier a person just added must survive a restart).
 */
export class NotifierRepository {
  constructor(private readonly store: Store) {}

  list(): NotifierRecord[] {
    return this.records().map((r) => structuredClone(r));
  }

  get(id: string): NotifierRecord | undefined {
    const found = this.records().find((r) => r.id === id);
    return found ? structuredClone(found) : undefined;
  }

  async insert(record: NotifierRecord): Promise<void> {
    if (this.records().some((r) => r.id === record.id)) throw new Error(`notifier ${record.id} exists`);
    this.records().push(structuredClone(record));
    await this.store.flush();
  }

  /** Replaces the stored record with the same id. */
  async save(record: NotifierRecord): Promise<void> {
    const list = this.records();
    const index = list.findIndex((r) => r.id === record.id);
    if (index < 0) throw new Error(`notifier ${record.id} does not exist`);
    list[index] = structuredClone(record);
    await this.store.flush();
  }

  async remove(id: string): Promise<boolean> {
    const list = this.records();
    const index = list.findIndex((r) => r.id === id);
    if (index < 0) return false;
    list.splice(index, 1);
    await this.store.flush();
    return true;
  }

  private records(): NotifierRecord[] {
    // Stores written before notifiers existed have no such list yet.
    this.store.data.notifiers ??= [];
    return this.store.data.notifiers;
  }
}
