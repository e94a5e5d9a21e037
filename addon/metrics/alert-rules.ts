/**
 * Alert rules as a pure function of a snapshot of the system: which conditions hold now. The
 * monitor (alert-monitor.ts) turns changes of this set into raised/resolved events.
 */

export const ALERT_RULES = ['disk_low', 'failure_rate', 'queue_long', 'destination_down', 'job_stalled'] as const;
export type AlertRule = (typeof ALERT_RULES)[number];

export interface AlertThresholds {
  /** A destination with less free space than this share of its size (percent). */
  disk_free_percent: number;
  /** Failed / finished in the last hour above this (percent)... */
  failure_rate_percent: number;
  /** ...with at least this many finished jobs in that hour. */
  failure_min_jobs: number;
  /** Queued jobs above this. */
  queue_length: number;
  /** A destination offline or in error for longer than this. */
  destination_down_minutes: number;
  /** A running download with no new byte for this long. */
  stalled_minutes: number;
}

export const DEFAULT_ALERT_THRESHOLDS: AlertThresholds = {
  disk_free_percent: 10,
  failure_rate_percent: 20,
  failure_min_jobs: 5,
  queue_length: 50,
  destination_down_minutes: 15,
  stalled_minutes: 10,
};

export interface AlertSnapshot {
  now: number;
  destinations: Array<{
    id: string;
    name: string;
    status: 'online' | 'offline' | 'error' | 'unknown';
    free_bytes: number | null;
    total_bytes: number | null;
    /** Since when it has been offline or in error (ms); null while online. */
    down_since: number | null;
  }>;
  /** Jobs finished in the last hour. */
  last_hour: { completed: number; failed: number };
  queue_length: number;
  /** Downloads in their download phase, with the time of their last received byte. */
  running: Array<{ id: string; title: string; last_progress_at: number }>;
}

export interface AlertCondition {
  id: string;
  rule: AlertRule;
  severity: 'warning' | 'critical';
  message: string;
  value: number | null;
  threshold: number | null;
}

const MIN_MS = 60_000;

function formatBytes(n: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let v = n;
  let i = 0;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${v >= 10 || i === 0 ? Math.round(v) : v.toFixed(1)} ${units[i]}`;
}

export function evaluateAlerts(s: AlertSnapshot, t: AlertThresholds): AlertCondition[] {
  const out: AlertCondition[] = [];
  for (const d of s.destinations) {
    if (d.free_bytes !== null && d.total_bytes) {
      const percent = (d.free_bytes / d.total_bytes) * 100;
      if (percent < t.disk_free_percent) {
        out.push({
          id: `disk_low:${d.id}`,
          rule: 'disk_low',
          severity: percent < t.disk_free_percent / 2 ? 'critical' : 'warning',
          message: `${d.name} has ${percent.toFixed(1)} % free (${formatBytes(d.free_bytes)} of ${formatBytes(d.total_bytes)})`,
          value: Math.round(percent * 10) / 10,
          threshold: t.disk_free_percent,
        });
      }
    }
    if (d.down_since !== null && d.status !== 'online') {
      const minutes = (s.now - d.down_since) / MIN_MS;
      if (minutes >= t.destination_down_minutes) {
        out.push({
          id: `destination_down:${d.id}`,
          rule: 'destination_down',
          severity: 'critical',
          message: `${d.name} has been ${d.status} for ${Math.floor(minutes)} minutes`,
          value: Math.floor(minutes),
          threshold: t.destination_down_minutes,
        });
      }
    }
  }
  const finished = s.last_hour.completed + s.last_hour.failed;
  if (finished >= t.failure_min_jobs) {
    const percent = (s.last_hour.failed / finished) * 100;
    if (percent > t.failure_rate_percent) {
      out.push({
        id: 'failure_rate',
        rule: 'failure_rate',
        severity: 'warning',
        message: `${s.last_hour.failed} of ${finished} downloads failed in the last hour (${Math.round(percent)} %)`,
        value: Math.round(percent),
        threshold: t.failure_rate_percent,
      });
    }
  }
  if (s.queue_length > t.queue_length) {
    out.push({
      id: 'queue_long',
      rule: 'queue_long',
      severity: 'warning',
      message: `${s.queue_length} downloads are waiting in the queue`,
      value: s.queue_length,
      threshold: t.queue_length,
    });
  }
  for (const job of s.running) {
    const minutes = (s.now - job.last_progress_at) / MIN_MS;
    if (minutes >= t.stalled_minutes) {
      out.push({
        id: `job_stalled:${job.id}`,
        rule: 'job_stalled',
        severity: 'warning',
        message: `"${job.title}" has received nothing for ${Math.floor(minutes)} minutes`,
        value: Math.floor(minutes),
        threshold: t.stalled_minutes,
      });
    }
  }
  return out;
}
