/**
 * Runtime settings (README "Settings"): what GET /api/settings shows and PATCH /api/settings
 * changes. Precedence: the environment / options.json give the base (Config); a value changed in
 * the panel is kept in db.json (`settings`) and wins over the base, at once and after restarts,
 * until it is reset (PATCH with `null`), which brings back the base value. Only settings that can
 * change safely while running are editable; the rest is shown read-only. Secrets never appear:
 * integrations say `configured: true/false`.
 */
import { z } from 'zod';
import type { Config } from '../config/schema.js';
import { QUALITY_PATTERN } from '../config/schema.js';
import { CONTAINERS, type Container } from '../domain/media.js';
import type { Logger } from '../platform/logger.js';
import type { SettingsRepository } from './settings-repository.js';

import { EDITABLE_SETTINGS, type EditableSetting, type EditableValues, type SettingsOverrides } from './settings-model.js';

export { EDITABLE_SETTINGS, type EditableSetting, type EditableValues, type SettingsOverrides };

const unknownFields = {
  error: (issue: { code: string; keys?: string[] }) => (issue.code === 'unrecognized_keys' ? `unknown or read-only setting(s): ${(issue.keys ?? []).join(', ')}` : undefined),
};
const intIn = (min: number, max: number) =>
  z.number({ error: `must be a whole number from ${min} to ${max}` }).int(`must be a whole number from ${min} to ${max}`).min(min, `must be at least ${min}`).max(max, `must be at most ${max}`);

/** PATCH /api/settings: a value sets it, null resets it to the add-on options / environment. */
export const settingsPatchSchema = z.strictObject(
  {
    max_concurrent_downloads: z.union([intIn(1, 50), z.null()]).optional(),
    segment_concurrency: z.union([intIn(1, 64), z.null()]).optional(),
    default_quality: z
      .union([z.string({ error: 'must be "best", "worst" or a height such as "720p"' }).trim().toLowerCase().regex(QUALITY_PATTERN, 'must be "best", "worst" or a height such as "720p"'), z.null()])
      .optional(),
    default_container: z.union([z.enum(CONTAINERS, { error: `must be one of ${CONTAINERS.join(', ')}` }), z.null()]).optional(),
    // The ranges are the config schema's.
    alert_disk_free_percent: z.union([intIn(1, 99), z.null()]).optional(),
    alert_failure_rate_percent: z.union([intIn(1, 100), z.null()]).optional(),
    alert_failure_min_jobs: z.union([intIn(1, 1000), z.null()]).optional(),
    alert_queue_length: z.union([intIn(1, 1_000_000), z.null()]).optional(),
    alert_destination_down_minutes: z.union([intIn(1, 10080), z.null()]).optional(),
    alert_stalled_minutes: z.union([intIn(1, 1440), z.null()]).optional(),
  },
  unknownFields,
);
export type SettingsPatch = z.infer<typeof settingsPatchSchema>;

export interface SettingsView extends EditableValues {
  /** Read-only here (set in the add-on options or the environment). */
  max_connections_per_host: number;
  request_timeout_s: number;
  min_free_space_mb: number;
  job_retention_days: number;
  max_finished_jobs: number;
  activity_retention_days: number;
  transfer_retry_limit_minutes: number;
  upload_max_mb: number;
  /** Which settings PATCH accepts. */
  editable: EditableSetting[];
  /** The env/options.json value of every editable setting (what a reset brings back). */
  base: EditableValues;
  /** The editable settings changed in the panel (they win over `base`). */
  overrides: SettingsOverrides;
  /** Configured or not; never a secret. */
  integrations: {
    mqtt: { configured: boolean; enabled: boolean };
    telegram: { configured: boolean; chats: number; commands: boolean };
    tmdb: { configured: boolean; language: string };
    homeassistant: { configured: boolean };
    api_key_option: { configured: boolean };
  };
}

/**
 * Knows the effective values; does not apply them. app.ts builds the queue and the engine from
 * `effective()` and subscribes with `onChange` to push later changes into them, so this module
 * depends on neither.
 */
export class RuntimeSettings {
  private readonly listeners: Array<(values: EditableValues) => void> = [];

