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

/**
 * The MQTT `record` command: a channel (id, tvg-id or name) or a URL, and when: `duration_s`,
 * `until`, `start_at`, or `programme` (a title airing now or next on the channel, or `{start}`).
 */
export const recordCommandSchema = z
  .strictObject(
    {
      channel: z.string({ error: 'must be a channel id, tvg-id or name' }).trim().min(1).max(200).optional(),
      url: z
        .string({ error: 'must be a string' })
        .trim()
        .max(8192, 'is too long')
        .refine((u) => {
          try {
            const p = new URL(u);
            return (p.protocol === 'http:' || p.protocol === 'https:') && p.hostname !== '';
          } catch {
            return false;
          }
        }, 'must be an http(s) URL')
        .optional(),
      title: z.string().trim().max(500, 'is too long').optional(),
      duration_s: liveRequestSchema.shape.duration_s,
      until: liveRequestSchema.shape.until,
      start_at: liveRequestSchema.shape.start_at,
      split_minutes: liveRequestSchema.shape.split_minutes,
      programme: z.union([z.string().trim().min(1).max(500), z.strictObject({ start: z.string().trim().max(64) })]).optional(),
      request_id: z.union([z.string().max(200), z.number()]).optional(),
    },
    { error: (issue) => (issue.code === 'unrecognized_keys' ? `unknown field(s): ${issue.keys.join(', ')}` : undefined) },
  )
  .superRefine((v, ctx) => {
    if (!v.channel === !v.url) ctx.addIssue({ code: 'custom', path: ['channel'], message: 'give a channel or a url' });
    if (v.programme && !v.channel) ctx.addIssue({ code: 'custom', path: ['programme'], message: 'a programme needs a channel' });
    if (v.programme && (v.duration_s || v.until || v.start_at)) ctx.addIssue({ code: 'custom', path: ['programme'], message: 'give a programme or times, not both' });
  });
export type RecordCommand = z.infer<typeof recordCommandSchema>;
