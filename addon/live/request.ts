import { z } from 'zod';
import type { LiveRequest } from './model.js';

/**
 * POST /api/downloads `live` (also the MQTT `record` command): when to start and stop a live
 * recording. Shape here; the checks against the clock are liveRequestProblem's.
 */
const isoTime = z
  .string({ error: 'must be an ISO 8601 time such as 2026-12-06T20:00:00Z' })
  .trim()
  .max(64, 'is too long')
  .refine((s) => /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(s) && Number.isFinite(Date.parse(s)), 'must be an ISO 8601 time such as 2026-12-06T20:00:00Z');

export const liveRequestSchema = z.strictObject(
  {
    duration_s: z.number({ error: 'must be a number of seconds' }).positive('must be more than 0').max(7 * 24 * 3600, 'is too long (at most a week)').optional(),
    until: isoTime.optional(),
    start_at: isoTime.optional(),
    split_minutes: z.number({ error: 'must be a number of minutes' }).min(0.05, 'must be at least 0.05 (3 s)').max(1440, 'must be at most 1440').optional(),
    channel: z.string({ error: 'must be a string' }).trim().max(200, 'is too long').optional(),
  },
  { error: (issue) => (issue.code === 'unrecognized_keys' ? `unknown field(s): ${issue.keys.join(', ')}` : undefined) },
);

/** What is wrong with a live request at time `now` (ms), as `[field, sentence]`; null when fine. Pure. */
export function liveRequestProblem(live: LiveRequest, now: number): [string, string] | null {
  const start = live.start_at ? Date.parse(live.start_at) : null;
  const until = live.until ? Date.parse(live.until) : null;
  if (until !== null && until <= now) return ['live.until', 'is in the past'];
  if (until !== null && start !== null && until <= start) return ['live.until', 'must be after start_at'];
  if (live.duration_s != null && until !== null) return ['live.duration_s', 'give duration_s or until, not both'];
  return null;
}