  constructor(private readonly deps: { config: Config; repository: SettingsRepository; logger: Logger }) {}

  /** Called with the effective values after every change (PATCH /api/settings). */
  onChange(listener: (values: EditableValues) => void): void {
    this.listeners.push(listener);
  }

  private get overrides(): SettingsOverrides {
    return this.deps.repository.overrides();
  }

  base(): EditableValues {
    const c = this.deps.config;
    return {
      max_concurrent_downloads: c.max_concurrent_downloads,
      segment_concurrency: c.segment_concurrency,
      default_quality: c.default_quality,
      default_container: c.default_container,
      alert_disk_free_percent: c.alert_disk_free_percent,
      alert_failure_rate_percent: c.alert_failure_rate_percent,
      alert_failure_min_jobs: c.alert_failure_min_jobs,
      alert_queue_length: c.alert_queue_length,
      alert_destination_down_minutes: c.alert_destination_down_minutes,
      alert_stalled_minutes: c.alert_stalled_minutes,
    };
  }

  /** The values in effect: the panel's overrides over the base. */
  effective(): EditableValues {
    const base = this.base();
    const out = { ...base };
    // Only well-formed stored values count: a hand-edited db.json must not break the queue.
    const stored = settingsPatchSchema.safeParse(this.overrides);
    if (!stored.success) {
      this.deps.logger.warn({ error: stored.error.message }, 'db.json settings are not valid: using the add-on options');
      return out;
    }
    for (const key of EDITABLE_SETTINGS) {
      const v = stored.data[key];
      if (v !== undefined && v !== null) (out as Record<string, unknown>)[key] = v;
    }
    return out;
  }

  view(): SettingsView {
    const c = this.deps.config;
    const effective = this.effective();
    const overrides: SettingsOverrides = {};
    const stored = this.overrides;
    for (const key of EDITABLE_SETTINGS) if (stored[key] !== undefined) (overrides as Record<string, unknown>)[key] = effective[key];
    return {
      ...effective,
      max_connections_per_host: c.max_connections_per_host,
      request_timeout_s: c.request_timeout_s,
      min_free_space_mb: c.min_free_space_mb,
      job_retention_days: c.job_retention_days,
      max_finished_jobs: c.max_finished_jobs,
      activity_retention_days: c.activity_retention_days,
      transfer_retry_limit_minutes: c.transfer_retry_limit_minutes,
      upload_max_mb: c.upload_max_mb,
      editable: [...EDITABLE_SETTINGS],
      base: this.base(),
      overrides,
      integrations: {
        mqtt: { enabled: c.mqtt_enabled, configured: c.mqtt_enabled && Boolean(c.mqtt_url || c.mqtt_host || c.supervisor_token) },
        telegram: { configured: Boolean(c.telegram_bot_token) && c.telegram_chat_ids.length > 0, chats: c.telegram_chat_ids.length, commands: c.telegram_commands },
        tmdb: { configured: Boolean(c.tmdb_api_key), language: c.tmdb_language },
        homeassistant: { configured: Boolean(c.supervisor_token) },
        api_key_option: { configured: Boolean(c.api_key) },
      },
    };
  }

  /** Applies a validated patch; returns what changed (`from` and `to` are effective values). */
  async update(patch: SettingsPatch): Promise<Record<string, { from: unknown; to: unknown }>> {
    const before = this.effective();
    const overrides = this.overrides;
    for (const key of EDITABLE_SETTINGS) {
      const v = patch[key];
      if (v === undefined) continue;
      if (v === null) delete overrides[key];
      else (overrides as Record<string, unknown>)[key] = v;
    }
    this.deps.repository.saveOverrides(overrides);
    const after = this.effective();
    for (const listener of this.listeners) listener(after);
    const changes: Record<string, { from: unknown; to: unknown }> = {};
    for (const key of EDITABLE_SETTINGS) if (before[key] !== after[key]) changes[key] = { from: before[key], to: after[key] };
    if (Object.keys(changes).length) this.deps.logger.info({ changes }, 'settings changed in the panel');
    return changes;
  }
}
