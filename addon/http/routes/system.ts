import { statfs } from 'node:fs/promises';
import Router from '@koa/router';
import type { JobService } from '../../jobs/job-service.js';
import type { FfmpegBinary } from '../../platform/ffmpeg.js';

export interface SystemInfo {
  version: string;
  startedAt: number;
  ffmpeg: FfmpegBinary;
  mediaDir: string;
  now: () => number;
}

async function freeBytes(dir: string): Promise<number | null> {
  try {
    const s = await statfs(dir);
    return s.bavail * s.bsize;
  } catch {
    return null;
  }
}

export function systemRoutes(jobs: JobService, info: SystemInfo): Router {
  const router = new Router({ prefix: '/api' });

  router.get('/health', (ctx) => {
    ctx.body = {
      status: 'ok',
      version: info.version,
      uptime_s: Math.round((info.now() - info.startedAt) / 1000),
      ffmpeg: { version: info.ffmpeg.version, source: info.ffmpeg.source },
    };
  });

  router.get('/stats', async (ctx) => {
    ctx.body = { ...jobs.stats(), free_bytes: await freeBytes(info.mediaDir) };
  });

  return router;
}
