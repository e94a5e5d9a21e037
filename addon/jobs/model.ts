import type { LiveRequest, RecordingStatus } from '../live/model.js';
export type { LiveRequest, RecordingEnd, RecordingGap, RecordingStatus } from '../live/model.js';

/**
 * The job as the API, the panel, MQTT and the store see it. This file is the backend contract:
 * the UI imports its types only, so its only runtime imports are domain/ (a leaf of constants).
 */
import type { Container, QualityPreference } from '../domain/media.js';
import type { ContentType } from '../domain/content.js';
import type { JobStatus, Priority } from '../domain/job-status.js';
import type { JobTransfer } from '../library/job-transfer.js';
import type { TitleSource } from '../titles/title-rule.js';

// The vocabulary lives in domain/ (a leaf everyone may import); re-exported here because this is
// the job contract the panel and older imports read it from.
export { CONTENT_TYPES, type ContentType } from '../domain/content.js';
export { ACTIVE_STATUSES, FINAL_STATUSES, JOB_STATUSES, PRIORITIES, type JobStatus, type Priority } from '../domain/job-status.js';
export { CONTAINERS, type Container, type QualityPreference } from '../domain/media.js';
export type { JobTransfer } from '../library/job-transfer.js';

/** `recording`: a live HLS stream, recorded by addon/live/ (see `live` and `recording`). */
/** The figures that move while a job runs (progress, bytes, speed, ETA, segments). */
export type JobFigureField = 'progress' | 'bytes_done' | 'bytes_total' | 'speed' | 'eta_s' | 'segments_done' | 'segments_total';

export type JobKind = 'hls' | 'dash' | 'direct' | 'recording';

export interface JobError {
  code: string;
  message: string;
}

/**
 * Where a job's title came from: `user` (given when it was created or edited; never replaced),
 * or the title rule's evidence (addon/titles/title-rule.ts). A title from `page`, `url` or `host`
 * is provisional: the download's first response (Content-Disposition, the file's title tag, the
 * playlist's title) settles it before the file is named. Absent on jobs stored before titles
 * were settled: left as they are.
 */
export type JobTitleSource = TitleSource | 'user';

export interface Job {
  id: string;
  url: string;
  title: string;
  /** See JobTitleSource. */
  title_from?: JobTitleSource;
  /** Detected on the first response: an HLS playlist or a plain media file. */
  kind: JobKind | null;
  status: JobStatus;
  priority: Priority;
  quality: QualityPreference;
  container: Container;
  content_type: ContentType | null;
  referer: string | null;
  /** Extra request headers. Values are write-only through the API (see jobs/view.ts). */
  headers: Record<string, string>;
  progress: number;
  bytes_done: number;
  /** Exact for direct files with a length, estimated for HLS from fetched segments. */
  bytes_total: number | null;
  speed: number;
  eta_s: number | null;
  segments_done: number;
  segments_total: number;
  /**
   * Once completed: relative to the destination's folder (for the default destination, the
   * media dir, as before destinations existed). See `location` and `transfer.destination_id`.
   */
  file_path: string | null;
  error: JobError | null;
  retry_count: number;
  created_at: string;
  started_at: string | null;
  completed_at: string | null;
  updated_at: string;
  /**
   * The playlist source the job came from: its downloads share the source's connection limit.
   * Absent or null for downloads added by hand (and jobs stored before sources existed).
   */
  source_id?: string | null;
  /** Naming data (the naming templates' tokens); absent or null when unknown. */
  show?: string | null;
  year?: number | null;
  season?: number | null;
  episode?: number | null;
  episode_title?: string | null;
  tmdb_id?: number | null;
  /**
   * A poster image (an absolute http(s) URL) when one is known: the TMDB poster of a source
   * item, or POST /api/downloads `poster`. Not a secret; Telegram fetches it itself (sendPhoto).
   */
  poster?: string | null;
  /** The web page the stream was found on (POST /api/downloads `page_url`, the browser extension). */
  page_url?: string | null;
  /** That page's title as the browser saw it (og:title, else document.title). */
  page_title?: string | null;
  /** What the job downloads, as sources identify it (identity.ts variantKey): the library diff. */
  variant_key?: string | null;
  /**
   * The library destination asked for (POST /api/downloads `destination`); null or absent: chosen
   * by content type, else the default (the media dir). See README "Library destinations".
   */
  destination?: string | null;
  /** Set when the transfer to the library starts; kept afterwards (where it went). */
  transfer?: JobTransfer | null;
  /**
   * Where the finished file is, for people and notifications: an absolute path for local
   * destinations, `//host:port/share/path` (SMB), `sftp://user@host:port/path`, `rsync://...`.
   * Never contains secrets. `file_path` is the same file relative to the destination's folder.
   */
  location?: string | null;
  /**
   * Tracks asked for (POST /api/downloads): audio `default` | `all` | language tags; subtitles
   * `none` | `all` | tags (absent: the `default_subtitle_languages` option at creation);
   * `subtitles_as` embed | sidecar | both. Absent on jobs stored before tracks existed: default, none, embed.
   */
  audio_languages?: 'default' | 'all' | string[];
  subtitle_languages?: 'none' | 'all' | string[];
  subtitles_as?: 'embed' | 'sidecar' | 'both';
  /** Once completed: subtitle sidecars beside the file, relative to the destination's folder like `file_path`. */
  sidecar_paths?: string[];
  /** What the request asked of a live stream (start, end, split); absent for ordinary downloads. */
  live?: LiveRequest | null;
  /** A live recording's state: recorded and lost seconds, gaps, why it ended. */
  recording?: RecordingStatus | null;
  /**
   * A note on the download that is not an error, shown on its card: a resume that had to start
   * over because the server ignores byte ranges. Absent or null: nothing to say.
   */
  warning?: string | null;
}

/** Fields a caller supplies when creating a job. */
export interface NewJob {
  url: string;
  title?: string | undefined;
  referer?: string | undefined;
  headers?: Record<string, string> | undefined;
  quality?: QualityPreference | undefined;
  priority?: Priority | undefined;
  content_type?: ContentType | undefined;
  container?: Container | undefined;
  source_id?: string | null | undefined;
  show?: string | null | undefined;
  year?: number | null | undefined;
  season?: number | null | undefined;
  episode?: number | null | undefined;
  episode_title?: string | null | undefined;
  tmdb_id?: number | null | undefined;
  /** An absolute http(s) URL (checked by the caller). */
  poster?: string | null | undefined;
  page_url?: string | null | undefined;
  /** Used as the title when `title` is empty. */
  page_title?: string | null | undefined;
  variant_key?: string | null | undefined;
  /** A destination id (checked by the caller: POST /api/downloads answers 400 for an unknown one). */
  destination?: string | null | undefined;
  audio_languages?: 'default' | 'all' | string[] | undefined;
  subtitle_languages?: 'none' | 'all' | string[] | undefined;
  subtitles_as?: 'embed' | 'sidecar' | 'both' | undefined;
  /** Record a live stream (checked by the caller). */
  live?: LiveRequest | null | undefined;
}

export interface Page<T> {
  items: T[];
  total: number;
}

