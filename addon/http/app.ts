import Koa from 'koa';
import type Router from '@koa/router';
import type { AppMode } from '../auth/model.js';
import type { AuthService } from '../auth/service.js';
import type { AppEvents } from '../events/app-events.js';
import type { EventBus } from '../events/bus.js';
import type { JobService } from '../jobs/job-service.js';
import type { DestinationService } from '../library/destination-service.js';
import type { MediaServerService } from '../mediaservers/service.js';
import type { ActivityLog } from '../ops/activity.js';
import type { LogBuffer } from '../platform/log-buffer.js';
import type { SourceService } from '../sources/source-service.js';
import type { RuntimeSettings } from '../ops/settings.js';
import type { Logger } from '../platform/logger.js';
import { accessControl, routeTable, type RouteInfo } from './access.js';
import { audit } from './audit.js';
import { authenticate } from './auth.js';
import { cors } from './cors.js';
import { errorMiddleware } from './errors.js';
import { writeRateLimit } from './rate-limit.js';
import { requireJsonBodies } from './content-type.js';
import { jsonBodies } from './json-body.js';
import { panelMiddleware } from './panel.js';
import { downloadRoutes } from './routes/downloads.js';
import { destinationRoutes } from './routes/destinations.js';
import { activityRoutes } from './routes/activity.js';
import { authRoutes } from './routes/auth.js';
import { eventRoutes } from './routes/events.js';
import { keyRoutes } from './routes/keys.js';
import { mediaServerRoutes } from './routes/media-servers.js';
import { notificationRoutes, type NotificationsApi } from './routes/notifications.js';
import { probeRoutes } from './routes/probe.js';
import { notifierRoutes } from './routes/notifiers.js';
import type { NotifierConfig } from '../notify/notifier-config.js';
import { queueRoutes } from './routes/queue.js';
import type { ProbeService } from '../probe/probe-service.js';
import { settingsRoutes } from './routes/settings.js';
import { sourceRoutes } from './routes/sources.js';
import { channelRoutes } from './routes/channels.js';
import type { SeriesRules } from '../live/series-rules.js';
import { userRoutes } from './routes/users.js';
import { metricsRoutes, statsRoutes, type MetricsEndpoint } from './routes/stats.js';
import type { StatsApi } from '../metrics/stats-queries.js';
import { speedRoutes, type SpeedApi } from './routes/speed.js';
import { fileRoutes } from './routes/files.js';
import { LinkSigner } from '../auth/signed-links.js';
import { systemRoutes, type SystemInfo } from './routes/system.js';

export interface HttpDeps {
  jobs: JobService;
  bus: EventBus<AppEvents>;
  logger: Logger;
  system: SystemInfo;
  /** Sign-in, keys and sessions (README "Access control"). */
  auth: AuthService;
  activity: ActivityLog;
  mode: AppMode;
  /** Peer addresses believed for X-Remote-User-* (ingress): the Supervisor in the add-on. */
  trustedProxies: readonly string[];
  corsOrigins: readonly string[];
  /** Recent log lines for GET /api/logs. */
  logs: LogBuffer;
  /** The built panel (dist/panel by default); `null` serves no panel. */
  panelDir?: string | null;
  /** MQTT, Home Assistant and Telegram: /api/notifications/status and /test. */
  notifications?: NotificationsApi;
  /** Notifiers added in the panel: /api/notifiers (README "Notification channels"). */
  notifiers?: NotifierConfig;
  /** Playlist sources (README "Playlist sources"). */
  sources?: SourceService;
  /** Largest accepted M3U upload (upload_max_mb). */
  uploadMaxBytes?: number;
  /** Library destinations (README "Library destinations"). */
  destinations?: DestinationService;
  /** Runtime settings: GET/PATCH /api/settings (README "Settings"). */
  settings?: RuntimeSettings;
  /** POST /api/probe (README "Browser extension"). */
  probe?: ProbeService;
  /** Statistics views and active alerts (README "Metrics, statistics and alerts"). */
  stats?: StatsApi;
  /** GET /metrics (Prometheus). */
  metrics?: MetricsEndpoint;
  /** Told of every request: method, route pattern, status, seconds (the HTTP metrics). */
  observeRequest?: (method: string, route: string, status: number, seconds: number) => void;
  /** The download speed limit and its schedule (README "Speed limits and schedules"). */
  speed?: SpeedApi;
  /** Signs the panel's links to finished files; one per process. */
  linkSigner?: LinkSigner;
  /** Media servers refreshed after downloads (README "Media servers"). */
  mediaServers?: MediaServerService;
  /** API writes per minute per caller (api_write_rate_per_minute); 0 or absent: no limit. */
  writeRatePerMinute?: number;
  /** Host names the pre-setup local trust accepts besides localhost and IP literals (allowed_hosts). */
  allowedHosts?: readonly string[];
  /** Series recording rules (README "Live recording"). */
  recordingRules?: SeriesRules;
}

