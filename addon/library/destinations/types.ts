/**
 * The contract every destination kind implements, and the shape of a destination's settings.
 *
 * Paths given to a Destination are always RELATIVE to the destination's root (its base_path, and
 * for SMB its share), use '/' as separator, and are validated by `paths.ts` (no '..', no absolute
 * paths, no empty or NUL components). The adapters never see or log secrets beyond passing them
 * to the protocol (environment variable, private temp file or in-process client).
 */
import type { Logger } from '../../platform/logger.js';

/** A registered kind's key (local, smb, sftp, rsync, ...): registry.ts lists them and checks it. */
export type DestinationKind = string;

export type { ContentType } from '../../domain/content.js';
import type { ContentType } from '../../domain/content.js';

/** Health as shown in the UI; `offline` means "retry later", `error` means "a person must act". */
export type DestinationStatus = 'online' | 'offline' | 'error' | 'unknown';

/**
 * A destination's settings as stored (snake_case, like the REST API). Only the connection fields
 * matter to the adapters; the rest are carried for the job runner and the UI.
 */
export interface DestinationConfig {
  id: string;
  name: string;
  kind: DestinationKind;
  /** smb/sftp/rsync: host name or address. */
  host?: string;
  /** smb default 445, sftp default 22, rsync default 873 (daemon) or 22 (ssh transport). */
  port?: number;
  username?: string;
  /** Write-only secret. */
  password?: string;
  /** sftp / rsync-over-ssh: PEM/OpenSSH private key text (write-only secret). */
  private_key?: string;
  /** Passphrase of private_key, if it is encrypted (write-only secret). */
  private_key_passphrase?: string;
  /** smb: the share name (`//host/<share>`). */
  share?: string;
  /**
   * local: absolute directory. smb: directory inside the share ('' = share root).
   * sftp: absolute, or relative to the login directory. rsync daemon: `module/optional/sub/dir`;
   * rsync over ssh: a path on the remote host.
   */
  base_path: string;
  /** rsync only: `daemon` (rsync://, default) or `ssh` (rsync over OpenSSH). */
  transport?: 'daemon' | 'ssh';
  /**
   * sftp / rsync-over-ssh: pin the server's host key, as printed by `ssh-keygen -lf`
   * (`SHA256:base64`). When unset the key is accepted and reported by probe() so the UI can pin it.
   */
  host_key_fingerprint?: string;
  /** Upload bandwidth limit in KiB/s; 0/undefined/null = unlimited. */
  bandwidth_limit_kbps?: number | null | undefined;
  /** Connect and per-operation inactivity timeout in ms (default 20000). */
  timeout_ms?: number;
  content_types?: ContentType[];
  quality_min?: number | null;
  quality_max?: number | null;
  naming?: Partial<Record<ContentType, string>>;
  /** Delete the local copy once the remote one is verified. */
  cleanup_local?: boolean;
  max_concurrent_transfers?: number;
  enabled?: boolean;
  /** NFO files and artwork next to each download: none (default), nfo, or nfo+art (README "Media servers"). */
  metadata?: 'none' | 'nfo' | 'nfo+art';
}

export interface ProbeOptions {
  signal?: AbortSignal;
  /** Also create and delete a small probe file under the root (default true). */
  write?: boolean;
}

export interface ProbeResult {
  ok: boolean;
  /** Time to connect, authenticate and get the first answer; null when that failed. */
  latencyMs: number | null;
  /** Bytes free for this user where the protocol tells (null: unknown). */
  freeBytes: number | null;
  totalBytes: number | null;
  /** What the UI shows: for failures, a sentence a user can act on. */
  message?: string;
  /** The AppError code when ok is false. */
  code?: string;
  /** `online` when ok, else the status the failure implies (see statusForError). */
  status: DestinationStatus;
  /** sftp / rsync-over-ssh: the host key seen (SHA256:...), so the UI can offer to pin it. */
  hostKeyFingerprint?: string;
}

