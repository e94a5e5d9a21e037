import Koa from 'koa';
import { bodyParser } from '@koa/bodyparser';
import type { AppEvents } from '../events/app-events.js';
import type { EventBus } from '../events/bus.js';
import type { JobService } from '../jobs/job-service.js';
import type { Logger } from '../platform/logger.js';
import { apiKeyAuth } from './auth.js';
import { errorMiddleware } from './errors.js';
import { downloadRoutes } from './routes/downloads.js';
import { eventRoutes } from './routes/events.js';
import { systemRoutes, type SystemInfo } from './routes/system.js';

export interface HttpDeps {
  jobs: JobService;
  bus: EventBus<AppEvents>;
  logger: Logger;
  apiKey: string | undefined;
  system: SystemInfo;
}

export function createHttpApp(deps: HttpDeps): Koa {
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
  app.use(errorMiddleware(deps.logger));
  app.use(apiKeyAuth(deps.apiKey));
  app.use(
    bodyParser({
      enableTypes: ['json'],
      jsonLimit: '1mb',
      onError: (err) => {
        throw Object.assign(err, { status: 400, expose: true, message: `invalid JSON body: ${err.message}` });
      },
    }),
  );
  for (const router of [downloadRoutes(deps.jobs), systemRoutes(deps.jobs, deps.system), eventRoutes(deps.bus)]) {
    app.use(router.routes());
    app.use(router.allowedMethods());
  }
  app.use(async (ctx, next) => {
    await next();
    if (ctx.path === '/' && ctx.body === undefined) {
      ctx.body = { name: 'm3u-downloader', version: deps.system.version, api: 'api/' };
    }
  });
  return app;
}
