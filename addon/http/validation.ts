import { z } from 'zod';
import { CONTENT_TYPES } from '../domain/content.js';
import { JOB_STATUSES, PRIORITIES } from '../domain/job-status.js';
import { CONTAINERS } from '../domain/media.js';

/** An absolute http(s) URL with a host: the only kind of URL the downloader ever fetches. */
export function isHttpUrl(value: string): boolean {
  try {
    const u = new URL(value);
    return (u.protocol === 'http:' || u.protocol === 'https:') && u.hostname !== '';
  } catch {
    return false;
  }
}

export const httpUrl = z
  .string({ error: 'must be a string' })
  .trim()
  .min(1, 'is required')
  .max(8192, 'is too long')
  .refine(isHttpUrl, 'must be an http(s) URL');

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const FORBIDDEN_HEADERS = new Set(['host', 'content-length', 'connection', 'transfer-encoding', 'range']);

export const headers = z
  .record(z.string(), z.string({ error: 'header values must be strings' }).max(8192))
  .superRefine((value, ctx) => {
    const names = Object.keys(value);
    if (names.length > 50) ctx.addIssue({ code: 'custom', message: 'at most 50 headers' });
    for (const name of names) {
      if (!HEADER_NAME.test(name)) ctx.addIssue({ code: 'custom', message: `"${name}" is not a valid header name`, path: [name] });
      else if (FORBIDDEN_HEADERS.has(name.toLowerCase())) ctx.addIssue({ code: 'custom', message: `"${name}" is managed by the downloader`, path: [name] });
      if (/[\r\n\0]/.test(value[name] ?? '')) ctx.addIssue({ code: 'custom', message: 'header values cannot contain line breaks', path: [name] });
    }
  });

export const newDownloadSchema = z.strictObject(
  {
    url: httpUrl,
    title: z.string().trim().max(500, 'is too long').optional(),
    referer: httpUrl.optional(),
    headers: headers.optional(),
    quality: z
      .string()
      .trim()
      .toLowerCase()
      .regex(/^(best|worst|\d{3,4}p)$/, 'must be "best", "worst" or a height such as "720p"')
      .optional(),
    priority: z.enum(PRIORITIES, { error: `must be one of ${PRIORITIES.join(', ')}` }).optional(),
    content_type: z.enum(CONTENT_TYPES, { error: `must be one of ${CONTENT_TYPES.join(', ')}` }).optional(),
    container: z.enum(CONTAINERS, { error: `must be one of ${CONTAINERS.join(', ')}` }).optional(),
    // Naming data (the naming templates' tokens), optional.
    show: z.string().trim().max(500, 'is too long').optional(),
    year: z.number({ error: 'must be a year' }).int().min(1870).max(2200).optional(),
    season: z.number({ error: 'must be a number' }).int().min(0).max(9999).optional(),
    episode: z.number({ error: 'must be a number' }).int().min(0).max(99999).optional(),
    episode_title: z.string().trim().max(500, 'is too long').optional(),
    tmdb_id: z.number({ error: 'must be a TMDB id' }).int().positive().optional(),
    /** A poster image for notifications (Telegram sendPhoto fetches it; the add-on never does). */
    poster: httpUrl.optional(),
    /** A library destination id (GET /api/destinations); absent: by content type, else the media folder. */
    destination: z.string({ error: 'must be a destination id' }).trim().min(1, 'must be a destination id').max(100, 'is too long').optional(),
  },
  { error: (issue) => (issue.code === 'unrecognized_keys' ? `unknown field(s): ${issue.keys.join(', ')}` : undefined) },
);

/** Unknown fields are an error, named in the message. */
export const strictObjectOptions = {
  error: (issue: { code: string; keys?: string[] }) => (issue.code === 'unrecognized_keys' ? `unknown field(s): ${(issue.keys ?? []).join(', ')}` : undefined),
};

export const listQuerySchema = z.object({
  status: z
    .enum(JOB_STATUSES, { error: `must be one of ${JOB_STATUSES.join(', ')}` })
    .optional(),
  limit: z.coerce.number({ error: 'must be a number' }).int().min(1).max(500).default(50),
  offset: z.coerce.number({ error: 'must be a number' }).int().min(0).default(0),
});

export const deleteQuerySchema = z.object({
  delete_file: z.enum(['true', 'false', '1', '0']).optional().transform((v) => v === 'true' || v === '1'),
});
