/**
 * What notifiers say about a finished download: one shape for Home Assistant events, MQTT
 * messages and Telegram. Pure.
 */
import path from 'node:path';
import type { SyncSummary } from '../events/app-events.js';
import type { Job } from '../jobs/model.js';
import { jobView } from '../jobs/view.js';

/**
 * A superset of Home Assistant's own `downloader_download_completed`/`_failed` data
 * ({url, filename}), so automations written for that integration feel the same.
 */
export interface DownloadEventData {
  id: string;
  url: string;
  title: string;
  /** File name of the finished file; null when it failed. */
  filename: string | null;
  /**
   * Absolute path as the add-on (and Home Assistant, with /media mapped) sees it; for a remote
   * library destination, its location (`//nas:445/media/Movies/...`, `sftp://...`).
   */
  path: string | null;
  /** Path relative to the destination's folder (the media dir for the default destination). */
  relative_path: string | null;
  size: number | null;
  error: string | null;
  error_code: string | null;
  /** Seconds from the first start to the end, pauses included. */
  duration_s: number | null;
  status: Job['status'];
}

export function downloadEventData(job: Job, options: { mediaDir: string; size: number | null }): DownloadEventData {
  const view = jobView(job); // credentials in URLs and error messages are masked
  const relative = job.file_path;
  const started = job.started_at ? Date.parse(job.started_at) : NaN;
  const ended = Date.parse(job.completed_at ?? job.updated_at);
  return {
    id: job.id,
    url: view.url,
    title: displayTitle(job),
    filename: relative ? path.basename(relative) : null,
    path: relative ? (job.location ?? path.join(options.mediaDir, relative)) : null,
    relative_path: relative,
    size: relative ? options.size : null,
    error: view.error?.message ?? null,
    error_code: job.error?.code ?? null,
    duration_s: Number.isFinite(started) && Number.isFinite(ended) ? Math.max(0, Math.round((ended - started) / 1000)) : null,
    status: job.status,
  };
}

/** The job's title, else its file name, else the last path segment of its URL. */
export function displayTitle(job: Pick<Job, 'title' | 'file_path' | 'url'>): string {
  if (job.title) return job.title;
  if (job.file_path) return path.basename(job.file_path);
  try {
    const u = new URL(job.url);
    return decodeURIComponent(u.pathname.split('/').filter(Boolean).pop() ?? u.hostname) || u.hostname;
  } catch {
    return job.url.slice(0, 80);
  }
}

const UNITS = ['B', 'kB', 'MB', 'GB', 'TB', 'PB'];

/** 1536000 -> "1.5 MB" (decimal units, as file managers and Home Assistant show them). */
export function formatBytes(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined || !Number.isFinite(bytes) || bytes < 0) return '?';
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < UNITS.length - 1) {
    value /= 1000;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value < 10 ? value.toFixed(1) : Math.round(value)} ${UNITS[unit]}`;
}

/** 3725 -> "1h 02m", 192 -> "3m 12s", 45 -> "45s". */
export function formatDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds) || seconds < 0) return '?';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(s % 60).padStart(2, '0')}s`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h ${String(m % 60).padStart(2, '0')}m`;
  return `${Math.floor(h / 24)}d ${h % 24}h`;
}

/** The documented fields of a sync summary, and nothing else a publisher may have attached. */
export function syncEventData(s: SyncSummary): SyncSummary {
  return {
    source: { id: s.source.id, name: s.source.name },
    new_items: s.new_items,
    updated_items: s.updated_items,
    removed_items: s.removed_items,
    total_items: s.total_items,
    queued: s.queued,
    duration_ms: s.duration_ms,
    error: s.error,
    new_titles: s.new_titles.slice(0, 50),
  };
}
