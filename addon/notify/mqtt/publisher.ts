import type { AppEvents, SyncSummary } from '../../events/app-events.js';
import type { AlertEvent } from '../../events/app-events.js';
import { ALERT_RULES, type AlertRule } from '../../metrics/alert-rules.js';
import type { EventBus } from '../../events/bus.js';
import type { JobService } from '../../jobs/job-service.js';
import { ACTIVE_STATUSES, type Job } from '../../jobs/model.js';
import { jobView } from '../../jobs/view.js';
import type { Clock } from '../../platform/clock.js';
import type { Logger } from '../../platform/logger.js';
import { displayTitle, downloadEventData, syncEventData } from '../job-summary.js';
import type { MqttLink, MqttMessage } from './client.js';
import { deviceDiscovery, jobDiscovery, jobIdFromConfigTopic } from './discovery.js';
import { KeyedThrottle } from './throttle.js';
import { shortJobId, type MqttTopics } from './topics.js';

/** Per job and for the summary state: no more than one message a second. */
export const PUBLISH_INTERVAL_MS = 1000;
const REFRESH_MS = 30_000;

export interface PublisherDeps {
  link: MqttLink;
  topics: MqttTopics;
  discovery: boolean;
  version: string;
  jobs: JobService;
  bus: EventBus<AppEvents>;
  clock: Clock;
  logger: Logger;
  mediaDir: string;
  freeBytes: () => Promise<number | null>;
  fileSize: (absolutePath: string) => Promise<number | null>;
  refreshMs?: number;
  /** The speed limit in force, for the "Limit speed" entities; absent: not published. */
  speed?: (() => SpeedState | null) | undefined;
}

/** The speed limit as the state topic carries it (README "Speed limits and schedules"). */
export interface SpeedState {
  enabled: boolean;
  limit_kbps: number;
  mode: 'unlimited' | 'limited' | 'paused';
  limit_bps: number | null;
}

/** The summary on `<base>/state` (retained). */
export interface MqttState {
  queue_length: number;
  active: number;
  downloading: boolean;
  speed: number;
  queue_paused: boolean;
  free_bytes: number | null;
  by_status: Record<Job['status'], number>;
  /** Which alert rules hold now (one binary sensor each), and their messages. */
  alerts: Record<AlertRule, boolean>;
  alert_messages: string[];
  /** Null when this setup has no speed limit. */
  speed_limit: SpeedState | null;
}

const isActive = (job: Job): boolean => ACTIVE_STATUSES.includes(job.status);

/**
 * A bus subscriber that mirrors the application onto MQTT: discovery, availability-bound
 * state, last completed/failed, per-job progress sensors and events. Republishes everything on
 * (re)connect and when Home Assistant announces itself online.
 */
export class MqttPublisher {
  private readonly offs: (() => void)[] = [];
  private readonly announced = new Set<string>();
  /** Short ids of announced jobs, both ways (a short id is unique among them). */
  private readonly shortOf = new Map<string, string>();
  private readonly jobOfShort = new Map<string, string>();
  private readonly jobThrottle: KeyedThrottle<Job>;
  private readonly stateThrottle: KeyedThrottle<null>;
  /** The alerts holding now, by id (alert.raised / alert.resolved on the bus). */
  private readonly alerts = new Map<string, AlertEvent>();
  private refreshTimer: NodeJS.Timeout | null = null;
  private free: number | null = null;
  private stopped = false;

  constructor(private readonly deps: PublisherDeps) {
    const now = (): number => deps.clock.now();
    this.jobThrottle = new KeyedThrottle<Job>(PUBLISH_INTERVAL_MS, (_id, job) => this.send(deps.topics.job(job.id), this.jobPayload(job), false), now);
    this.stateThrottle = new KeyedThrottle<null>(PUBLISH_INTERVAL_MS, () => this.send(deps.topics.state, JSON.stringify(this.state()), true), now);
  }

  /** Topics this publisher listens to (Home Assistant's status; stale job sensors). */
  subscriptions(): string[] {
    return this.deps.discovery ? [this.deps.topics.haStatus, this.deps.topics.jobConfigWildcard] : [this.deps.topics.haStatus];
  }

