import Koa from 'koa';
import type Router from '@koa/router';
import { bodyParser } from '@koa/bodyparser';
import type { AppMode } from '../auth/model.js';
import type { AuthService } from '../auth/service.js';
import type { AppEvents } from '../events/app-events.js';
import type { EventBus } from '../events/bus.js';
import type { JobService } from '../jobs/job-service.js';
import type { DestinationService } from '../library/destination-service.js';
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
import { panelMiddleware } from './panel.js';
import { downloadRoutes } from './routes/downloads.js';
import { destinationRoutes } from './routes/destinations.js';
import { activityRoutes } from './routes/activity.js';
import { authRoutes } from './routes/auth.js';
import { eventRoutes } from './routes/events.js';
import { keyRoutes } from './routes/keys.js';
import { notificationRoutes, type NotificationsApi } from './routes/notifications.js';
import { queueRoutes } from './routes/queue.js';
import { settingsRoutes } from './routes/settings.js';
import { sourceRoutes } from './routes/sources.js';
import { channelRoutes } from './routes/channels.js';
import type { SeriesRules } from '../live/series-rules.js';
import { userRoutes } from './routes/users.js';
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
  /** Playlist sources (README "Playlist sources"). */
  sources?: SourceService;
  /** Largest accepted M3U upload (upload_max_mb). */
  uploadMaxBytes?: number;
  /** Library destinations (README "Library destinations"). */
  destinations?: DestinationService;
  /** Runtime settings: GET/PATCH /api/settings (README "Settings"). */
  settings?: RuntimeSettings;
  /** Series recording rules (README "Live recording"). */
  recordingRules?: SeriesRules;
}

/** The Koa app and its routes with their declared access (tests check every route declares one). */
export type HttpApp = Koa & { routeTable: RouteInfo[] };

export function createHttpApp(deps: HttpDeps): HttpApp {
  // Every API router goes in this list: the access table (who may call what) is built from it.
  const routers: Router[] = [
    downloadRoutes(deps.jobs),
    systemRoutes(deps.jobs, deps.system),
    eventRoutes(deps.bus),
    authRoutes({ auth: deps.auth, activity: deps.activity, mode: deps.mode, now: deps.system.now }),
    userRoutes(deps.auth),
    keyRoutes(deps.auth),
    activityRoutes(deps.activity, deps.logs),
    queueRoutes(deps.jobs),
    ...(deps.notifications ? [notificationRoutes(deps.notifications)] : []),
    ...(deps.sources ? [sourceRoutes(deps.sources, { uploadMaxBytes: deps.uploadMaxBytes ?? 100 * 1024 * 1024 })] : []),
    ...(deps.sources ? [channelRoutes(deps.sources, deps.recordingRules)] : []),
    ...(deps.destinations ? [destinationRoutes(deps.destinations)] : []),
    ...(deps.settings ? [settingsRoutes(deps.settings)] : []),
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
    const start = Date.now();
    await next();
    if (ctx.path !== '/api/events') {
      deps.logger.debug({ method: ctx.method, path: ctx.path, status: ctx.status, ms: Date.now() - start }, 'request');
    }
  });
  app.use(cors(deps.corsOrigins));
  app.use(errorMiddleware(deps.logger));
  app.use(authenticate({ auth: deps.auth, mode: deps.mode, trustedProxies: new Set(deps.trustedProxies) }));
  app.use(accessControl({ table, setupRequired: () => deps.mode === 'standalone' && deps.auth.isUnconfigured() }));
  app.use(audit(deps.activity));
  app.use(
    bodyParser({
      enableTypes: ['json'],
      jsonLimit: '1mb',
      onError: (err) => {
        throw Object.assign(err, { status: 400, expose: true, message: `invalid JSON body: ${err.message}` });
      },
    }),
  );
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
