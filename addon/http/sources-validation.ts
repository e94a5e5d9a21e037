/** Request shapes of /api/sources (README "Playlist sources"). */
import { qualityPreference } from '../domain/validators.js';
import { z } from 'zod';
import { PRIORITIES } from '../domain/job-status.js';
import { CONTAINERS } from '../domain/media.js';
import { CONTENT_TYPES } from '../domain/content.js';
import { ITEM_STATUSES, ITEM_TYPES, RULE_KINDS } from '../sources/model.js';
import { QUALITIES } from '../sources/quality.js';
import { scheduleProblem } from '../sources/scheduler.js';
import { SOURCE_KIND_LIST } from '../sources/kinds/index.js';
import type { SourceKind } from '../sources/model.js';
import type { SourceSettings } from '../sources/source-service.js';
import { headers, httpUrl, strictObjectOptions } from './validation.js';

const oneOf = <T extends readonly [string, ...string[]]>(values: T) => z.enum(values, { error: `must be one of ${values.join(', ')}` });
const text = (max: number) => z.string({ error: 'must be a string' }).trim().min(1, 'is required').max(max, 'is too long');
const patterns = z.array(text(200), { error: 'must be a list of patterns' }).max(100, 'at most 100 patterns');

const schedule = z
  .union([z.string({ error: 'must be a cron expression or null' }).trim(), z.null()])
  .transform((s) => (s === '' ? null : s))
  .superRefine((s, ctx) => {
    const problem = s === null ? null : scheduleProblem(s);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });

export const ruleSchema = z.strictObject(
  {
    id: z.string().trim().min(1).max(64).optional(),
    name: z.string().trim().max(100, 'is too long').optional(),
    enabled: z.boolean({ error: 'must be true or false' }).default(true),
    kind: oneOf(RULE_KINDS),
    value: text(200),
    content_types: z.array(oneOf(ITEM_TYPES)).max(CONTENT_TYPES.length).default([]),
    language: z.union([oneOf(['dubbed', 'subtitled', 'dual'] as const), z.null()]).default(null),
    max_per_sync: z.number({ error: 'must be a number' }).int().min(1).max(500).default(10),
    dry_run: z.boolean({ error: 'must be true or false' }).default(false),
  },
  strictObjectOptions,
);
export type RuleInput = z.output<typeof ruleSchema>;

const quality = z.strictObject(
  {
    min: oneOf(QUALITIES).optional(),
    max: oneOf(QUALITIES).optional(),
    ceiling: oneOf(QUALITIES).optional(),
    accept_unknown: z.boolean({ error: 'must be true or false' }).optional(),
  },
  strictObjectOptions,
);

const priority = z.strictObject(
  {
    high_max_age_years: z.number({ error: 'must be a number' }).int().min(0).max(100).optional(),
    low_min_age_years: z.number({ error: 'must be a number' }).int().min(0).max(200).optional(),
  },
  strictObjectOptions,
);

/** Settings every kind has. */
const common = {
  name: text(100),
  enabled: z.boolean({ error: 'must be true or false' }).optional(),
  schedule: schedule.optional(),
  headers: headers.optional(),
  quality: quality.optional(),
  content_types: z.array(oneOf(ITEM_TYPES)).min(1, 'at least one type').max(CONTENT_TYPES.length).optional(),
  include_groups: patterns.optional(),
  exclude_groups: patterns.optional(),
  rules: z.array(ruleSchema).max(50, 'at most 50 rules').optional(),
  priority: priority.optional(),
  connection_limit: z.number({ error: 'must be a number' }).int().min(1, 'must be at least 1').max(20, 'at most 20').optional(),
  /** An XMLTV guide for the source's channels, besides those its list names; null removes it. */
  epg_url: z.union([httpUrl, z.null()]).optional(),
};

/** One strict shape per kind: its own settings (sources/kinds/) and the common ones. */
export const newSourceSchema = z.discriminatedUnion(
  'kind',
  SOURCE_KIND_LIST.map((def) => z.strictObject({ kind: z.literal(def.kind), ...def.settings.shape, ...common }, strictObjectOptions)) as unknown as [
    z.ZodObject<{ kind: z.ZodLiteral<SourceKind> }>,
    ...z.ZodObject<{ kind: z.ZodLiteral<SourceKind> }>[],
  ],
  { error: `kind: must be one of ${SOURCE_KIND_LIST.map((d) => d.kind).join(', ')}` },
);
export type NewSourceInput = { kind: SourceKind; name: string } & SourceSettings;

/** Settings of a file source created by multipart upload (the `settings` field, JSON). */
export const uploadSettingsSchema = z.strictObject({ ...common, name: text(100).optional() }, strictObjectOptions);

/** PATCH: any field but kind; a password replaces the stored one, an absent one keeps it. */
export const sourcePatchSchema = z.strictObject(
  {
    ...common,
    name: text(100).optional(),
    // Every kind's own fields; the service refuses those of another kind ("not a setting of a file source").
    ...Object.fromEntries(SOURCE_KIND_LIST.flatMap((def) => Object.entries(def.settings.shape).map(([field, schema]) => [field, (schema as z.ZodType).optional()]))),
  },
  strictObjectOptions,
);
export type SourcePatchInput = SourceSettings;

const limit = z.coerce.number({ error: 'must be a number' }).int().min(1).max(500).default(50);
const offset = z.coerce.number({ error: 'must be a number' }).int().min(0).default(0);

export const itemsQuerySchema = z.object({
  status: oneOf(ITEM_STATUSES).default('all'),
  type: oneOf(ITEM_TYPES).optional(),
  group: z.string().trim().min(1).max(200).optional(),
  quality: oneOf([...QUALITIES, 'unknown'] as const).optional(),
  year: z.coerce.number({ error: 'must be a year' }).int().min(1870).max(2200).optional(),
  q: z.string().trim().max(200, 'is too long').optional(),
  limit,
  offset,
});
export type ItemsQuery = z.output<typeof itemsQuerySchema>;

export const pageQuerySchema = z.object({ limit, offset });

/** catalogue: the catalogue's groups (Review); list: every group the last sync saw, filtered out or not (the pickers). */
export const groupsQuerySchema = z.object({ scope: oneOf(['catalogue', 'list'] as const).default('catalogue') });

export const syncQuerySchema = z.object({
  dry_run: z.enum(['true', 'false', '1', '0']).optional().transform((v) => v === 'true' || v === '1'),
});

export const selectionSchema = z.strictObject(
  {
    ids: z
      .array(z.number({ error: 'item ids are numbers' }).int().positive(), { error: 'must be a list of item ids' })
      .min(1, 'select at least one item')
      .max(500, 'at most 500 items per call'),
    priority: oneOf(PRIORITIES).optional(),
    quality: qualityPreference.optional(),
    container: oneOf(CONTAINERS).optional(),
    /** Also download items the library already has. */
    force: z.boolean({ error: 'must be true or false' }).default(false),
  },
  strictObjectOptions,
);
export type SelectionInput = z.output<typeof selectionSchema>;

export const rulePreviewSchema = z.strictObject(
  {
    rules: z.array(ruleSchema).max(50).optional(),
    /** last_sync: the last sync's new and upgraded items; all: every item the library lacks. */
    scope: oneOf(['last_sync', 'all'] as const).default('last_sync'),
  },
  strictObjectOptions,
);
