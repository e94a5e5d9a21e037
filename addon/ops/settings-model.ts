/**
 * The runtime settings' vocabulary (README "Settings"), apart from RuntimeSettings so that the
 * store can name what it keeps without depending on the services that apply it.
 */
import type { Container } from '../jobs/model.js';

/** The settings the panel may change; their ranges are the config schema's. */
export const EDITABLE_SETTINGS = [
  'max_concurrent_downloads',
  'segment_concurrency',
  'default_quality',
  'default_container',
  // Alert thresholds (README "Metrics, statistics and alerts"): the next evaluation uses them.
  'alert_disk_free_percent',
  'alert_failure_rate_percent',
  'alert_failure_min_jobs',
  'alert_queue_length',
  'alert_destination_down_minutes',
  'alert_stalled_minutes',
] as const;
export type EditableSetting = (typeof EDITABLE_SETTINGS)[number];

export interface EditableValues {
  max_concurrent_downloads: number;
  segment_concurrency: number;
  default_quality: string;
  default_container: Container;
  alert_disk_free_percent: number;
  alert_failure_rate_percent: number;
  alert_failure_min_jobs: number;
  alert_queue_length: number;
  alert_destination_down_minutes: number;
  alert_stalled_minutes: number;
}

/** What db.json keeps: only the keys changed in the panel. */
export type SettingsOverrides = Partial<EditableValues>;
