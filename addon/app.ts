import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { ScryptParams } from './auth/secrets.js';
import { AuthRepository } from './auth/auth-repository.js';
import { AuthService } from './auth/service.js';
import type { Config } from './config/schema.js';
import type { AppEvents } from './events/app-events.js';
import { EventBus } from './events/bus.js';
import { createHttpApp, type HttpApp } from './http/app.js';
import { isHttpUrl } from './domain/validators.js';
import { ProbeService } from './probe/probe-service.js';
import { DownloadEngine } from './jobs/download-engine.js';
import { ChannelStore } from './live/channel-store.js';
import { GuideService } from './live/epg/guide-service.js';
import { runRecordCommand } from './live/record-command.js';
import { SeriesRules } from './live/series-rules.js';
import { JobRepository } from './jobs/job-repository.js';
import { ProgressTracker } from './jobs/progress-tracker.js';
import { JobService } from './jobs/job-service.js';
import { DestinationRepository } from './library/destination-repository.js';
import { DestinationService } from './library/destination-service.js';
import { createDestination } from './library/destinations/registry.js';
import type { DestinationDeps } from './library/destinations/types.js';
import { DEFAULT_DESTINATION_ID } from './library/model.js';
import { TransferService } from './library/transfer-service.js';
import { systemClock, type Clock } from './platform/clock.js';
import { createFfmpegRunner, resolveFfmpeg, type FfmpegBinary } from './platform/ffmpeg.js';
import { createHttpClient, DEFAULT_USER_AGENT, type HttpClient } from './platform/http.js';
import type { Logger } from './platform/logger.js';
import { ConnectionLimits } from './download/context.js';
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from './download/retry.js';
import { KeyedSemaphores } from './download/semaphore.js';
import { ActivityLog, type Actor } from './ops/activity.js';
import { DiskGuard, type FreeSpaceProbe } from './ops/disk-guard.js';
import { HealthChecks, type CheckResult } from './ops/health.js';
import type { StoreHealth } from './store/db.js';
import { Maintenance } from './ops/maintenance.js';
import { sweepStaleWork } from './jobs/stale-work.js';
import { SettingsRepository } from './ops/settings-repository.js';
import { RuntimeSettings } from './ops/settings.js';
import { fileSize, freeBytes } from './platform/disk.js';
import { LogBuffer } from './platform/log-buffer.js';
import { Notifications } from './notify/index.js';
import { HomeAssistantNotifier } from './notify/homeassistant.js';
import { MqttConnection, type Backoff } from './notify/mqtt/client.js';
import type { RecordHook, SyncAllHook } from './notify/mqtt/commands.js';
import { MqttService, type MqttSpeed } from './notify/mqtt/service.js';
import { MqttNotifier } from './notify/mqtt/notifier.js';
import { NotificationDispatcher } from './notify/dispatcher.js';
import { NotifierConfig } from './notify/notifier-config.js';
import { notifierRegistry } from './notify/registry.js';
import { NotifierRepository } from './store/notifier-repository.js';
import { SupervisorClient } from './notify/supervisor.js';
import { TelegramApi } from './notify/telegram/api.js';
import { TelegramNotifier } from './notify/telegram/notifier.js';
import { createOwnership, parseUmask } from './platform/ownership.js';
import { imageFetcher } from './library/metadata/fetch-image.js';
import { MetadataFileRepository } from './library/metadata/repository.js';
import { MetadataWriter } from './library/metadata/writer.js';
import { MediaServerRepository } from './mediaservers/repository.js';
import { mediaServerRegistry } from './mediaservers/registry.js';
import { MediaServerService } from './mediaservers/service.js';
import { SourceService } from './sources/source-service.js';
import { SourceRepository } from './sources/source-repository.js';
import { TmdbClient } from './sources/tmdb.js';
import { Store } from './store/db.js';
import { readVersion } from './version.js';
import { createObservability, type Observability } from './metrics/observability.js';
import { SpeedService } from './speed/speed-service.js';
import { throttledHttp } from './speed/throttled-http.js';
import { TokenBucket } from './speed/token-bucket.js';
import { parseSubtitleOption } from './tracks/selection.js';