  start(): void {
    const { bus, link } = this.deps;
    link.onConnect(() => this.publishAll());
    link.onMessage((m) => this.onMessage(m));
    link.subscribe(this.subscriptions());
    this.offs.push(
      bus.on('job.added', () => this.pushState()),
      bus.on('job.status', ({ job }) => this.onStatus(job)),
      bus.on('job.updated', ({ job }) => this.onStatus(job)),
      bus.on('job.progress', ({ id }) => this.onProgress(id)),
      bus.on('job.removed', ({ id }) => {
        this.jobThrottle.drop(id);
        this.unannounce(id);
        // A sensor an older version announced under the full UUID goes with its job.
        if (this.deps.discovery) this.send(this.deps.topics.jobConfig(id), '', true);
        this.pushState();
      }),
      bus.on('queue.state', () => this.pushState()),
      bus.on('sync.completed', (summary) => this.onSync(summary)),
      bus.on('alert.raised', (alert) => {
        this.alerts.set(alert.id, alert);
        this.pushState();
      }),
      bus.on('speed.changed', () => this.pushState()),
      bus.on('alert.resolved', (alert) => {
        this.alerts.delete(alert.id);
        this.pushState();
      }),
    );
    this.refreshTimer = setInterval(() => void this.refreshFree().then(() => this.pushState()), this.deps.refreshMs ?? REFRESH_MS);
    this.refreshTimer.unref();
  }

  stop(): void {
    this.stopped = true;
    for (const off of this.offs.splice(0)) off();
    this.jobThrottle.stop();
    this.stateThrottle.stop();
    if (this.refreshTimer) clearInterval(this.refreshTimer);
    this.refreshTimer = null;
  }

  /** Discovery, state, last completed/failed and the sensors of running jobs. */
  async publishAll(): Promise<void> {
    if (this.stopped) return;
    const { topics, discovery, version } = this.deps;
    if (discovery) {
      const device = deviceDiscovery({ topics, version });
      this.send(device.topic, JSON.stringify(device.payload), true);
    } else {
      // Discovery turned off: remove the device an earlier run announced.
      this.send(topics.deviceConfig, '', true);
    }
    const all = this.allJobs();
    for (const job of all.filter(isActive)) {
      this.announce(job, true);
      this.jobThrottle.push(job.id, job);
    }
    await this.refreshFree();
    this.pushState();
    const lastCompleted = latest(all.filter((j) => j.status === 'completed'), (j) => j.completed_at ?? j.updated_at);
    if (lastCompleted) this.send(topics.lastCompleted, JSON.stringify(await this.eventData(lastCompleted)), true);
    const lastFailed = latest(all.filter((j) => j.status === 'failed'), (j) => j.updated_at);
    if (lastFailed) this.send(topics.lastFailed, JSON.stringify(await this.eventData(lastFailed)), true);
  }

  state(): MqttState {
    const stats = this.deps.jobs.stats();
    const active = stats.by_status.downloading + stats.by_status.merging + stats.by_status.transferring;
    return {
      queue_length: stats.queue_length,
      active,
      downloading: active > 0,
      speed: Math.round(stats.speed),
      queue_paused: stats.queue_paused,
      free_bytes: this.free,
      by_status: stats.by_status,
      alerts: Object.fromEntries(ALERT_RULES.map((rule) => [rule, [...this.alerts.values()].some((a) => a.rule === rule)])) as Record<AlertRule, boolean>,
      alert_messages: [...this.alerts.values()].map((a) => a.message),
      speed_limit: this.deps.speed?.() ?? null,
    };
  }

  private allJobs(): Job[] {
    return this.deps.jobs.list({ limit: Number.MAX_SAFE_INTEGER, offset: 0 }).items;
  }

  private onMessage(m: MqttMessage): void {
    const { topics } = this.deps;
    if (m.topic === topics.haStatus) {
      if (m.payload.toString().trim() === 'online') {
        this.deps.logger.info('Home Assistant is online: republishing discovery and state');
        void this.publishAll().catch((err: unknown) => this.deps.logger.error({ err }, 'mqtt republish failed'));
      }
      return;
    }
    // A job sensor left behind (a crash, a job that ended while we were offline, or one an
    // older version named by the full UUID): cleared unless a live job owns that key.
    const key = jobIdFromConfigTopic(topics, m.topic);
    if (key && m.retain && m.payload.length > 0 && !this.ownsKey(key)) this.send(m.topic, '', true);
  }

  private onStatus(job: Job): void {
    if (isActive(job)) {
      this.announce(job);
      this.jobThrottle.push(job.id, job);
    } else if (this.announced.has(job.id)) {
      this.unannounce(job.id);
      this.jobThrottle.push(job.id, job); // the final figures, still spaced a second apart
    }
    const report = (err: unknown): void => this.deps.logger.error({ err, jobId: job.id }, 'mqtt could not publish a finished download');
    if (job.status === 'completed') {
      this.refreshFree()
        .then(() => this.eventData(job))
        .then((data) => {
          this.send(this.deps.topics.lastCompleted, JSON.stringify(data), true);
          this.send(this.deps.topics.completed, JSON.stringify(data), false);
          this.pushState();
        })
        .catch(report);
    } else if (job.status === 'failed') {
      this.eventData(job)
        .then((data) => {
          this.send(this.deps.topics.lastFailed, JSON.stringify(data), true);
          this.send(this.deps.topics.failed, JSON.stringify(data), false);
        })
        .catch(report);
    }
    this.pushState();
  }