/** The Koa app and its routes with their declared access (tests check every route declares one). */
export type HttpApp = Koa & { routeTable: RouteInfo[] };

export function createHttpApp(deps: HttpDeps): HttpApp {
  // Every API router goes in this list: the access table (who may call what) is built from it.
  const routers: Router[] = [
    downloadRoutes(deps.jobs),
    fileRoutes({ job: (id) => deps.jobs.get(id), signer: deps.linkSigner ?? new LinkSigner(), now: deps.system.now }),
    systemRoutes(deps.jobs, deps.system),
    eventRoutes(deps.bus),
    authRoutes({ auth: deps.auth, activity: deps.activity, mode: deps.mode, now: deps.system.now }),
    userRoutes(deps.auth),
    keyRoutes(deps.auth),
    activityRoutes(deps.activity, deps.logs),
    queueRoutes(deps.jobs),
    ...(deps.notifications ? [notificationRoutes(deps.notifications)] : []),
    ...(deps.notifiers ? [notifierRoutes(deps.notifiers)] : []),
    ...(deps.sources ? [sourceRoutes(deps.sources, { uploadMaxBytes: deps.uploadMaxBytes ?? 100 * 1024 * 1024 })] : []),
    ...(deps.sources ? [channelRoutes(deps.sources, deps.recordingRules)] : []),
    ...(deps.destinations ? [destinationRoutes(deps.destinations)] : []),
    ...(deps.settings ? [settingsRoutes(deps.settings)] : []),
    ...(deps.probe ? [probeRoutes(deps.probe)] : []),
    ...(deps.stats ? [statsRoutes(deps.stats)] : []),
    ...(deps.metrics ? [metricsRoutes(deps.metrics)] : []),
    ...(deps.speed ? [speedRoutes(deps.speed)] : []),
    ...(deps.mediaServers ? [mediaServerRoutes(deps.mediaServers)] : []),
  ];
  const table = routeTable(routers);
  const app = new Koa();
  app.proxy = true;
  // Koa reports stream errors here; a client closing an SSE stream or a download is not one.
  app.on('error', (err: { code?: string; status?: number }) => {
    if (err.code === 'ERR_STREAM_PREMATURE_CLOSE' || err.code === 'ECONNRESET' || err.code === 'EPIPE') return;
    if (typeof err.status === 'number' && err.status < 500) return;
    deps.logger.error({ err }, 'http server error');
  });
  app.use(async (ctx, next) => {
    const start = performance.now();
    try {
      await next();
    } finally {
      const ms = performance.now() - start;
      if (ctx.path !== '/api/events') {
        deps.logger.debug({ method: ctx.method, path: ctx.path, status: ctx.status, ms: Math.round(ms) }, 'request');
        // Route patterns only (never the path itself): bounded label values for the metrics.
        const route = (ctx as { _matchedRoute?: unknown })._matchedRoute;
        const pattern = typeof route === 'string' ? route : ctx.path.startsWith('/api') ? 'unmatched' : 'panel';
        deps.observeRequest?.(ctx.method, pattern, ctx.status, ms / 1000);
      }
    }
  });
  app.use(cors(deps.corsOrigins));
  app.use(errorMiddleware(deps.logger));
  app.use(authenticate({ auth: deps.auth, mode: deps.mode, trustedProxies: new Set(deps.trustedProxies), allowedHosts: deps.allowedHosts ?? [] }));
  app.use(writeRateLimit({ perMinute: deps.writeRatePerMinute ?? 0, now: deps.system.now }));
  app.use(accessControl({ table, setupRequired: () => deps.mode === 'standalone' && deps.auth.isUnconfigured() }));
  app.use(audit(deps.activity));
  app.use(requireJsonBodies());
  app.use(jsonBodies());
  for (const router of routers) {
    app.use(router.routes());
    app.use(router.allowedMethods());
  }
  const panel = deps.panelDir === null ? null : panelMiddleware({ dir: deps.panelDir });
  if (panel) app.use(panel);
  app.use(async (ctx, next) => {
    await next();
    if (ctx.path === '/' && ctx.body === undefined) {
      ctx.body = { name: 'm3u-downloader', version: deps.system.version, api: 'api/' };
    }
  });
  return Object.assign(app, { routeTable: table });
}
