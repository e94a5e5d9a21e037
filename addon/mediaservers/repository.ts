import type { Store } from '../store/db.js';
import type { MediaServerRecord } from './model.js';

const copy = (r: MediaServerRecord): MediaServerRecord => structuredClone(r);

/**
 * The only code that reads or writes the media servers in db.json. Hands out copies, so a
 * caller can never change the store behind its back; changes go through create/replace/remove
 * and are persisted by the store's one writer (within a second, as every change is).
 */
export class MediaServerRepository {
  constructor(private readonly store: Store) {}

  private get rows(): MediaServerRecord[] {
    // Stores written before media servers existed have no list yet.
    this.store.data.media_servers ??= [];
    return this.store.data.media_servers;
  }

  list(): MediaServerRecord[] {
    return this.rows.map(copy);
  }

  find(id: string): MediaServerRecord | undefined {
    const r = this.rows.find((x) => x.id === id);
    return r ? copy(r) : undefined;
  }

  has(id: string): boolean {
    return this.rows.some((x) => x.id === id);
  }

  async create(record: MediaServerRecord): Promise<void> {
    if (this.has(record.id)) throw new Error(`media server ${record.id} exists`);
    this.rows.push(copy(record));
    this.store.changed();
  }

  async replace(record: MediaServerRecord): Promise<void> {
    const i = this.rows.findIndex((x) => x.id === record.id);
    if (i < 0) throw new Error(`media server ${record.id} does not exist`);
    this.rows.splice(i, 1, copy(record));
    this.store.changed();
  }

  async remove(id: string): Promise<boolean> {
    const i = this.rows.findIndex((x) => x.id === id);
    if (i < 0) return false;
    this.rows.splice(i, 1);
    this.store.changed();
    return true;
  }
}
