import type { AppEvents } from '../events/app-events.js';
import type { EventBus } from '../events/bus.js';
import type { Job } from '../jobs/model.js';
import type { Clock } from '../platform/clock.js';
import { historyView, pruneHistory, recordOutcome, type HistoryRange, type HistoryView, type Outcome } from './history.js';
import type { HistoryFile } from './history-file.js';
import type { PrometheusMetrics } from './prometheus.js';

const HOUR_MS = 3600_000;

export interface StatisticsDeps {
  bus: EventBus<AppEvents>;
  clock: Clock;
  history: HistoryFile;
  /** Absent when /metrics is off: the history and alerts still need the numbers. */
  metrics?: PrometheusMetrics | null;
}

/**
 * Watches the bus and turns job events into numbers: the hourly/daily history, the Prometheus
 * counters, and the recent figures the alert rules read (failures in the last hour, the last
 * byte of each running download).
 */
export class Statistics {
  private readonly unsubscribe: Array<() => void> = [];
  /** Bytes done already counted, per running job (a resume starts from what is on disk). */
  private readonly counted = new Map<string, number>();
  private readonly lastProgress = new Map<string, { at: number; title: string }>();
  /** When each job received its last byte (left the download phase). */
  private readonly downloadEnded = new Map<string, number>();
  private recent: Array<{ at: number; failed: boolean }> = [];
  /** Since when each destination has been offline or in error. */
  private readonly downSince = new Map<string, number>();

  constructor(private readonly deps: StatisticsDeps) {}

  start(): void {
    const { bus } = this.deps;
    this.unsubscribe.push(
      bus.on('job.status', ({ job, previous }) => this.onStatus(job, previous)),
      bus.on('job.progress', (p) => this.onProgress(p.id, p.bytes_done)),
      bus.on('job.removed', ({ id }) => this.forget(id)),
      bus.on('destination.status', (d) => this.destinationSeen(d.id, d.status)),
    );
    if (pruneHistory(this.deps.history.data, this.deps.clock.now())) this.deps.history.markDirty();
  }

  async stop(): Promise<void> {
    for (const off of this.unsubscribe.splice(0)) off();
    await this.deps.history.flush();
  }

  history(range: HistoryRange): HistoryView {
    return historyView(this.deps.history.data, range, this.deps.clock.now());
  }

  /** Jobs that finished in the last hour. */
  lastHour(): { completed: number; failed: number } {
    const since = this.deps.clock.now() - HOUR_MS;
    this.recent = this.recent.filter((r) => r.at >= since);
    const failed = this.recent.filter((r) => r.failed).length;
    return { completed: this.recent.length - failed, failed };
  }

  /** Downloads in their download phase and when each last received a byte. */
  running(): Array<{ id: string; title: string; last_progress_at: number }> {
    return [...this.lastProgress.entries()].map(([id, p]) => ({ id, title: p.title, last_progress_at: p.at }));
  }

  /**
   * Since when a destination has been down, as far as this process has seen: the first check that
   * found it offline or in error (a restart starts counting again).
   */
  downtime(id: string, status: string): number | null {
    this.destinationSeen(id, status);
    return this.downSince.get(id) ?? null;
  }

  private destinationSeen(id: string, status: string): void {
    if (status === 'offline' || status === 'error') {
      if (!this.downSince.has(id)) this.downSince.set(id, this.deps.clock.now());
    } else if (status === 'online') {
      this.downSince.delete(id);
    }
  }

  private onStatus(job: Job, previous: string): void {
    const now = this.deps.clock.now();
    if (job.status === 'downloading') {
      this.counted.set(job.id, job.bytes_done);
      this.lastProgress.set(job.id, { at: now, title: job.title });
      return;
    }
    if (previous === 'downloading') {
      // Short downloads may end before their first progress event: count from the final figure.
      this.onProgress(job.id, job.bytes_done);
      this.lastProgress.delete(job.id);
      if (job.status === 'merging' || job.status === 'transferring') this.downloadEnded.set(job.id, now);
    }
    if (job.status === 'completed' || job.status === 'failed') this.finish(job, now);
    if (job.status !== 'merging' && job.status !== 'transferring') {
      this.counted.delete(job.id);
      this.downloadEnded.delete(job.id);
    }
  }

  private onProgress(id: string, bytesDone: number): void {
    const seen = this.lastProgress.get(id);
    const before = this.counted.get(id);
    if (before === undefined) {
      this.counted.set(id, bytesDone);
      return;
    }
    if (bytesDone > before) {
      this.deps.metrics?.bytes(bytesDone - before);
      this.counted.set(id, bytesDone);
      if (seen) seen.at = this.deps.clock.now();
    }
  }

  private finish(job: Job, now: number): void {
    const kind = job.kind ?? 'unknown';
    const started = job.started_at ? Date.parse(job.started_at) : NaN;
    const outcome: Outcome = {
      at: now,
      status: job.status === 'completed' ? 'completed' : 'failed',
      kind,
      bytes: job.status === 'completed' ? Math.max(job.bytes_done, job.transfer?.bytes_total ?? 0) : 0,
      duration_s: Number.isFinite(started) ? Math.max(0, (now - started) / 1000) : null,
      destination: job.transfer?.destination_id ?? null,
      source: job.source_id ?? null,
      reason: job.status === 'failed' ? (job.error?.code ?? 'unknown') : null,
    };
    recordOutcome(this.deps.history.data, outcome);
    this.deps.history.markDirty();
    this.recent.push({ at: now, failed: outcome.status === 'failed' });
    const metrics = this.deps.metrics;
    if (!metrics) return;
    metrics.outcome(outcome, job.source_id ?? 'none');
    const ended = this.downloadEnded.get(job.id);
    if (outcome.status === 'completed' && ended !== undefined) metrics.finished(kind, (now - ended) / 1000);
    if (outcome.status === 'completed' && job.transfer?.method === 'upload') metrics.transferred(job.transfer.destination_kind, job.transfer.bytes_total);
  }

  private forget(id: string): void {
    this.counted.delete(id);
    this.lastProgress.delete(id);
    this.downloadEnded.delete(id);
  }
}
