import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Outcome } from './history.js';

const PREFIX = 'm3u_downloader_';

/** What /metrics reads at scrape time; each returns the current state, nothing is cached. */
export interface MetricsSources {
  jobsByStatus(): Record<string, number>;
  queueLength(): number;
  activeDownloads(): number;
  destinations(): Array<{ id: string; kind: string; status: string; free_bytes: number | null }>;
  notifiers(): Array<{ id: string; sent: number; failed: number }>;
  activeAlerts(): Array<{ rule: string }>;
}

/**
 * The Prometheus metrics of one app instance, in its own registry (never prom-client's global one:
 * two apps in one test process must not share counters). Label values come from fixed sets or ids
 * the user configured (destination and source ids); never a URL, a title or a secret.
 */
export class PrometheusMetrics {
  readonly registry = new Registry();
  private readonly downloads: Counter<'kind' | 'result' | 'source'>;
  private readonly downloadBytes: Counter;
  private readonly transferBytes: Counter<'destination_kind'>;
  private readonly downloadDuration: Histogram<'kind'>;
  private readonly finishLatency: Histogram<'kind'>;
  private readonly retries: Counter<'error_class'>;
  private readonly httpDuration: Histogram<'method' | 'route' | 'status'>;
  private readonly rateLimited: Counter<'route'>;

  constructor(sources: MetricsSources) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, prefix: PREFIX });
    new Gauge({
      name: `${PREFIX}jobs`,
      help: 'Downloads in the store by status',
      labelNames: ['status'],
      registers,
      collect() {
        for (const [status, n] of Object.entries(sources.jobsByStatus())) this.set({ status }, n);
      },
    });
    new Gauge({ name: `${PREFIX}queue_length`, help: 'Downloads waiting to start', registers, collect() { this.set(sources.queueLength()); } });
    new Gauge({ name: `${PREFIX}active_downloads`, help: 'Downloads holding a download slot', registers, collect() { this.set(sources.activeDownloads()); } });
    new Gauge({
      name: `${PREFIX}destination_up`,
      help: 'Library destination health: 1 online, 0 offline or in error, -1 not checked yet',
      labelNames: ['destination', 'kind'],
      registers,
      collect() {
        this.reset();
        for (const d of sources.destinations()) this.set({ destination: d.id, kind: d.kind }, d.status === 'online' ? 1 : d.status === 'unknown' ? -1 : 0);
      },
    });
    new Gauge({
      name: `${PREFIX}destination_free_bytes`,
      help: 'Free bytes on a library destination, where its protocol tells',
      labelNames: ['destination'],
      registers,
      collect() {
        this.reset();
        for (const d of sources.destinations()) if (d.free_bytes !== null) this.set({ destination: d.id }, d.free_bytes);
      },
    });
    new Gauge({
      name: `${PREFIX}notifier_sent`,
      help: 'Messages a notifier delivered since start',
      labelNames: ['notifier'],
      registers,
      collect() {
        this.reset();
        for (const n of sources.notifiers()) this.set({ notifier: n.id }, n.sent);
      },
    });
    new Gauge({
      name: `${PREFIX}notifier_failures`,
      help: 'Messages a notifier failed to deliver since start (MQTT, Telegram, Home Assistant, ...)',
      labelNames: ['notifier'],
      registers,
      collect() {
        this.reset();
        for (const n of sources.notifiers()) this.set({ notifier: n.id }, n.failed);
      },
    });
    new Gauge({
      name: `${PREFIX}alerts_active`,
      help: 'Alerts holding now, by rule',
      labelNames: ['rule'],
      registers,
      collect() {
        this.reset();
        const counts = new Map<string, number>();
        for (const a of sources.activeAlerts()) counts.set(a.rule, (counts.get(a.rule) ?? 0) + 1);
        for (const [rule, n] of counts) this.set({ rule }, n);
      },
    });
    this.downloads = new Counter({ name: `${PREFIX}downloads_total`, help: 'Finished downloads by kind, result and playlist source ("none": added by hand)', labelNames: ['kind', 'result', 'source'], registers });
    this.downloadBytes = new Counter({ name: `${PREFIX}download_bytes_total`, help: 'Bytes received from origins', registers });
    this.transferBytes = new Counter({ name: `${PREFIX}transfer_bytes_total`, help: 'Bytes uploaded to library destinations', labelNames: ['destination_kind'], registers });
    this.downloadDuration = new Histogram({
      name: `${PREFIX}download_duration_seconds`,
      help: 'From start to completed, for completed downloads',
      labelNames: ['kind'],
      buckets: [10, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200, 14400],
      registers,
    });
    this.finishLatency = new Histogram({
      name: `${PREFIX}finish_latency_seconds`,
      help: 'From the last downloaded byte to the file filed in the library',
      labelNames: ['kind'],
      buckets: [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
      registers,
    });
    this.retries = new Counter({ name: `${PREFIX}segment_retries_total`, help: 'Requests retried, by error class (network, server)', labelNames: ['error_class'], registers });
    this.httpDuration = new Histogram({
      name: `${PREFIX}http_request_duration_seconds`,
      help: 'API response time by route pattern and status',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    });
    this.rateLimited = new Counter({ name: `${PREFIX}rate_limit_hits_total`, help: 'Requests answered 429 (rate limits), by route pattern', labelNames: ['route'], registers });
  }

  outcome(o: Outcome, source: string): void {
    this.downloads.inc({ kind: o.kind, result: o.status, source });
    if (o.status === 'completed' && o.duration_s !== null) this.downloadDuration.observe({ kind: o.kind }, o.duration_s);
  }

  finished(kind: string, latencyS: number): void {
    this.finishLatency.observe({ kind }, latencyS);
  }

  bytes(n: number): void {
    if (n > 0) this.downloadBytes.inc(n);
  }

  transferred(destinationKind: string, n: number): void {
    if (n > 0) this.transferBytes.inc({ destination_kind: destinationKind }, n);
  }

  retry(errorClass: string): void {
    this.retries.inc({ error_class: errorClass });
  }

  request(method: string, route: string, status: number, seconds: number): void {
    this.httpDuration.observe({ method, route, status: String(status) }, seconds);
    if (status === 429) this.rateLimited.inc({ route });
  }

  contentType(): string {
    return this.registry.contentType;
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }
}
