import type { Server } from 'node:http';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type Koa from 'koa';
import type { Config } from './config/schema.js';
import type { AppEvents } from './events/app-events.js';
import { EventBus } from './events/bus.js';
import { createHttpApp } from './http/app.js';
import { DownloadEngine } from './jobs/download-engine.js';
import { JobService } from './jobs/job-service.js';
import { systemClock, type Clock } from './platform/clock.js';
import { createFfmpegRunner, resolveFfmpeg, type FfmpegBinary } from './platform/ffmpeg.js';
import { createHttpClient, DEFAULT_USER_AGENT, type HttpClient } from './platform/http.js';
import type { Logger } from './platform/logger.js';
import { ConnectionLimits } from './download/context.js';
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from './download/retry.js';
import { KeyedSemaphores } from './download/semaphore.js';
import { Store } from './store/db.js';
import { readVersion } from './version.js';

export interface AppOverrides {
  clock?: Clock;
  retry?: RetryPolicy;
  http?: HttpClient;
  /** Direct-file range size; production uses 8 MiB. */
  chunkBytes?: number;
  /** PATH to search for ffmpeg; defaults to the process's. */
  envPath?: string;
}

export interface App {
  config: Config;
  koa: Koa;
  bus: EventBus<AppEvents>;
  jobs: JobService;
  store: Store;
  ffmpeg: FfmpegBinary;
  start(): Promise<void>;
  listen(port?: number, host?: string): Promise<Server>;
  stop(): Promise<void>;
}

/** The one place where adapters are created and wired together. */
export async function createApp(config: Config, logger: Logger, overrides: AppOverrides = {}): Promise<App> {
  const clock = overrides.clock ?? systemClock;
  await Promise.all([config.data_dir, config.media_dir, config.tmp_dir].map((d) => mkdir(d, { recursive: true })));
  const ffmpeg = resolveFfmpeg(config.ffmpeg_path, overrides.envPath ?? process.env.PATH);
  const store = await Store.open(path.join(config.data_dir, 'db.json'), logger);
  const bus = new EventBus<AppEvents>(logger);
  const http =
    overrides.http ??
    createHttpClient({ timeoutMs: config.request_timeout_s * 1000, maxSocketsPerHost: config.max_connections_per_host, userAgent: DEFAULT_USER_AGENT });
  const engine = new DownloadEngine({
    http,
    clock,
    retry: overrides.retry ?? DEFAULT_RETRY_POLICY,
    connections: new ConnectionLimits(new KeyedSemaphores(() => config.max_connections_per_host)),
    ffmpeg: createFfmpegRunner(ffmpeg.path),
    logger,
    tmpDir: config.tmp_dir,
    mediaDir: config.media_dir,
    segmentConcurrency: config.segment_concurrency,
    ...(overrides.chunkBytes ? { chunkBytes: overrides.chunkBytes } : {}),
  });
  const jobs = new JobService({
    store,
    bus,
    engine,
    clock,
    logger,
    options: { maxConcurrent: config.max_concurrent_downloads, defaultContainer: config.default_container, mediaDir: config.media_dir },
  });
  const startedAt = clock.now();
  const koa = createHttpApp({
    jobs,
    bus,
    logger,
    apiKey: config.api_key,
    system: { version: readVersion(), startedAt, ffmpeg, mediaDir: config.media_dir, now: () => clock.now() },
  });

  let server: Server | null = null;
  return {
    config,
    koa,
    bus,
    jobs,
    store,
    ffmpeg,
    start: () => jobs.start(),
    listen(port = config.port, host = '0.0.0.0') {
      return new Promise<Server>((resolve, reject) => {
        const s = koa.listen(port, host);
        s.once('listening', () => resolve(s));
        s.once('error', reject);
        server = s;
      });
    },
    async stop() {
      const closing = server ? new Promise<void>((resolve) => server!.close(() => resolve())) : Promise.resolve();
      server?.closeAllConnections();
      await jobs.stop();
      await store.close();
      http.close();
      await closing;
    },
  };
}
