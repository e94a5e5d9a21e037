/**
 * The backend contract. Types only: the panel never imports backend code (the ui contract test
 * enforces `import type` for anything under addon/).
 */
export type { ContentType, Job, JobStatus, Page, Priority } from '../../../addon/jobs/model.js';
export type { JobProgress, SpeedChange } from '../../../addon/events/app-events.js';
export type { SpeedRule, SpeedSettings, SpeedState } from '../../../addon/speed/schedule.js';
export type { ChannelPage } from '../../../addon/live/channels.js';
/** A channel as GET /api/channels lists it (no URL, no headers). */
export type GuideProgramme = import('../../../addon/live/epg/guide-service.js').GuideProgramme;
export type ChannelView = Omit<import('../../../addon/live/channels.js').Channel, 'url' | 'headers'> & { now?: GuideProgramme | null; next?: GuideProgramme | null };
export type ChannelListPage = Omit<import('../../../addon/live/channels.js').ChannelPage, 'items'> & { items: ChannelView[] };

/** Values copied from addon/jobs/model.ts (types cannot carry them); the contract test compares. */
export const JOB_STATUSES = ['pending', 'downloading', 'merging', 'transferring', 'completed', 'failed', 'paused', 'cancelled'] as const;
export const PRIORITIES = ['low', 'medium', 'high'] as const;
export const CONTENT_TYPES = ['movie', 'series', 'novela', 'other', 'recording'] as const;

export interface DestinationOption {
  id: string;
  name: string;
}

export type { ItemView, SourceView, SyncRecord, SyncCounts, ItemStatusFilter, SourceKind, GroupView, Rule, SyncPhase, SyncProgress } from '../../../addon/sources/model.js';
export type { SourceKindDescription } from '../../../addon/sources/kinds/index.js';
/** Values copied from addon/sources/ (types cannot carry them); the contract test compares. */
export const QUALITIES = ['240p', '360p', '480p', '720p', '1080p', '1440p', '2160p', '4320p'] as const;
export const ITEM_TYPES = ['movie', 'series', 'novela', 'other'] as const;
export const RULE_KINDS = ['series', 'group', 'title'] as const;
export type { DestinationKind, DestinationStatus } from '../../../addon/library/destinations/types.js';
export type { DestinationKindDescription } from '../../../addon/library/destinations/kind.js';

/** A destination as the panel reads it; the destinations API is still being written, so every field but id/name/kind is optional. */
export interface DestinationView {
  id: string;
  name: string;
  kind: import('../../../addon/library/destinations/types.js').DestinationKind;
  host?: string | null;
  port?: number | null;
  username?: string | null;
  share?: string | null;
  base_path?: string | null;
  transport?: 'daemon' | 'ssh' | null;
  content_types?: string[] | null;
  enabled?: boolean;
  is_default?: boolean;
  status?: import('../../../addon/library/destinations/types.js').DestinationStatus;
  message?: string | null;
  error?: { code?: string; message: string } | string | null;
  last_check_at?: string | null;
  checked_at?: string | null;
  free_bytes?: number | null;
  total_bytes?: number | null;
  latency_ms?: number | null;
  has_password?: boolean;
  has_private_key?: boolean;
  /** NFO files and artwork next to each download. */
  metadata?: 'none' | 'nfo' | 'nfo+art';
}
export type { MediaServerKindInfo, MediaServerTestResult, MediaServerView, PathMapEntry } from '../../../addon/mediaservers/model.js';
export type { MeResponse } from '../../../addon/auth/model.js';
export type { ActivityEntry } from '../../../addon/ops/activity.js';
export type { Role } from '../../../addon/auth/model.js';
export type { SettingsView, SettingsPatch, EditableSetting } from '../../../addon/ops/settings.js';
export type { NamingPreviewItem } from '../../../addon/library/naming-preview.js';
export type { ProbeResult, ProbeVariant, ProbeTrack } from '../../../addon/probe/model.js';
export type { HistoryView, HistoryPoint, HistoryRange } from '../../../addon/metrics/history.js';
export type { DownloadStats } from '../../../addon/metrics/stats-queries.js';
export type { AlertEvent } from '../../../addon/events/app-events.js';
