import { readdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '../platform/logger.js';

/** Job ids are UUIDs (job-service.ts): only names that start with one are ours to remove. */
const JOB_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/;
/**
 * A staged file of an unknown job is removed only once nothing has written to it for this long:
 * the library folder may be shared with another instance, whose running remux writes there.
 */
export const STAGED_STALE_AFTER_MS = 60 * 60_000;

export interface StaleWorkOptions {
  /** TMP_DIR/jobs: one folder per job. */
  workRoot: string;
  /** The staging folders of the local destinations (`.m3u-downloader-incoming`), existing or not. */
  stagingDirs: () => string[];
  /** Whether a job with this id is in the store. */
  isKnown: (id: string) => boolean;
  /** Removes a job's work dir and the staged output it names (DownloadEngine.removeWorkDir). */
  removeWorkDir: (id: string) => Promise<void>;
  now: () => number;
  logger: Logger;
}

async function entries(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch {
    return [];
  }
}

/**
 * Work files of jobs that no longer exist: a job deleted (or pruned) while the server died before
 * its files went, or a db.json restored from its backup. Their work dirs go, and so do their
 * outputs in the staging folders, which would otherwise fill the library's disk unseen (a dot
 * folder). The folders are listed before the store is asked, so a job created meanwhile is
 * never mistaken for a gone one. Returns how many were removed.
 */
export async function sweepStaleWork(opts: StaleWorkOptions): Promise<number> {
  let removed = 0;
  const workDirs = await entries(opts.workRoot);
  for (const id of workDirs) {
    if (!JOB_ID.test(id) || opts.isKnown(id)) continue;
    await opts.removeWorkDir(id);
    opts.logger.info({ jobId: id }, 'removed the work files of a download that no longer exists');
    removed++;
  }
  for (const dir of new Set(opts.stagingDirs())) {
    for (const name of await entries(dir)) {
      const id = JOB_ID.exec(name)?.[0];
      if (!id || opts.isKnown(id)) continue;
      const file = path.join(dir, name);
      try {
        const st = await stat(file);
        if (!st.isFile() || opts.now() - st.mtimeMs < STAGED_STALE_AFTER_MS) continue;
        await rm(file, { force: true });
      } catch {
        continue;
      }
      opts.logger.info({ jobId: id, file }, 'removed a staged file of a download that no longer exists');
      removed++;
    }
  }
  return removed;
}
