/**
 * A download request (POST /api/downloads, the MQTT `download` command, a Telegram message): the
 * same shape wherever it comes from, so it lives with the jobs, not with one of those adapters.
 */
import { z } from 'zod';
import { CONTENT_TYPES } from '../domain/content.js';
import { PRIORITIES } from '../domain/job-status.js';
import { CONTAINERS } from '../domain/media.js';
import { headers, httpUrl, downloadQuality } from '../domain/validators.js';
import { audioLanguagesSchema, subtitleLanguagesSchema, subtitlesAsSchema } from '../tracks/selection.js';
import { liveRequestSchema } from '../live/request.js';

export const newDownloadSchema = z.strictObject(
  {
    url: httpUrl,
    title: z.string().trim().max(500, 'is too long').optional(),
    referer: httpUrl.optional(),
    headers: headers.optional(),
    /** The web page the stream was found on (the browser extension sends it); kept on the job. */
    page_url: httpUrl.optional(),
    /** That page's title; the job's title when `title` is absent. */
    page_title: z.string({ error: 'must be a string' }).trim().max(500, 'is too long').optional(),
    quality: downloadQuality.optional(),
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
    /** Tracks to keep (README "Tracks"): audio and subtitle languages, and how subtitles are delivered. */
    audio_languages: audioLanguagesSchema.optional(),
    subtitle_languages: subtitleLanguagesSchema.optional(),
    subtitles_as: subtitlesAsSchema.optional(),
    /** Record a live stream: `{duration_s?, until?, start_at?, split_minutes?, channel?}` (README "Live recording"). */
    live: liveRequestSchema.optional(),
  },
  { error: (issue) => (issue.code === 'unrecognized_keys' ? `unknown field(s): ${issue.keys.join(', ')}` : undefined) },
);