export interface AppOverrides {
  clock?: Clock;
  retry?: RetryPolicy;
  http?: HttpClient;
  /** Direct-file range size; production uses 8 MiB. */
  chunkBytes?: number;
  /** PATH to search for ffmpeg; defaults to the process's. */
  envPath?: string;
  /** Free space per directory; tests simulate a filling disk with it. */
  freeSpace?: FreeSpaceProbe;
  /** How often the disk guard measures (10 s in production). */
  diskCheckIntervalMs?: number;
  /** Password hashing cost; tests lower it. */
  scrypt?: ScryptParams;
  /** Whether finished files may be chowned (PUID/PGID); defaults to running as root. */
  isRoot?: boolean;
  /** The recent log lines main.ts keeps for GET /api/logs; none in tests unless given. */
  logBuffer?: LogBuffer;
  /** Faster notifier timings for tests. */
  notify?: NotifyTimings;
  /** The fetch notifiers use (webhook, ntfy, Gotify, apprise-api); globalThis.fetch by default. */
  fetch?: typeof globalThis.fetch;
  /** How often destinations are checked (5 minutes in production). */
  destinationCheckIntervalMs?: number;
  /** Waits between transfer attempts to a destination that is down (15 s ... 5 min in production). */
  transferBackoffMs?: number[];
  /** How often the alert rules run (one minute in production). */
  alertIntervalMs?: number;
  /** How long completions in one folder are gathered before a media server refresh (30 s in production). */
  mediaServerWindowMs?: number;
  /** ffmpeg, already being probed: main.ts starts the probe while the server's modules load. */
  ffmpeg?: Promise<FfmpegBinary>;
}

export interface NotifyTimings {
  mqttBackoff?: Backoff;
  retryDelaysMs?: number[];
  telegramPollTimeoutS?: number;
  telegramPollRetryMs?: number;
  telegramChatIntervalMs?: number;
}

const DAY_MS = 24 * 3600 * 1000;
const SYSTEM: Actor = { kind: 'system', id: 'system', name: 'm3u-downloader' };

export interface App {
  config: Config;
  koa: HttpApp;
  bus: EventBus<AppEvents>;
  jobs: JobService;
  /** Live progress of running jobs (in memory; JobService's runner writes it). */
  progress: ProgressTracker;
  store: Store;
  ffmpeg: FfmpegBinary;
  auth: AuthService;
  activity: ActivityLog;
  health: HealthChecks;
  disk: DiskGuard;
  notifications: Notifications;
  /** Playlist sources; `sources.syncAll()` syncs every enabled one (MQTT's "sync all sources"). */
  sources: SourceService;
  /** Library destinations (records, adapters, health) and the transfers into them. */
  destinations: DestinationService;
  transfers: TransferService;
  /** Runtime settings (GET/PATCH /api/settings): panel changes over env/options.json. */
  settings: RuntimeSettings;
  /** Statistics history, /metrics and alert rules. */
  observability: Observability;
  /** The download speed limit and its schedule. */
  speed: SpeedService;
  /** Jellyfin, Emby, Plex and Kodi servers refreshed after downloads, and the NFO/artwork before that. */
  mediaServers: MediaServerService;
  start(): Promise<void>;
  listen(port?: number, host?: string): Promise<Server>;
  stop(): Promise<void>;
}

