/**
 * Library destinations as db.json, the API and the panel see them. Part of the backend contract
 * (the UI imports these types), so: type-only imports and a few constants, nothing that does I/O.
 */
import type { ContentType, DestinationConfig, DestinationKind, DestinationStatus } from './destinations/types.js';

/** The destination that always exists: a `local` destination at MEDIA_DIR. */
export const DEFAULT_DESTINATION_ID = 'default';

/** How often every enabled destination is probed (connect + free space, no write). */
export const DESTINATION_CHECK_INTERVAL_MS = 5 * 60 * 1000;

/** What db.json holds for one destination: its settings, secrets included (they are needed to connect). */
export interface DestinationRecord extends DestinationConfig {
  created_at: string;
  updated_at: string;
  /** The settings of kinds added later sit here too, beside the common fields (each kind's file lists them). */
  [setting: string]: unknown;
}

/** Health of a destination: memory only, refreshed by the periodic check, tests and transfers. */
export interface DestinationHealth {
  status: DestinationStatus;
  /** For `offline`/`error`: what failed, in words a person can act on. */
  message: string | null;
  /** The error code behind the message (destination_auth_failed, destination_unreachable, ...). */
  code: string | null;
  last_check_at: string | null;
  free_bytes: number | null;
  total_bytes: number | null;
  latency_ms: number | null;
  /** sftp / rsync over ssh: the host key the server showed (to pin it as host_key_fingerprint). */
  seen_host_key_fingerprint: string | null;
}

/** A destination as GET /api/destinations returns it: never a secret, only whether one is set. */
export interface DestinationView extends DestinationHealth {
  id: string;
  name: string;
  kind: DestinationKind;
  is_default: boolean;
  enabled: boolean;
  host: string | null;
  port: number | null;
  username: string | null;
  share: string | null;
  base_path: string;
  transport: 'daemon' | 'ssh' | null;
  host_key_fingerprint: string | null;
  content_types: ContentType[];
  quality_min: number | null;
  quality_max: number | null;
  /** The templates set on this destination (blank types use the defaults). */
  naming: Partial<Record<ContentType, string>>;
  /** The templates in effect: `naming` over the defaults. */
  templates: Record<ContentType, string>;
  cleanup_local: boolean;
  max_concurrent_transfers: number;
  bandwidth_limit_kbps: number | null;
  timeout_ms: number | null;
  /** NFO files and artwork next to each download: none, nfo, nfo+art. */
  metadata: 'none' | 'nfo' | 'nfo+art';
  has_password: boolean;
  has_private_key: boolean;
  has_private_key_passphrase: boolean;
  /** Settings of kinds added later (GET /api/destinations/kinds describes them); secrets only as has_<field>. */
  [setting: string]: unknown;
  /** Jobs transferring to this destination now, or waiting for it to come back. */
  transfers_active: number;
  transfers_waiting: number;
  created_at: string;
  updated_at: string;
}

/** POST /api/destinations/:id/test: a probe that writes and deletes a file. */
export interface DestinationTestResult {
  ok: boolean;
  status: DestinationStatus;
  latency_ms: number | null;
  free_bytes: number | null;
  total_bytes: number | null;
  code: string | null;
  message: string | null;
  host_key_fingerprint: string | null;
  checked_at: string;
}

export type { JobTransfer } from './job-transfer.js';
