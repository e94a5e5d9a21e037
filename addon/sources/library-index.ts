/**
 * The library as the source diff sees it: every job that is completed or still queued (not
 * failed, not cancelled), by identity. Jobs created from a source carry their variantKey; jobs
 * added by hand are identified by classifying their title. Pure.
 *
 * "Already downloaded" is per work (Radarr's one-file-per-movie rule): having the subtitled
 * version means the dubbed one is not offered again. The exception is an upgrade: the same work
 * and language in a strictly better accepted quality than every library copy of a known quality.
 */
import type { Job, JobStatus } from '../jobs/model.js';
import { languageKeyOf, rankOf, workKeyOf } from './catalogue.js';
import type { Classification, ClassifyInput } from './classify.js';
import { identityKeys } from './identity.js';
import { runToEnd, STEP_ITEMS, type Steps } from '../domain/steps.js';

const JOB_STEP = STEP_ITEMS / 8;

const LIBRARY_STATUSES: ReadonlySet<JobStatus> = new Set(['pending', 'downloading', 'merging', 'transferring', 'completed', 'paused']);

interface Held {
  lang: string;
  rank: number;
  jobId: string;
}

export type LibraryStatus = 'downloaded' | 'upgrade' | null;

export class LibraryIndex {
  private readonly byWork = new Map<string, Held[]>();

  /** `keyOf` identifies a job (the service caches it per job). */
  static fromJobs(jobs: readonly Job[], keyOf: (job: Job) => string | null): LibraryIndex {
    return runToEnd(LibraryIndex.fromJobsSteps(jobs, keyOf));
  }

  /** fromJobs as steps (domain/steps.ts): classifying thousands of hand-added jobs takes a while. */
  static *fromJobsSteps(jobs: readonly Job[], keyOf: (job: Job) => string | null): Steps<LibraryIndex> {
    const index = new LibraryIndex();
    let step = 0;
    for (const job of jobs) {
      // A job added by hand is classified from its title (tens of µs cold): smaller steps.
      if (++step === JOB_STEP) {
        step = 0;
        yield;
      }
      if (!LIBRARY_STATUSES.has(job.status)) continue;
      const key = keyOf(job);
      if (key) index.add(key, job.id);
    }
    return index;
  }

  add(variantKey: string, jobId: string): void {
    const work = workKeyOf(variantKey);
    let list = this.byWork.get(work);
    if (!list) this.byWork.set(work, (list = []));
    list.push({ lang: languageKeyOf(variantKey), rank: rankOf(variantKey), jobId });
  }

  get size(): number {
    return this.byWork.size;
  }

  /**
   * 'downloaded' when the library has the work and this item is no upgrade of it; 'upgrade' when
   * the item (quality status `accepted`) beats every copy of the same language whose quality
   * is known; null when the library does not have the work.
   */
  statusOf(variantKey: string, accepted: boolean): LibraryStatus {
    const held = this.byWork.get(workKeyOf(variantKey));
    if (!held) return null;
    if (!accepted) return 'downloaded';
    const lang = languageKeyOf(variantKey);
    let best = -1;
    for (const h of held) if (h.lang === lang && h.rank > best) best = h.rank;
    if (best <= 0) return 'downloaded'; // other language only, or quality unknown
    return rankOf(variantKey) > best ? 'upgrade' : 'downloaded';
  }

  /** The job holding this work (same language first, best quality first). */
  jobFor(variantKey: string): string | null {
    const held = this.byWork.get(workKeyOf(variantKey));
    if (!held) return null;
    const lang = languageKeyOf(variantKey);
    let pick: Held | null = null;
    for (const h of held) {
      if (!pick || (h.lang === lang && pick.lang !== lang) || (h.lang === pick.lang && h.rank > pick.rank)) pick = h;
    }
    return pick?.jobId ?? null;
  }
}

/** The identity of a job added by hand: its title classified like a list entry. */
export function jobVariantKey(job: Pick<Job, 'title' | 'url' | 'content_type' | 'variant_key'>, classify: (i: ClassifyInput) => Classification): string | null {
  if (job.variant_key) return job.variant_key;
  if (!job.title) return null;
  if (job.content_type === 'recording') return null;
  const c = classify({ title: job.title, url: job.url, typeHint: job.content_type });
  if (c.contentType === 'live') return null;
  return identityKeys(c).variantKey;
}
