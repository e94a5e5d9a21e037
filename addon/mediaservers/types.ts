/**
 * The contract every media-server kind implements (Jellyfin, Emby, Plex, Kodi): a small
 * interface the service drives after a download lands in a library. Paths given here are
 * already mapped (path-map.ts): they are the paths the media server itself sees.
 */
import type { Logger } from '../platform/logger.js';

export type Fetch = typeof globalThis.fetch;

/** What a kind's create() receives from app.ts; nothing is read from globals. */
export interface MediaServerDeps {
  fetch: Fetch;
  logger: Logger;
  now(): number;
  /** Per-request timeout (default 15 s). */
  timeoutMs?: number;
}

export type MediaServerState = 'ok' | 'error' | 'unknown';

/** The adapter's own view of its last contact with the server (the service shows it). */
export interface MediaServerStatus {
  state: MediaServerState;
  /** For `error`: what failed, in words a person can act on. Never a secret. */
  message: string | null;
  /** The MediaServerError code behind the message. */
  code: string | null;
  last_check_at: string | null;
}

export interface MediaServerTestOutcome {
  /** One sentence: who answered, and what happens to the sample path. */
  message: string;
  server_name: string | null;
  version: string | null;
  /** The library (section, source) that contains the sample path, when the server tells. */
  library: string | null;
  /** Whether the server has a library containing the sample path (null: it cannot tell). */
  covered: boolean | null;
}

export interface RefreshOutcome {
  /** `path`: only the changed folder was scanned; `library`: the fallback, a wider scan. */
  method: 'path' | 'library';
  message: string;
}

export interface MediaServer {
  /** Connect and authenticate, and say whether (and where) the server sees `samplePath`. Throws MediaServerError. */
  test(samplePath: string, signal?: AbortSignal): Promise<MediaServerTestOutcome>;
  /** Ask the server to scan these folders (falling back to a library scan). Throws MediaServerError. */
  refresh(paths: readonly string[], signal?: AbortSignal): Promise<RefreshOutcome>;
  status(): MediaServerStatus;
}