/** The one place where adapters are created and wired together. */
export async function createApp(config: Config, logger: Logger, overrides: AppOverrides = {}): Promise<App> {
  const clock = overrides.clock ?? systemClock;
  await Promise.all([config.data_dir, config.media_dir, config.tmp_dir].map((d) => mkdir(d, { recursive: true })));
  // `ffmpeg -version` runs while the store and the activity log load; a failure is thrown below.
  const ffmpegProbe = overrides.ffmpeg ?? resolveFfmpeg(config.ffmpeg_path, overrides.envPath ?? process.env.PATH);
  ffmpegProbe.catch(() => undefined);
  const store = await Store.open(path.join(config.data_dir, 'db.json'), logger);
  // Settings changed in the panel (db.json) override env/options.json from the start.
  const settingsRepository = new SettingsRepository(store);
  const settings = new RuntimeSettings({ config, repository: settingsRepository, logger });
  const initial = settings.effective();
  const bus = new EventBus<AppEvents>(logger);
  const activity = await ActivityLog.open({ file: path.join(config.data_dir, 'activity.jsonl'), clock, logger, retentionDays: config.activity_retention_days });
  const ffmpeg = await ffmpegProbe;
  const auth = new AuthService({ repository: new AuthRepository(store), clock, logger, bootstrapKey: config.api_key, ...(overrides.scrypt ? { scrypt: overrides.scrypt } : {}) });
  // The port the API listens on, once it does: downloads never target the server itself.
  let ownPort: number | null = null;
  const http =
    overrides.http ??
    createHttpClient({
      timeoutMs: config.request_timeout_s * 1000,
      maxSocketsPerHost: config.max_connections_per_host,
      userAgent: DEFAULT_USER_AGENT,
      minSpeed: { bytesPerSecond: config.min_speed_bytes, windowMs: config.min_speed_window_s * 1000 },
      targets: { allowPrivate: config.allow_private_targets, ownPort: () => ownPort },
    });
  const connections = new ConnectionLimits(new KeyedSemaphores(() => config.max_connections_per_host));
  // One rate for every download (the speed limit); playlists of sources and the API are not paced.
  const bandwidth = new TokenBucket(clock);
  const engine = new DownloadEngine({
    http: throttledHttp(http, bandwidth),
    clock,
    retry: overrides.retry ?? DEFAULT_RETRY_POLICY,
    connections,
    ffmpeg: createFfmpegRunner(ffmpeg.path),
    logger,
    tmpDir: config.tmp_dir,
    segmentConcurrency: initial.segment_concurrency,
    maxPlaylistSegments: config.max_playlist_segments,
    live: { maxRecordingMinutes: config.max_recording_minutes, outageToleranceS: config.live_outage_tolerance_s },
    ...(overrides.chunkBytes ? { chunkBytes: overrides.chunkBytes } : {}),
    onRetry: (errorClass) => observability.prometheus?.retry(errorClass),
  });
  // Library destinations: the only place their adapters (local, smb, sftp, rsync) are built.
  const destinationDeps: DestinationDeps = { logger, tmpDir: config.tmp_dir };
  // The stored jobs: only the repository reads or writes them (jobs/job-repository.ts).
  const jobRepository = new JobRepository(store);
  const progress = new ProgressTracker();
  const destinations = new DestinationService({
    repository: new DestinationRepository(store),
    transferCounts: (id) => jobRepository.transferCounts(id),
    bus,
    clock,
    logger,
    mediaDir: config.media_dir,
    connect: (settings) => createDestination(settings, destinationDeps),
    ...(overrides.destinationCheckIntervalMs ? { checkIntervalMs: overrides.destinationCheckIntervalMs } : {}),
  });
  const transfers = new TransferService({
    destinations,
    clock,
    logger,
    options: { retryLimitMs: config.transfer_retry_limit_minutes * 60_000, ...(overrides.transferBackoffMs ? { backoffMs: overrides.transferBackoffMs } : {}) },
  });
  const jobs: JobService = new JobService({
    repository: jobRepository,
    progress,
    bus,
    engine,
    transfers,
    clock,
    logger,
    options: {
      maxConcurrent: initial.max_concurrent_downloads,
      defaultContainer: initial.default_container,
      mediaDir: config.media_dir,
      defaultQuality: initial.default_quality,
      maxQueueLength: config.max_queue_length,
      defaultSubtitleLanguages: parseSubtitleOption(config.default_subtitle_languages),
    },
    onDiskFull: async (detail) => {
      if (!disk.enabled) return false;
      await disk.reportFull(detail);
      return true;
    },
    // Every download of a playlist source shares the source's connection limit.
    limits: {
      groupOf: (job) => job.source_id ?? null,
      maxActive: (sourceId): number => sources.connectionLimit(sourceId),
      connectionsFor: (job) => (job.source_id ? connections.with([sources.connectionSemaphore(job.source_id)]) : null),
    },
  });
  settings.onChange((e) => {
    engine.setSegmentConcurrency(e.segment_concurrency);
    jobs.configure({ maxConcurrent: e.max_concurrent_downloads, defaultQuality: e.default_quality, defaultContainer: e.default_container });
  });
  const tmdb = new TmdbClient({ http, apiKey: config.tmdb_api_key, baseUrl: config.tmdb_base_url, language: config.tmdb_language, clock, logger });
  const channels = new ChannelStore(path.join(config.data_dir, 'channels'), logger);
  const guides = new GuideService({ http, clock, logger, dir: path.join(config.data_dir, 'guides') });
  // Series recordings: rules evaluated after every guide refresh and when one is added.
  const recordingRules: SeriesRules = new SeriesRules({
    dir: config.data_dir,
    logger,
    channels: () => sources.allChannels(),
    programmes: (channel, from, to) => sources.programmesOf(channel, from, to),
    jobs: () => jobs.list({ limit: Number.MAX_SAFE_INTEGER, offset: 0 }).items,
    recordProgramme: (channelId, start) => sources.recordChannel(channelId, { programme: { start: new Date(start).toISOString() } }),
    now: () => clock.now(),
  });
  const sources: SourceService = new SourceService({
    repository: new SourceRepository(store), bus, jobs, http, clock, logger, dataDir: config.data_dir, tmdb, channels, guides,
    afterGuide: () => recordingRules.evaluate(),
    recordingPadding: { beforeMin: config.epg_padding_before_min, afterMin: config.epg_padding_after_min },
  });
  const disk = new DiskGuard({
    // Other local destinations too: the remux writes into their staging folder.
    dirs: () => [config.media_dir, config.tmp_dir, ...transfers.localFolders()],
    minFreeBytes: config.min_free_space_mb * 1024 * 1024,
    probe: overrides.freeSpace ?? freeBytes,
    queue: jobs,
    logger,
    now: () => clock.now(),
    ...(overrides.diskCheckIntervalMs ? { intervalMs: overrides.diskCheckIntervalMs } : {}),
    onChange: (state) =>
      activity.record({
        actor: SYSTEM,
        action: state.status === 'low' ? 'queue.held' : 'queue.released',
        target: 'disk_full',
        ip: null,
        via: 'system',
        details: { free_bytes: state.free_bytes, min_free_bytes: state.min_free_bytes },
      }),
  });
  const ownership = createOwnership({
    root: config.media_dir,
    uid: config.puid,
    gid: config.pgid,
    umask: parseUmask(config.umask),
    logger,
    ...(overrides.isRoot !== undefined ? { isRoot: overrides.isRoot } : {}),
  });
  if (ownership.active) {
    // PUID/PGID/UMASK apply to the media dir, i.e. to files filed by the default destination.
    bus.on('job.status', ({ job }) =>
      job.status === 'completed' && job.file_path && (job.transfer?.destination_id ?? DEFAULT_DESTINATION_ID) === DEFAULT_DESTINATION_ID ? ownership.apply(job.file_path) : undefined,
    );
  }
  const health = new HealthChecks(logger);
  health.register('store', (): CheckResult => {
    const h = store.health();
    if (h.last_error) return { ...h, message: `db.json cannot be written: ${h.last_error}` };
    // A restore at start stays a warning until the next start: someone should know what was lost.
    if (h.moved_aside) {
      const copy = h.restored_from ? `${path.basename(h.restored_from)} saved at ${h.restored_saved_at ?? 'an unknown time'}` : null;
      return { ...h, status: 'degraded', message: copy ? `db.json was damaged at start and restored from ${copy}: changes after that were lost (the damaged file is ${path.basename(h.moved_aside)})` : `db.json was damaged at start and no copy was usable: the store started empty (the damaged file is ${path.basename(h.moved_aside)})` };
    }
    return { ...h };
  });
  health.register('ffmpeg', () =>
    ffmpeg.version ? { status: 'ok', version: ffmpeg.version, source: ffmpeg.source } : { status: 'error', message: `${ffmpeg.path} does not run as ffmpeg`, source: ffmpeg.source },
  );
  health.register('disk', async () => {
    const d = await disk.check();
    return { ...d, status: d.status === 'low' ? 'degraded' : 'ok', ...(d.status === 'low' ? { message: 'free space is below min_free_space_mb: the queue is held' } : {}) };
  });
  health.register('destinations', () => destinations.healthCheck());
  health.register('queue', () => {
    const stats = jobs.stats();
    return { status: 'ok', paused: stats.queue_paused, holds: stats.queue_holds, active: stats.active, pending: stats.queue_length };
  });
  const speed = new SpeedService({
    clock,
    logger,
    bucket: bandwidth,
    queue: jobs,
    defaultLimitKbps: config.download_speed_limit_kbps,
    persistence: {
      load: () => settingsRepository.speed(),
      save: async (settings) => settingsRepository.saveSpeed(settings),
    },
    onChange: (state, settings) => bus.emit('speed.changed', { ...state, enabled: settings.enabled, limit_kbps: settings.limit_kbps }),
  });
  const notifications = createNotifications(config, {
    jobs,
    bus,
    clock,
    logger,
    store,
    fetch: overrides.fetch ?? globalThis.fetch,
    timings: overrides.notify ?? {},
    // MQTT's "Sync all sources": answers when every enabled source has synced.
    // The "Limit speed" switch and number over MQTT, and the limit in force on the state topic.
    speed: {
      current: () => {
        const { settings: speedSettings, state } = speed.current();
        return { enabled: speedSettings.enabled, limit_kbps: speedSettings.limit_kbps, mode: state.mode, limit_bps: state.limit_bps };
      },
      setManual: (change) => speed.setManual(change),
    },
    syncAll: async () =>
      (await sources.syncAll()).map((r) => ({ source_id: r.source_id, status: r.status, counts: r.counts, duration_ms: r.duration_ms, error: r.error?.message ?? null })),
    // MQTT's `record`: a channel of the sources (now, between times, or a programme) or a URL.
    record: (command) =>
      runRecordCommand(command, {
        createJob: (input) => jobs.create(input),
        channels: () => sources.allChannels(),
        recordChannel: (id, request) => sources.recordChannel(id, request),
        guide: (channel, from, to) => sources.programmesOf(channel, from, to),
        now: () => clock.now(),
      }),
  });
  health.register('mqtt', () => {
    const m = notifications.status().mqtt;
    // An absent or unreachable broker degrades, never fails: a restart does not bring it back.
    return m.state === 'connected' || m.state === 'disabled'
      ? { status: 'ok', state: m.state, ...(m.reason ? { message: m.reason } : {}) }
      : { status: 'degraded', state: m.state, message: m.reason ?? 'not connected' };
  });
  const maintenance = new Maintenance(
    [
      { name: 'finished downloads', run: () => jobs.prune({ olderThanMs: config.job_retention_days > 0 ? config.job_retention_days * DAY_MS : null, keep: config.max_finished_jobs }) },
      { name: 'expired sessions', run: () => auth.pruneSessions() },
      { name: 'activity log', run: () => activity.prune() },
      {
        name: 'stale work files',
        run: () =>
          sweepStaleWork({
            workRoot: path.join(config.tmp_dir, 'jobs'),
            stagingDirs: () => transfers.stagingFolders(),
            isKnown: (id) => jobs.has(id),
            removeWorkDir: (id) => engine.removeWorkDir(id),
            now: () => clock.now(),
            logger,
          }),
      },
    ],
    logger,
  );
  const observability: Observability = await createObservability(
    {
      dataDir: config.data_dir,
      metricsEnabled: config.metrics_enabled,
      metricsToken: config.metrics_token,
      alertsEnabled: config.alerts_enabled,
      // The panel's values over the options, read at every evaluation.
      thresholds: () => {
        const s = settings.effective();
        return {
          disk_free_percent: s.alert_disk_free_percent,
          failure_rate_percent: s.alert_failure_rate_percent,
          failure_min_jobs: s.alert_failure_min_jobs,
          queue_length: s.alert_queue_length,
          destination_down_minutes: s.alert_destination_down_minutes,
          stalled_minutes: s.alert_stalled_minutes,
        };
      },
      ...(overrides.alertIntervalMs ? { alertIntervalMs: overrides.alertIntervalMs } : {}),
    },
    {
      bus,
      clock,
      logger,
      system: {
        jobStats: () => jobs.stats(),
        job: (id) => {
          try {
            return jobs.get(id);
          } catch {
            return undefined; // forgotten (pruned or deleted) since it was created
          }
        },
        destinations: () =>
          destinations.list().map((d) => {
            const h = destinations.healthOf(d.id);
            return { id: d.id, name: d.name, kind: d.kind, status: h.status, free_bytes: h.free_bytes, total_bytes: h.total_bytes };
          }),
        notifiers: () => {
          const n = notifications.status();
          return [
            { id: 'homeassistant', sent: n.homeassistant.sent, failed: n.homeassistant.failed },
            { id: 'telegram', sent: n.telegram.sent, failed: n.telegram.failed },
            // Channels added in the panel, by their record id (bounded: ids the admin created).
            ...n.notifiers.filter((x) => x.id !== 'homeassistant' && x.id !== 'telegram' && x.id !== 'mqtt').map((x) => ({ id: x.id, sent: x.sent, failed: x.failed })),
          ];
        },
        createdSince: (since) => activity.list({ action: 'download.created', since, limit: 1_000_000, offset: 0 }).items,
      },
    },
  );
  // NFO and artwork (a destination's `metadata` option), written before media servers rescan.
  const metadata = new MetadataWriter({
    destinations,
    tmdb,
    fetchImage: imageFetcher(globalThis.fetch),
    repo: new MetadataFileRepository(store),
    tmpDir: config.tmp_dir,
    clock,
    logger,
  });
  // Media servers: refreshed (per folder, batched) after a download lands in a destination they cover.
  const mediaServers = new MediaServerService({
    beforeRefresh: async (job, signal) => void (await metadata.write(job, signal)),
    repo: new MediaServerRepository(store),
    kinds: mediaServerRegistry(),
    serverDeps: { fetch: globalThis.fetch, logger, now: () => clock.now() },
    destinations: {
      exists: (id) => destinations.find(id) !== undefined,
      ids: () => destinations.list().map((d) => d.id),
      locate: (id, rel) => {
        try {
          return destinations.adapter(id).describe(rel);
        } catch {
          return null;
        }
      },
    },
    bus,
    clock,
    logger,
    ...(overrides.mediaServerWindowMs !== undefined ? { windowMs: overrides.mediaServerWindowMs } : {}),
  });
  health.register('media_servers', () => mediaServers.healthCheck());
  const startedAt = clock.now();
  const koa = createHttpApp({
    jobs,
    bus,
    logger,
    system: { version: readVersion(), startedAt, ffmpeg, mediaDir: config.media_dir, mode: config.mode, now: () => clock.now(), health, disk: () => disk.check(), storeRestore: () => storeRestore(store.health()) },
    auth,
    activity,
    mode: config.mode,
    trustedProxies: config.trusted_proxies,
    corsOrigins: config.cors_origins,
    logs: overrides.logBuffer ?? new LogBuffer(0),
    notifications,
    notifiers: notifications.configured,
    sources,
    recordingRules,
    destinations,
    settings,
    speed,
    mediaServers,
    uploadMaxBytes: config.upload_max_mb * 1024 * 1024,
    probe: new ProbeService({ http, clock, connections, logger: logger.child({ module: 'probe' }) }),
    stats: observability.stats,
    metrics: {
      enabled: config.metrics_enabled,
      token: config.metrics_token,
      contentType: () => observability.prometheus?.contentType() ?? 'text/plain',
      text: async () => (await observability.prometheus?.text()) ?? '',
    },
    observeRequest: (method, route, status, seconds) => observability.prometheus?.request(method, route, status, seconds),
    writeRatePerMinute: config.api_write_rate_per_minute,
    allowedHosts: config.allowed_hosts,
  });

  let server: Server | null = null;
  return {
    config,
    koa,
    bus,
    jobs,
    progress,
    store,
    ffmpeg,
    auth,
    activity,
    health,
    disk,
    notifications,
    sources,
    destinations,
    transfers,
    settings,
    observability,
    speed,
    mediaServers,
    async start() {
      // The guard first: with the disk already full, interrupted downloads must not restart.
      await disk.start();
      destinations.start();
      // Before the queue starts: a "pause" rule in force must hold it before anything runs.
      await speed.start();
      mediaServers.start();
      await jobs.start();
      await sources.start();
      await maintenance.start();
      await notifications.start();
      observability.start();
    },
    listen(port = config.port, host = '0.0.0.0') {
      return new Promise<Server>((resolve, reject) => {
        const s = koa.listen(port, host);
        s.once('listening', () => {
          const address = s.address();
          ownPort = typeof address === 'object' && address ? address.port : null;
          resolve(s);
        });
        s.once('error', reject);
        server = s;
      });
    },
    async stop() {
      const closing = server ? new Promise<void>((resolve) => server!.close(() => resolve())) : Promise.resolve();
      server?.closeAllConnections();
      await maintenance.stop();
      await observability.stop();
      await notifications.stop();
      disk.stop();
      await sources.stop();
      await speed.stop();
      await jobs.stop();
      await mediaServers.stop();
      await destinations.stop();
      await store.close();
      await activity.close();
      http.close();
      await closing;
    },
  };
}

