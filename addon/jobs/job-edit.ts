/**
 * What an edit of a download may change, by status (PATCH /api/downloads/:id). Pure: the service
 * applies the result. A queued or paused download takes every change; a running one takes what is
 * only used later (title, naming, destination, priority) and says which changes would need the
 * download to start again; a download being filed takes only its title and priority.
 */
import { downloadQuality } from '../domain/validators.js';
import { z } from 'zod';
import { CONTENT_TYPES } from '../domain/content.js';
import { PRIORITIES } from '../domain/job-status.js';
import { CONTAINERS } from '../domain/media.js';
import type { Job, JobStatus } from './model.js';

const text = (max: number) => z.string({ error: 'must be a string' }).trim().max(max, 'is too long');
const nullable = <T extends z.ZodType>(t: T) => z.union([t, z.null()]).optional();

export const jobEditSchema = z.strictObject(
  {
    title: text(500).min(1, 'must not be empty').optional(),
    priority: z.enum(PRIORITIES, { error: `must be one of ${PRIORITIES.join(', ')}` }).optional(),
    quality: downloadQuality.optional(),
    container: z.enum(CONTAINERS, { error: `must be one of ${CONTAINERS.join(', ')}` }).optional(),
    // Naming data; null clears a field.
    content_type: nullable(z.enum(CONTENT_TYPES, { error: `must be one of ${CONTENT_TYPES.join(', ')}` })),
    show: nullable(text(500)),
    year: nullable(z.number({ error: 'must be a year' }).int().min(1870).max(2200)),
    season: nullable(z.number({ error: 'must be a number' }).int().min(0).max(9999)),
    episode: nullable(z.number({ error: 'must be a number' }).int().min(0).max(99999)),
    episode_title: nullable(text(500)),
    tmdb_id: nullable(z.number({ error: 'must be a TMDB id' }).int().positive()),
    /** A destination id; null goes back to choosing by content type. */
    destination: nullable(z.string({ error: 'must be a destination id' }).trim().min(1, 'must be a destination id').max(100, 'is too long')),
  },
  { error: (issue) => (issue.code === 'unrecognized_keys' ? `these cannot be edited: ${issue.keys.join(', ')}` : undefined) },
);
export type JobEdit = z.infer<typeof jobEditSchema>;
export type EditField = keyof JobEdit;

/** Fields that decide what is fetched or how it is merged: changing them means starting again. */
const FETCH_FIELDS: readonly EditField[] = ['quality', 'container'];
/** Fields only read when the file is filed (the transfer picks the path and destination at its start). */
const FILING_FIELDS: readonly EditField[] = ['content_type', 'show', 'year', 'season', 'episode', 'episode_title', 'tmdb_id', 'destination'];

export interface EditPlan {
  /** The changes to apply now. */
  apply: Partial<Record<EditField, unknown>>;
  /** Changes not applied, with the reason in words. */
  notApplied: Partial<Record<EditField, string>>;
  /** The fetched data belongs to the old quality or format: delete it so the next start fetches anew. */
  discardWork: boolean;
}

const EDITABLE_ANYHOW: readonly JobStatus[] = ['pending', 'paused', 'failed'];

/** 409 for a finished download; otherwise which changes apply now. */
export function planEdit(job: Pick<Job, 'status' | 'quality' | 'container' | 'bytes_done'>, edit: JobEdit): EditPlan | { refused: string } {
  if (job.status === 'completed' || job.status === 'cancelled') return { refused: `a ${job.status} download cannot be edited` };
  const apply: EditPlan['apply'] = {};
  const notApplied: EditPlan['notApplied'] = {};
  let discardWork = false;
  for (const [key, value] of Object.entries(edit) as Array<[EditField, unknown]>) {
    if (value === undefined) continue;
    if (EDITABLE_ANYHOW.includes(job.status)) {
      apply[key] = value;
      if (FETCH_FIELDS.includes(key) && value !== job[key as 'quality' | 'container'] && job.bytes_done > 0) discardWork = true;
    } else if (FETCH_FIELDS.includes(key)) {
      notApplied[key] = `is used when the download starts: pause it, then edit it (what it fetched so far is discarded)`;
    } else if (job.status === 'transferring' && FILING_FIELDS.includes(key)) {
      notApplied[key] = 'the file is already being filed under its name and destination';
    } else {
      apply[key] = value;
    }
  }
  return { apply, notApplied, discardWork };
}
