import { z } from 'zod';
import { CONTAINERS } from '../domain/media.js';
import { SUBTITLE_OPTION_PATTERN } from '../tracks/selection.js';

const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const optionalText = z
  .string()
  .transform((s) => s.trim())
  .transform((s) => (s === '' ? undefined : s))
  .optional();

const TRUE_WORDS = new Set(['true', '1', 'yes', 'on']);
const FALSE_WORDS = new Set(['false', '0', 'no', 'off']);
/** Booleans from options.json, or from the environment as true/false, 1/0, yes/no, on/off. */
const bool = z.preprocess((value) => {
  if (typeof value !== 'string') return value;
  const word = value.trim().toLowerCase();
  return TRUE_WORDS.has(word) ? true : FALSE_WORDS.has(word) ? false : value;
}, z.boolean({ error: 'must be true or false' }));

/** An optional URL whose scheme is one of `protocols` (e.g. ['http:', 'https:']). */
const optionalUrl = (protocols: readonly string[]) =>
  z
    .string()
    .transform((s) => s.trim())
    .transform((s) => (s === '' ? undefined : s))
    .refine((s) => {
      if (s === undefined) return true;
      try {
        const u = new URL(s);
        return protocols.includes(u.protocol) && u.hostname !== '';
      } catch {
        return false;
      }
    }, `must be a URL starting with ${protocols.map((p) => `${p}//`).join(' or ')}`)
    .optional();
const httpUrl = (fallback: string) => optionalUrl(['http:', 'https:']).transform((s) => (s ?? fallback).replace(/\/+$/, ''));

/** An MQTT topic prefix: no wildcards, no spaces, no leading or trailing slash. */
const topicRoot = z
  .string()
  .trim()
  .min(1, 'is required')
  .max(200, 'is too long')
  .regex(/^[^#+\s\u0000]+$/, 'must not contain spaces, + or #')
  .refine((s) => !s.startsWith('/') && !s.endsWith('/'), 'must not start or end with /');

/** Telegram chat ids: numbers (groups are negative) or @channelname; a list, or comma-separated in the environment. */
const chatIds = z.preprocess(
  (value) => (typeof value === 'string' ? value.split(/[\s,;]+/).filter(Boolean) : typeof value === 'number' ? [value] : value),
  z
    .array(
      z.union([z.number().int(), z.string().trim().regex(/^(-?\d+|@[A-Za-z0-9_]{5,})$/, 'must be numeric chat ids (e.g. -1001234567890) or @channelname')]).transform(String),
      { error: 'must be a list of chat ids' },
    )
    .max(20, 'at most 20 chat ids'),
);

/** A list: a JSON array in options.json, comma-separated in the environment. */
const list = <T extends z.ZodType>(item: T) =>
  z.preprocess((value) => (typeof value === 'string' ? value.split(',').map((s) => s.trim()).filter(Boolean) : value), z.array(item, { error: 'must be a list' }));

/** A browser origin for CORS: scheme://host[:port], no path (https://example.com, chrome-extension://<id>). */
const ORIGIN = /^[a-z][a-z0-9+.-]*:\/\/[^/\s]+$/;
/** "best", "worst", or a height such as 720p. */
export const QUALITY_PATTERN = /^(best|worst|\d{3,4}p)$/;
const IP_ADDRESS = /^(\d{1,3}(\.\d{1,3}){3}|[0-9a-fA-F:]+)$/;

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
  /** A bootstrap admin API key (`Authorization: Bearer <key>`); more keys come from /api/keys. */
  api_key: optionalText,
  max_concurrent_downloads: int(1, 50).default(3),
  segment_concurrency: int(1, 64).default(10),
  max_connections_per_host: int(1, 256).default(16),
  default_container: z.enum(CONTAINERS).default('mp4'),
  ffmpeg_path: optionalText,
  /** Seconds without a byte before a request is abandoned and retried. */
  request_timeout_s: int(1, 600).default(30),
  /** The variant a new download gets when the request names none. */
  default_quality: z.string().trim().toLowerCase().regex(QUALITY_PATTERN, 'must be "best", "worst" or a height such as "720p"').default('best'),
  /** Subtitles a download keeps when the request names none: none, all, or language tags "pt-BR,en". */
  default_subtitle_languages: z.string().trim().regex(SUBTITLE_OPTION_PATTERN, 'must be "none", "all" or language tags such as "pt-BR,en"').default('none'),

  // Access, housekeeping, volumes (README "Access control" and "Operations").
  /** Origins allowed to call the API from a browser (CORS), e.g. a browser extension's. */
  cors_origins: list(z.string().trim().regex(ORIGIN, 'must be an origin such as https://example.com or chrome-extension://<id>')).default([]),
  /**
   * Peer addresses whose X-Remote-User-* headers are believed (Home Assistant ingress). Unset:
   * 172.30.32.2 (the Supervisor) in the add-on, none in plain Docker.
   */
  trusted_proxies: list(z.string().trim().regex(IP_ADDRESS, 'must be an IP address')).optional(),
  /** Days the activity log keeps entries. */
  activity_retention_days: int(1, 3650).default(90),
  /** Finished downloads (completed, cancelled, failed) are forgotten after this many days; 0 keeps them until max_finished_jobs. */
  job_retention_days: int(0, 3650).default(30),
  /** At most this many finished downloads are kept in the list. */
  max_finished_jobs: int(10, 100000).default(500),
  /** Below this much free space (MB) on the media or work dir the queue holds instead of failing downloads; 0 turns it off. */
  min_free_space_mb: int(0, 10000000).default(1024),
  /** Owner (uid/gid) and umask for files written to the media dir (plain Docker on a NAS). */
  puid: int(0, 4294967294).optional(),
  pgid: int(0, 4294967294).optional(),
  umask: z.string().trim().regex(/^0?[0-7]{3}$/, 'must be an octal umask such as 022').optional(),

  // MQTT (README "MQTT and Home Assistant"). Broker: mqtt_url, else mqtt_host, else the
  // Supervisor's MQTT service when SUPERVISOR_TOKEN is set; without one, MQTT stays off.
  mqtt_enabled: bool.default(true),
  /** mqtt://user:pass@host:1883 (mqtts://, ws://, wss:// too); wins over mqtt_host. */
  mqtt_url: optionalUrl(['mqtt:', 'mqtts:', 'tcp:', 'ssl:', 'tls:', 'ws:', 'wss:']),
  mqtt_host: optionalText,
  /** Defaults to 1883, or 8883 with mqtt_tls. */
  mqtt_port: int(1, 65535).optional(),
  mqtt_username: optionalText,
  mqtt_password: optionalText,
  mqtt_tls: bool.default(false),
  mqtt_base_topic: topicRoot.default('m3u_downloader'),
  mqtt_discovery: bool.default(true),
  mqtt_discovery_prefix: topicRoot.default('homeassistant'),

  // Home Assistant Supervisor: its URL (configurable for tests) and the token it gives add-ons.
  supervisor_url: httpUrl('http://supervisor'),
  supervisor_token: optionalText,
  /** Fire m3u_downloader_* events on Home Assistant's bus (needs SUPERVISOR_TOKEN). */
  homeassistant_events: bool.default(true),
  /** A service to call on completed/failed/sync, e.g. notify.mobile_app_phone. */
  homeassistant_notify_service: optionalText.refine(
    (s) => s === undefined || /^([a-z0-9_]+\.)?[a-z0-9_]+$/.test(s),
    'must be a service such as notify.mobile_app_phone',
  ),

  // Telegram
  telegram_bot_token: optionalText.refine((s) => s === undefined || /^\d+:[A-Za-z0-9_-]{20,}$/.test(s), 'must look like 123456:ABC-DEF… (from @BotFather)'),
  telegram_chat_ids: chatIds.default([]),
  /** Answer /status, /queue and /add <url> from the chat ids above (long polling). */
  telegram_commands: bool.default(false),
  telegram_api_url: httpUrl('https://api.telegram.org'),

  // Playlist sources (README "Playlist sources").
  /** Largest M3U list accepted by upload, in MB. */
  upload_max_mb: int(1, 2048).default(100),
  /** Optional TMDB enrichment: a v3 API key or a v4 read access token. */
  tmdb_api_key: optionalText,
  /** Language of TMDB titles, overviews and genres. */
  tmdb_language: z.string().trim().regex(/^[a-z]{2}(-[A-Z]{2})?$/, 'must be a language tag such as en-US or pt-BR').default('en-US'),
  /** TMDB's API root (tests point it at a fake server). */
  tmdb_base_url: httpUrl('https://api.themoviedb.org/3'),

  // Library destinations (README "Library destinations"); the destinations themselves are in db.json.
  /** How long a finished download waits (retrying with backoff) for a destination that is down before it fails; 0 fails at once. */
  transfer_retry_limit_minutes: int(0, 43200).default(1440),

  // Metrics and alerts (README "Metrics, statistics and alerts").
  /** Serve GET /metrics (Prometheus text format). */
  metrics_enabled: bool.default(false),
  /** A bearer token that may read /metrics only (besides any API key); for a Prometheus scrape job. */
  metrics_token: optionalText.refine((s) => s === undefined || s.length >= 16, 'must be at least 16 characters'),
  /** Evaluate the alert rules every minute and send alerts through the notifiers. */
  alerts_enabled: bool.default(true),
  alert_disk_free_percent: int(1, 99).default(10),
  alert_failure_rate_percent: int(1, 100).default(20),
  alert_failure_min_jobs: int(1, 1000).default(5),
  alert_queue_length: int(1, 1_000_000).default(50),
  alert_destination_down_minutes: int(1, 10080).default(15),
  alert_stalled_minutes: int(1, 1440).default(10),
  // Speed (README "Speed limits and schedules"): the panel and MQTT change it at run time.
  /** The download speed limit, KiB/s shared by every running download, until changed in the panel; 0: none. */
  download_speed_limit_kbps: int(0, 10_000_000).default(0),
  // Hardening (README "Reliability" and "Access control").
  /** A request slower than this (bytes/s, averaged over min_speed_window_s) counts as a timeout and is retried; 0 turns it off. */
  min_speed_bytes: int(0, 1_000_000_000).default(1024),
  /** The window min_speed_bytes is averaged over, in seconds. */
  min_speed_window_s: int(5, 3600).default(60),
  /** Downloads waiting in the queue beyond which new ones are refused (503). */
  max_queue_length: int(10, 1_000_000).default(10000),
  /** API writes (POST/PUT/PATCH/DELETE) per minute per API key, user or address; bursts up to this many at once; 0 turns the limit off. */
  api_write_rate_per_minute: int(0, 1_000_000).default(600),
  /** Host names (besides localhost and IP literals) under which the pre-setup local trust is accepted. */
  allowed_hosts: list(z.string().trim().toLowerCase().regex(/^[a-z0-9.-]+$/, 'must be a host name such as nas.local')).default([]),
  /** Allow download URLs that point at link-local / cloud metadata addresses or at this server itself; loopback and LAN addresses are always allowed. */
  allow_private_targets: bool.default(false),
  /** Playlists listing more segments than this are refused. */
  max_playlist_segments: int(100, 10_000_000).default(200000),
  // Live recording (README "Live recording").
  /** The longest a recording runs, also one started without an end (a live URL added as a download). */
  max_recording_minutes: int(1, 1440).default(240),
  /** How long reload and segment errors, or a playlist that stops advancing, are ridden out before a recording files what it has. */
  live_outage_tolerance_s: int(5, 3600).default(300),
  /** A programme recorded from the guide starts this many minutes early... */
  epg_padding_before_min: int(0, 120).default(2),
  /** ...and ends this many minutes late. */
  epg_padding_after_min: int(0, 240).default(5),
}).superRefine((c, ctx) => {
  if (c.mqtt_base_topic === c.mqtt_discovery_prefix || c.mqtt_base_topic.startsWith(`${c.mqtt_discovery_prefix}/`)) {
    ctx.addIssue({ code: 'custom', path: ['mqtt_base_topic'], message: `must differ from mqtt_discovery_prefix (${c.mqtt_discovery_prefix})` });
  }
  if (c.telegram_bot_token && c.telegram_chat_ids.length === 0) {
    ctx.addIssue({ code: 'custom', path: ['telegram_chat_ids'], message: 'is required when telegram_bot_token is set' });
  }
});

export type ConfigInput = z.input<typeof configSchema>;
type Parsed = z.output<typeof configSchema>;
export type Config = Readonly<
  Omit<Parsed, 'tmp_dir' | 'trusted_proxies'> & {
    tmp_dir: string;
    options_path: string | null;
    /** addon when the Supervisor started us (SUPERVISOR_TOKEN is set), else standalone. */
    mode: 'addon' | 'standalone';
    trusted_proxies: string[];
  }
>;

/**
 * Settings that are not add-on options (config.yaml): deployment details the add-on image or the
 * Supervisor fixes (paths, port, the Supervisor's URL and token), plain-Docker volume settings,
 * and test hooks. Every other key of configSchema must be in config.yaml's options and schema,
 * and in translations/en.yaml; tests/packaging/addon-config.test.ts checks it.
 */
export const ENV_ONLY_KEYS: ReadonlySet<string> = new Set([
  'port',
  'data_dir',
  'media_dir',
  'tmp_dir',
  'ffmpeg_path',
  'supervisor_url',
  'supervisor_token',
  'telegram_api_url',
  'tmdb_base_url',
  'trusted_proxies',
  'puid',
  'pgid',
  'umask',
]);

/** The Supervisor's address on the hassio network: ingress requests come from it. */
export const SUPERVISOR_ADDRESS = '172.30.32.2';

/** Settings whose values never appear in error messages or logs. */
export const SECRET_KEYS: ReadonlySet<string> = new Set(['api_key', 'mqtt_url', 'mqtt_password', 'supervisor_token', 'telegram_bot_token', 'tmdb_api_key', 'metrics_token']);
