/**
 * Media servers as db.json, the API and the panel see them. Part of the backend contract (the
 * panel imports these types), so: type-only imports, nothing that does I/O.
 */
import type { MediaServerState } from './types.js';

/** How long completions in one folder are gathered before that folder is refreshed. */
export const REFRESH_WINDOW_MS = 30_000;

export interface PathMapEntry {
  /** A folder as the add-on sees it: `/media/library`, `/share/Movies`, `//nas/media`. */
  from: string;
  /** The same folder as the media server sees it: `/data/movies`, `smb://nas/media`, `D:\Media`. */
  to: string;
}

/** What db.json holds for one media server, secrets included (they are needed to connect). */
export interface MediaServerRecord {
  id: string;
  name: string;
  kind: string;
  enabled: boolean;
  /** Destination ids whose files this server shows; empty: every destination. */
  destinations: string[];
  path_map: PathMapEntry[];
  /** The kind's own settings (url, api_key, token, username, password). */
  settings: Record<string, unknown>;
  created_at: string;
  updated_at: string;
}

/** Memory only: the last contact and the refresh counters since start. */
export interface MediaServerStatusView {
  /** `disabled`: switched off; `unknown`: not contacted since start. */
  state: MediaServerState | 'disabled';
  message: string | null;
  code: string | null;
  last_check_at: string | null;
  last_refresh_at: string | null;
  refreshes: number;
  failures: number;
  /** Folders waiting for their refresh window to close. */
  pending_folders: string[];
}

/** GET /api/media-servers: never a secret, only `has_<secret>`. */
export type MediaServerView = {
  id: string;
  name: string;
  kind: string;
  label: string;
  enabled: boolean;
  destinations: string[];
  path_map: PathMapEntry[];
  /** The kind's settings without its secrets. */
  settings: Record<string, unknown>;
  status: MediaServerStatusView;
  created_at: string;
  updated_at: string;
} & { [secret: `has_${string}`]: boolean };

/** POST /api/media-servers/:id/test. */
export interface MediaServerTestResult {
  ok: boolean;
  /** Exactly what happened, for the panel. */
  message: string;
  code: string | null;
  /** A file as the add-on would see it (from the first covered destination, or the request). */
  sample_path: string;
  /** The same file as the media server sees it, after path_map. */
  mapped_path: string;
  /** The path_map entry used; null when none matched (the path goes unchanged). */
  path_map_entry: PathMapEntry | null;
  server_name: string | null;
  version: string | null;
  library: string | null;
  covered: boolean | null;
  checked_at: string;
}

/** GET /api/media-servers/kinds: what the panel's form is built from. */
export interface MediaServerKindInfo {
  kind: string;
  label: string;
  secrets: string[];
  defaults: Record<string, unknown>;
  /** JSON Schema (draft 2020-12) of the kind's settings, from zod. */
  settings_schema: Record<string, unknown>;
}
