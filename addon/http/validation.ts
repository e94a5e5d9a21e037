import { z } from 'zod';
import { JOB_STATUSES } from '../domain/job-status.js';

// Shared validators live in domain/, the download request with the jobs (MQTT and Telegram take it too).
export { headers, httpUrl, isHttpUrl, strictObjectOptions } from '../domain/validators.js';
export { newDownloadSchema } from '../jobs/new-download-schema.js';

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
