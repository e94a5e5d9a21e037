import type { Store } from '../../store/db.js';
import type { MetadataFileRecord } from './model.js';

/**
 * The only code touching db.json's `metadata_files`: what the add-on wrote where, so an NFO
 * that changed since (a person edited it) is told apart from ours and left alone.
 */
export class MetadataFileRepository {
  constructor(private readonly store: Store) {}

  private get rows(): MetadataFileRecord[] {
    this.store.data.metadata_files ??= [];
    return this.store.data.metadata_files;
  }

  find(destinationId: string, path: string): MetadataFileRecord | undefined {
    const r = this.rows.find((x) => x.destination_id === destinationId && x.path === path);
    return r ? { ...r } : undefined;
  }

  record(entry: MetadataFileRecord): void {
    const i = this.rows.findIndex((x) => x.destination_id === entry.destination_id && x.path === entry.path);
    if (i >= 0) this.rows.splice(i, 1, { ...entry });
    else this.rows.push({ ...entry });
    this.store.changed();
  }

  /** The destination was deleted: what we wrote there is no longer ours to track. */
  forgetDestination(destinationId: string): void {
    const before = this.rows.length;
    this.store.data.metadata_files = this.rows.filter((x) => x.destination_id !== destinationId);
    if (this.store.data.metadata_files.length !== before) this.store.changed();
  }
}
