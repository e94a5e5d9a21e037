import { createReadStream } from 'node:fs';
import { lstat } from 'node:fs/promises';
import path from 'node:path';
import Router from '@koa/router';
import { roleAtLeast } from '../../auth/model.js';
import type { LinkSigner } from '../../auth/signed-links.js';
import { AppError } from '../../errors.js';
import type { Job } from '../../jobs/model.js';
import { allow } from '../access.js';
import { principalOf } from '../auth.js';
import { contentDisposition, mediaTypeOf, parseRange } from '../range.js';

export interface FileRoutesDeps {
  job(id: string): Job;
  signer: LinkSigner;
  now(): number;
  /** How long a link stays good (6 hours: a film watched with pauses). */
  linkTtlMs?: number;
}

/** The finished file of a job when it is on this machine (a local destination), else why not. */
async function localFile(job: Job): Promise<{ file: string; size: number; name: string }> {
  if (job.status !== 'completed' || !job.location) throw new AppError('file_not_ready', `"${job.title}" has no finished file yet (it is ${job.status})`, { httpStatus: 409 });
  if (!path.isAbsolute(job.location)) {
    const where = job.transfer?.destination_name ?? 'its library destination';
    throw new AppError('file_not_local', `the file was filed on ${where} (${job.transfer?.destination_kind ?? 'remote'}): open it from there`, { httpStatus: 409 });
  }
  const file = path.normalize(job.location);
  const st = await lstat(file).catch(() => null);
  // A symlink or anything but a regular file is not served: the path is ours, what is there may not be.
  if (!st || !st.isFile()) throw new AppError('file_missing', `the file of "${job.title}" is no longer in the library`, { httpStatus: 410 });
  return { file, size: st.size, name: path.basename(file) };
}

/**
 * Finished files for the panel: GET .../file-link gives a signed link (a <video> element cannot
 * send our headers), GET .../file serves it with byte ranges so a phone can seek. Viewer role.
 */
export function fileRoutes(deps: FileRoutesDeps): Router {
  const router = new Router({ prefix: '/api/downloads' });
  const ttl = deps.linkTtlMs ?? 6 * 3600_000;

  router.get('/:id/file-link', allow('viewer'), async (ctx) => {
    const job = deps.job(ctx.params.id!);
    const { size, name } = await localFile(job);
    const exp = deps.now() + ttl;
    const filePath = `/api/downloads/${job.id}/file`;
    const query = `exp=${exp}&sig=${deps.signer.sign(filePath, exp)}`;
    ctx.set('Cache-Control', 'no-store');
    ctx.body = {
      // Relative to the panel's base, like every API path the panel uses (ingress prefix safe).
      url: `api/downloads/${job.id}/file?${query}`,
      download_url: `api/downloads/${job.id}/file?${query}&download=1`,
      expires_at: new Date(exp).toISOString(),
      name,
      size,
      content_type: mediaTypeOf(name),
    };
  });

  router.get('/:id/file', allow('public'), async (ctx) => {
    const principal = principalOf(ctx);
    const signed = deps.signer.verify(ctx.path, ctx.query.exp as string | undefined, ctx.query.sig as string | undefined, deps.now());
    if (!signed && !(principal && roleAtLeast(principal.role, 'viewer'))) {
      throw new AppError('unauthorized', 'this link has expired or is not valid: open the file again from the panel', { httpStatus: 401 });
    }
    const { file, size, name } = await localFile(deps.job(ctx.params.id!));
    const range = parseRange(ctx.get('range') || undefined, size);
    ctx.set('Accept-Ranges', 'bytes');
    ctx.set('Content-Type', mediaTypeOf(name));
    ctx.set('Content-Disposition', contentDisposition(ctx.query.download ? 'attachment' : 'inline', name));
    ctx.set('Cache-Control', 'private, no-store');
    ctx.state.activity = false; // reading a file changes nothing
    if (range.kind === 'unsatisfiable') {
      ctx.set('Content-Range', `bytes */${size}`);
      throw new AppError('range_not_satisfiable', `the file has ${size} bytes`, { httpStatus: 416 });
    }
    if (range.kind === 'partial') {
      ctx.status = 206;
      ctx.set('Content-Range', `bytes ${range.start}-${range.end}/${size}`);
      ctx.length = range.end - range.start + 1;
      ctx.body = createReadStream(file, { start: range.start, end: range.end });
      return;
    }
    ctx.length = size;
    ctx.body = createReadStream(file);
  });

  return router;
}