/** MQTT, Home Assistant events and Telegram, each a bus subscriber; none blocks start-up. */
function createNotifications(
  config: Config,
  deps: { jobs: JobService; bus: EventBus<AppEvents>; clock: Clock; logger: Logger; store: Store; fetch: typeof globalThis.fetch; timings: NotifyTimings; syncAll: SyncAllHook; record: RecordHook; speed: MqttSpeed },
): Notifications & { configured: NotifierConfig } {
  const { jobs, bus, clock, logger, timings, syncAll, record, speed } = deps;
  const supervisor = config.supervisor_token ? new SupervisorClient({ baseUrl: config.supervisor_url, token: config.supervisor_token, fetch: globalThis.fetch }) : null;
  const version = readVersion();
  const free = (): Promise<number | null> => freeBytes(config.media_dir);
  const retry = timings.retryDelaysMs ? { retryDelaysMs: timings.retryDelaysMs } : {};
  const mqtt = new MqttService({
    config,
    supervisor,
    connect: (broker, availabilityTopic) =>
      new MqttConnection({
        broker,
        availabilityTopic,
        clientId: `${config.mqtt_base_topic.replace(/[^a-zA-Z0-9_-]/g, '_')}_${randomBytes(4).toString('hex')}`,
        clock,
        logger,
        ...(timings.mqttBackoff ? { backoff: timings.mqttBackoff } : {}),
      }),
    jobs,
    bus,
    clock,
    logger,
    version,
    mediaDir: config.media_dir,
    freeBytes: free,
    fileSize,
    syncAll,
    record,
    speed,
    ...(timings.mqttBackoff ? { resolveBackoff: timings.mqttBackoff } : {}),
  });
  const homeassistant = new HomeAssistantNotifier({
    supervisor,
    events: config.homeassistant_events,
    notifyService: config.homeassistant_notify_service,
    mediaDir: config.media_dir,
    fileSize,
    clock,
    logger,
    ...retry,
  });
  const telegramApi = config.telegram_bot_token
    ? new TelegramApi({ baseUrl: config.telegram_api_url, token: config.telegram_bot_token, fetch: globalThis.fetch, clock, ...retry })
    : null;
  const telegram = new TelegramNotifier({
    api: telegramApi,
    chatIds: config.telegram_chat_ids,
    commands: config.telegram_commands,
    jobs,
    mediaDir: config.media_dir,
    fileSize,
    freeBytes: free,
    clock,
    logger,
    // Completed downloads with a known poster (TMDB, or POST /api/downloads `poster`) go out as
    // sendPhoto; Telegram fetches the URL itself, and a poster it cannot fetch falls back to text.
    poster: (job) => (job.poster && isHttpUrl(job.poster) ? job.poster : null),
    ...(timings.telegramPollTimeoutS !== undefined ? { pollTimeoutS: timings.telegramPollTimeoutS } : {}),
    ...(timings.telegramPollRetryMs !== undefined ? { pollRetryMs: timings.telegramPollRetryMs } : {}),
    ...(timings.telegramChatIntervalMs !== undefined ? { chatIntervalMs: timings.telegramChatIntervalMs } : {}),
  });
  // One bus subscriber for every notifier: event filter, digest, failure isolation.
  const unfinished = ['pending', 'downloading', 'merging', 'transferring'] as const;
  const dispatcher = new NotificationDispatcher({
    bus,
    clock,
    logger,
    sourceBusy: (sourceId) => unfinished.some((status) => jobs.list({ status, limit: Number.MAX_SAFE_INTEGER, offset: 0 }).items.some((j) => j.source_id === sourceId)),
  });
  const configured = new NotifierConfig({
    repository: new NotifierRepository(deps.store),
    registry: notifierRegistry,
    dispatcher,
    context: ({ id, name }) => ({ id, name, fetch: deps.fetch, clock, logger, mediaDir: config.media_dir, fileSize, retryDelaysMs: timings.retryDelaysMs }),
    clock,
    logger,
  });
  const notifications = new Notifications({ mqtt: new MqttNotifier(mqtt, { clock, mediaDir: config.media_dir }), homeassistant, telegram, dispatcher, configured });
  return Object.assign(notifications, { configured });
}

/** What /api/stats tells the panel about a db.json restored at start (null when there was none). */
function storeRestore(h: StoreHealth): { from: string; saved_at: string | null; moved_aside: string | null } | null {
  if (!h.restored_from) return null;
  return { from: path.basename(h.restored_from), saved_at: h.restored_saved_at, moved_aside: h.moved_aside ? path.basename(h.moved_aside) : null };
}
