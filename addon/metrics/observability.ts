import path from 'node:path';
import type { AppEvents } from '../events/app-events.js';
import type { EventBus } from '../events/bus.js';
import type { Clock } from '../platform/clock.js';
import type { Logger } from '../platform/logger.js';
import { AlertMonitor } from './alert-monitor.js';
import type { AlertThresholds } from './alert-rules.js';
import { HistoryFile } from './history-file.js';
import type { PrometheusMetrics } from './prometheus.js';
import { Statistics } from './statistics.js';
import { createStatsApi, type StatsApi, type StatsInputs } from './stats-queries.js';

export interface ObservabilityOptions {
  dataDir: string;
  metricsEnabled: boolean;
  metricsToken: string | undefined;
  alertsEnabled: boolean;
  thresholds: () => AlertThresholds;
  /** One minute in production. */
  alertIntervalMs?: number;
  alertCooldownMs?: number;
}

/** The live state the metrics, statistics and alerts read; app.ts wires each from its service. */
export interface ObservedSystem {
  jobStats(): { by_status: Record<string, number>; queue_length: number; active: number };
  job(id: string): { status: string; bytes_done: number } | undefined;
  destinations(): Array<{ id: string; name: string; kind: string; status: 'online' | 'offline' | 'error' | 'unknown'; free_bytes: number | null; total_bytes: number | null }>;
  notifiers(): Array<{ id: string; sent: number; failed: number }>;
  createdSince: StatsInputs['createdSince'];
}

export interface Observability {
  statistics: Statistics;
  alerts: AlertMonitor;
  /** null when metrics_enabled is off: nothing is collected for Prometheus then. */
  prometheus: PrometheusMetrics | null;
  stats: StatsApi;
  start(): void;
  stop(): Promise<void>;
}

/** Statistics history, Prometheus metrics and alert rules, built together because they share one view of the system. */
export async function createObservability(
  opts: ObservabilityOptions,
  deps: { bus: EventBus<AppEvents>; clock: Clock; logger: Logger; system: ObservedSystem },
): Promise<Observability> {
  const { bus, clock, logger, system } = deps;
  const history = await HistoryFile.open(path.join(opts.dataDir, 'stats-history.json'), logger);
  let alerts: AlertMonitor | null = null;
  // prom-client (and its dependencies) load only when metrics are on: most installs never scrape.
  const prometheus = opts.metricsEnabled
    ? new (await import('./prometheus.js')).PrometheusMetrics({
        jobsByStatus: () => system.jobStats().by_status,
        queueLength: () => system.jobStats().queue_length,
        activeDownloads: () => system.jobStats().active,
        destinations: () => system.destinations(),
        notifiers: () => system.notifiers(),
        activeAlerts: () => alerts?.list() ?? [],
      })
    : null;
  const statistics = new Statistics({ bus, clock, history, metrics: prometheus });
  alerts = new AlertMonitor({
    bus,
    clock,
    logger,
    thresholds: opts.thresholds,
    ...(opts.alertIntervalMs ? { intervalMs: opts.alertIntervalMs } : {}),
    ...(opts.alertCooldownMs !== undefined ? { cooldownMs: opts.alertCooldownMs } : {}),
    snapshot: () => ({
      now: clock.now(),
      destinations: system.destinations().map((d) => ({ ...d, down_since: statistics.downtime(d.id, d.status) })),
      last_hour: statistics.lastHour(),
      queue_length: system.jobStats().queue_length,
      running: statistics.running(),
    }),
  });
  const monitor = alerts;
  const stats = createStatsApi({
    history: (range) => statistics.history(range),
    jobStats: () => system.jobStats(),
    destinations: () => system.destinations(),
    createdSince: system.createdSince,
    job: (id) => system.job(id),
    alerts: () => monitor.list(),
    now: () => clock.now(),
  });
  return {
    statistics,
    alerts: monitor,
    prometheus,
    stats,
    start() {
      statistics.start();
      if (opts.alertsEnabled) monitor.start();
    },
    async stop() {
      await monitor.stop();
      await statistics.stop();
    },
  };
}
