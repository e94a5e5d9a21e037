/** An NFO the add-on wrote: how it is told apart from one a person edited since (same size and hash). */
export interface MetadataFileRecord {
  destination_id: string;
  /** Relative to the destination's folder. */
  path: string;
  size: number;
  sha256: string;
  written_at: string;
}

/** A destination's `metadata` option: nothing, NFO files, or NFO files and artwork. */
export const METADATA_MODES = ['none', 'nfo', 'nfo+art'] as const;
export type MetadataMode = (typeof METADATA_MODES)[number];