  private onProgress(id: string): void {
    const job = this.tryGet(id);
    if (!job || !isActive(job)) return;
    this.announce(job);
    this.jobThrottle.push(id, job);
    this.pushState();
  }

  private onSync(summary: SyncSummary): void {
    this.send(this.deps.topics.syncCompleted, JSON.stringify(syncEventData(summary)), false);
  }

  private announce(job: Job, force = false): void {
    if (!this.deps.discovery || (this.announced.has(job.id) && !force)) return;
    this.announced.add(job.id);
    const config = jobDiscovery({ topics: this.deps.topics, version: this.deps.version }, { id: job.id, shortId: this.shortIdOf(job.id) });
    this.send(config.topic, JSON.stringify(config.payload), true);
  }

  private unannounce(id: string): void {
    if (!this.announced.delete(id)) return;
    const short = this.shortOf.get(id) ?? shortJobId(id);
    this.shortOf.delete(id);
    if (this.jobOfShort.get(short) === id) this.jobOfShort.delete(short);
    this.send(this.deps.topics.jobConfig(short), '', true);
  }

  /**
   * The job's short id: the first 8 hex digits of its UUID, lengthened by 4 while another
   * announced job holds that prefix (one chance in ~4 billion per pair).
   */
  private shortIdOf(id: string): string {
    const known = this.shortOf.get(id);
    if (known) return known;
    let length = 8;
    let short = shortJobId(id, length);
    while (this.jobOfShort.has(short) && this.jobOfShort.get(short) !== id && length < 32) short = shortJobId(id, (length += 4));
    this.shortOf.set(id, short);
    this.jobOfShort.set(short, id);
    return short;
  }

  /** Whether a job sensor key belongs to a live job (announced, or about to be). */
  private ownsKey(key: string): boolean {
    const owner = this.jobOfShort.get(key);
    if (owner !== undefined && this.announced.has(owner)) return true;
    return this.allJobs().some((job) => isActive(job) && shortJobId(job.id) === key);
  }

  private pushState(): void {
    this.stateThrottle.push('state', null);
  }

  private jobPayload(job: Job): string {
    const view = jobView(job);
    return JSON.stringify({
      id: job.id,
      title: displayTitle(job),
      status: job.status,
      progress: job.progress,
      speed: Math.round(job.speed),
      eta_s: job.eta_s,
      bytes_done: job.bytes_done,
      bytes_total: job.bytes_total,
      segments_done: job.segments_done,
      segments_total: job.segments_total,
      url: view.url,
      file_path: job.file_path,
      error: view.error,
      // A live recording's sensor attributes: recorded seconds against the target, bitrate, gaps.
      ...(job.recording
        ? {
            recording: {
              recorded_s: job.recording.recorded_s,
              target_s: job.recording.target_s,
              lost_s: job.recording.lost_s,
              gaps: job.recording.gaps.length,
              bitrate: job.recording.bitrate,
              ended: job.recording.ended,
              warning: job.recording.warning,
            },
          }
        : {}),
    });
  }

  private async eventData(job: Job): Promise<Record<string, unknown>> {
    const size = job.file_path ? await this.deps.fileSize(`${this.deps.mediaDir}/${job.file_path}`) : null;
    return { ...downloadEventData(job, { mediaDir: this.deps.mediaDir, size }), completed_at: job.completed_at, updated_at: job.updated_at };
  }

  private async refreshFree(): Promise<void> {
    this.free = await this.deps.freeBytes().catch(() => null);
  }

  private tryGet(id: string): Job | undefined {
    try {
      return this.deps.jobs.get(id);
    } catch {
      return undefined;
    }
  }

  private send(topic: string, payload: string, retain: boolean): void {
    if (this.stopped) return;
    this.deps.link.publish(topic, payload, { qos: 1, retain }).catch((err: unknown) => this.deps.logger.debug({ err, topic }, 'mqtt publish failed'));
  }
}

function latest(jobs: Job[], at: (job: Job) => string): Job | undefined {
  let best: Job | undefined;
  for (const job of jobs) if (!best || at(job) > at(best)) best = job;
  return best;
}