export interface UploadOptions {
  signal?: AbortSignal;
  /**
   * Called with the number of bytes of the file now written at the destination, counted from
   * the start of the file (a resumed upload starts at its resume offset). Throttled by callers
   * as they like; adapters call it at most every chunk.
   */
  onProgress?(bytes: number): void;
  /**
   * Continue a previous partial upload of the same local file to the same relPath from this byte
   * offset (the caller got it from stat()). Adapters that cannot append (capabilities.resume
   * false) ignore it and rewrite the file from the start. 0/undefined = write from scratch,
   * truncating what is there.
   */
  resumeFrom?: number;
  /**
   * Only for atomicUpload destinations (rsync): leave an existing file at relPath alone
   * instead of replacing it (the caller then sees the size mismatch).
   */
  noReplace?: boolean;
}

export interface RemoteStat {
  size: number;
  isDirectory: boolean;
}

export interface DestinationCapabilities {
  /** upload() can continue from `resumeFrom` instead of rewriting the file. */
  resume: boolean;
  /**
   * upload() itself only makes the final name appear once the file is complete (rsync writes a
   * temp file and renames it). transferFile then uploads straight to the final name.
   */
  atomicUpload: boolean;
  /** rename() is available. */
  rename: boolean;
  /** freeSpace() can answer (it may still answer null for a particular server). */
  freeSpace: boolean;
  /** linkFrom() may be able to adopt a local file without copying it (same filesystem). */
  localLink: boolean;
}

export interface Destination {
  readonly id: string;
  readonly kind: DestinationKind;
  readonly capabilities: DestinationCapabilities;
  /** Where a relative path lives, for logs and the UI; never contains secrets. */
  describe(relPath?: string): string;
  /** Connect, authenticate, optionally write+delete a probe file, report latency and free space. Never throws except on abort. */
  probe(options?: ProbeOptions): Promise<ProbeResult>;
  /** Write localFile to relPath (parent directory must exist), replacing what is at relPath. */
  upload(localFile: string, relPath: string, options?: UploadOptions): Promise<void>;
  /** mkdir -p of a relative directory ('' = the root itself). */
  mkdirp(relDir: string, signal?: AbortSignal): Promise<void>;
  /** Rename without replacing: fails with `destination_exists` if toRel exists. */
  rename(fromRel: string, toRel: string, signal?: AbortSignal): Promise<void>;
  /** Size of a file or directory, or null when nothing is there. */
  stat(relPath: string, signal?: AbortSignal): Promise<RemoteStat | null>;
  /** Delete a file; deleting nothing is not an error. */
  remove(relPath: string, signal?: AbortSignal): Promise<void>;
  /** Free bytes under the root, or null when the protocol does not tell. */
  freeSpace(signal?: AbortSignal): Promise<number | null>;
  /**
   * Only where capabilities.localLink: put localFile at relPath without copying (a hard link on
   * the same filesystem; never replaces). Resolves false when that is not possible here (other
   * filesystem, no hard links), so the caller copies instead.
   */
  linkFrom?(localFile: string, relPath: string): Promise<boolean>;
  /**
   * Only where capabilities.localLink: whether relPath is localFile itself (a hard link of it,
   * the same inode), i.e. an earlier linkFrom of this very file that was not recorded.
   */
  isLinkOf?(localFile: string, relPath: string): Promise<boolean>;
  /**
   * Only for atomicUpload destinations: delete what an interrupted upload to relPath left aside
   * for resuming (rsync's partial dir). Best effort.
   */
  discardPartial?(relPath: string, signal?: AbortSignal): Promise<void>;
  /** Drop connections and temp files. The destination may be used again afterwards (it reconnects). */
  close(): Promise<void>;
}

/** What adapters receive from app.ts; nothing is read from globals. */
export interface DestinationDeps {
  logger: Logger;
  /** Directory for private temp files (SMB auth file, SSH askpass, key files). Default os.tmpdir(). */
  tmpDir?: string;
  /** Program paths, for images that install them elsewhere. */
  programs?: { smbclient?: string; rsync?: string; ssh?: string; sshKeyscan?: string };
}

