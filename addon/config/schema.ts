import { z } from 'zod';
import { CONTAINERS } from '../jobs/model.js';

const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const optionalText = z
  .string()
  .transform((s) => s.trim())
  .transform((s) => (s === '' ? undefined : s))
  .optional();

/**
 * Every setting, its type, range and default. Keys are snake_case because they are also the
 * add-on's options.json keys; environment variables are the same names in upper case.
 */
export const configSchema = z.object({
  port: int(1, 65535).default(8099),
  data_dir: z.string().min(1).default('./data'),
  media_dir: z.string().min(1).default('./media'),
  /** Work files of running downloads; defaults to <data_dir>/tmp. */
  tmp_dir: optionalText,
  log_level: z.enum(LOG_LEVELS).default('info'),
  /** When set, every /api route except /api/health needs `Authorization: Bearer <key>`. */
  api_key: optionalText,
  max_concurrent_downloads: int(1, 50).default(3),
  segment_concurrency: int(1, 64).default(10),
  max_connections_per_host: int(1, 256).default(16),
  default_container: z.enum(CONTAINERS).default('mp4'),
  ffmpeg_path: optionalText,
  /** Seconds without a byte before a request is abandoned and retried. */
  request_timeout_s: int(1, 600).default(30),
});

export type ConfigInput = z.input<typeof configSchema>;
type Parsed = z.output<typeof configSchema>;
export type Config = Readonly<Omit<Parsed, 'tmp_dir'> & { tmp_dir: string; options_path: string | null }>;

/** Settings whose values never appear in error messages or logs. */
export const SECRET_KEYS: ReadonlySet<string> = new Set(['api_key']);
