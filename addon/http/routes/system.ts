import Router from '@koa/router';
import type { AppMode } from '../../auth/model.js';
import type { JobService } from '../../jobs/job-service.js';
import type { DiskState } from '../../ops/disk-guard.js';
import type { HealthChecks } from '../../ops/health.js';
import type { FfmpegBinary } from '../../platform/ffmpeg.js';
import { allow } from '../access.js';
import { principalOf } from '../auth.js';

export interface SystemInfo {
  version: string;
  startedAt: number;
  ffmpeg: FfmpegBinary;
  mediaDir: string;
  mode: AppMode;
  now: () => number;
  health: HealthChecks;
  /** Measures free space now (the disk guard's check). */
  disk: () => Promise<DiskState>;
  /** Set when db.json was damaged at start and a copy replaced it: the panel warns about what was lost. */
  storeRestore?: () => StoreRestore | null;
}

export interface StoreRestore {
  /** The copy used (file name) and when it had been saved: changes after that time were lost. */
  from: string;
  saved_at: string | null;
  /** Where the damaged db.json was moved. */
  moved_aside: string | null;
}

export function systemRoutes(jobs: JobService, info: SystemInfo): Router {
  const router = new Router({ prefix: '/api' });

  /**
   * Public, for Docker's HEALTHCHECK and uptime monitors: status and version for anyone, every
   * check's details for a signed-in caller. 503 when a check is in error (the store cannot be
   * written), 200 when ok or degraded (a full disk or an absent broker is not fixed by a restart).
   */
  router.get('/health', allow('public'), async (ctx) => {
    const report = await info.health.run();
    ctx.status = report.status === 'error' ? 503 : 200;
    ctx.set('Cache-Control', 'no-store');
    if (!principalOf(ctx)) {
      ctx.body = { status: report.status, version: info.version };
      return;
    }
    ctx.body = {
      status: report.status,
      version: info.version,
      mode: info.mode,
      uptime_s: Math.round((info.now() - info.startedAt) / 1000),
      ffmpeg: { version: info.ffmpeg.version, source: info.ffmpeg.source },
      checks: report.checks,
    };
  });

  router.get('/stats', allow('viewer'), async (ctx) => {
    const disk = await info.disk();
    ctx.body = { ...jobs.stats(), free_bytes: disk.free_bytes, disk, store_restore: info.storeRestore?.() ?? null };
  });

  return router;
}
