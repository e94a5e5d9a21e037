import type { AlertEvent } from '../events/app-events.js';
import type { HistoryRange, HistoryView, Totals } from './history.js';

/** What the statistics routes read; app.ts wires it from the jobs, destinations, activity and history. */
export interface StatsApi {
  history(range: HistoryRange): HistoryView;
  downloads(range: HistoryRange): DownloadStats;
  destinations(range: HistoryRange): DestinationStats[];
  users(range: HistoryRange): UserStats[];
  alerts(): AlertEvent[];
}

export interface DownloadStats {
  range: HistoryRange;
  completed: number;
  failed: number;
  success_rate: number | null;
  /** Average time from start to completed, seconds. */
  avg_duration_s: number | null;
  /** Average download speed of completed jobs, bytes/s. */
  avg_speed: number | null;
  bytes: number;
  by_kind: Record<string, Totals>;
  failures: Array<{ reason: string; count: number }>;
  /** Now, from the queue. */
  queue_length: number;
  active: number;
  by_status: Record<string, number>;
}

export interface DestinationStats {
  id: string;
  name: string;
  kind: string;
  status: string;
  free_bytes: number | null;
  total_bytes: number | null;
  completed: number;
  failed: number;
  bytes: number;
}

export interface UserStats {
  /** The principal that queued downloads (a user, an API key, Home Assistant, a source sync...). */
  actor: { kind: string; id: string; name: string };
  /** Downloads this actor created in the range. */
  created: number;
  /** Of those still in the store: how they ended so far. */
  completed: number;
  failed: number;
  bytes: number;
}

export interface StatsInputs {
  history(range: HistoryRange): HistoryView;
  jobStats(): { by_status: Record<string, number>; queue_length: number; active: number };
  destinations(): Array<{ id: string; name: string; kind: string; status: string; free_bytes: number | null; total_bytes: number | null }>;
  /** download.created entries of the activity log since a time. */
  createdSince(sinceIso: string): Array<{ actor: { kind: string; id: string; name: string }; target: string | null }>;
  job(id: string): { status: string; bytes_done: number } | undefined;
  alerts(): AlertEvent[];
  now(): number;
}

const RANGE_MS: Record<HistoryRange, number> = { '24h': 24 * 3600_000, '7d': 7 * 24 * 3600_000, '30d': 30 * 24 * 3600_000, '90d': 90 * 24 * 3600_000 };

/** The seed design's statistics views, computed from the history and the live state. */
export function createStatsApi(inputs: StatsInputs): StatsApi {
  return {
    history: (range) => inputs.history(range),
    downloads(range) {
      const h = inputs.history(range);
      const live = inputs.jobStats();
      return {
        range,
        completed: h.totals.completed,
        failed: h.totals.failed,
        success_rate: h.totals.success_rate,
        avg_duration_s: h.totals.completed ? h.totals.duration_s / h.totals.completed : null,
        avg_speed: h.totals.avg_speed,
        bytes: h.totals.bytes,
        by_kind: h.by_kind,
        failures: h.failures,
        queue_length: live.queue_length,
        active: live.active,
        by_status: live.by_status,
      };
    },
    destinations(range) {
      const h = inputs.history(range);
      const totals = new Map(h.destinations.map((d) => [d.id, d]));
      return inputs.destinations().map((d) => {
        const t = totals.get(d.id);
        return { ...d, completed: t?.completed ?? 0, failed: t?.failed ?? 0, bytes: t?.bytes ?? 0 };
      });
    },
    users(range) {
      const since = new Date(inputs.now() - RANGE_MS[range]).toISOString();
      const byActor = new Map<string, UserStats>();
      for (const entry of inputs.createdSince(since)) {
        const key = `${entry.actor.kind}:${entry.actor.id}`;
        let row = byActor.get(key);
        if (!row) byActor.set(key, (row = { actor: { kind: entry.actor.kind, id: entry.actor.id, name: entry.actor.name }, created: 0, completed: 0, failed: 0, bytes: 0 }));
        row.created++;
        const job = entry.target ? inputs.job(entry.target) : undefined;
        if (job?.status === 'completed') {
          row.completed++;
          row.bytes += job.bytes_done;
        } else if (job?.status === 'failed') row.failed++;
      }
      return [...byActor.values()].sort((a, b) => b.created - a.created || a.actor.name.localeCompare(b.actor.name));
    },
    alerts: () => inputs.alerts(),
  };
}
