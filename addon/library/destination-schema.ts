/**
 * What a destination's settings may be, checked with zod: the request shapes (create, replace,
 * patch) with the common fields, and the whole-destination rules, which come from the kinds'
 * own schemas (destinations/registry.ts). A ZodError from here becomes a 400 naming the field
 * (`host: is required for smb destinations`).
 */
import { z } from 'zod';
import { badRequest } from '../errors.js';
import { CONTENT_TYPES } from '../domain/content.js';
import { DESTINATION_KINDS, destinationKind, fieldKinds, pickSettings } from './destinations/registry.js';
import { validateTemplate } from './naming.js';

const unknownFields = {
  error: (issue: { code: string; keys?: string[] }) => (issue.code === 'unrecognized_keys' ? `unknown field(s): ${(issue.keys ?? []).join(', ')}` : undefined),
};

const template = z
  .string({ error: 'must be a string' })
  .max(1000, 'is too long')
  .superRefine((value, ctx) => {
    if (value.trim() === '') return; // blank: the default template
    const problems = validateTemplate(value);
    if (problems.length) ctx.addIssue({ code: 'custom', message: problems.join('; ') });
  });

/**
 * The kinds' own fields (host, share, private_key, ...) pass through the request as they are (null
 * clears one); the kind's schema checks them on the merged destination (destinationProblems), so
 * a request is checked by the rules of the kind it ends up with.
 */
const kindSpecific = Object.fromEntries([...fieldKinds().keys()].map((field) => [field, z.unknown()])) as Record<string, z.ZodUnknown>;

/** Every settable field, all optional; the kind rules run on the merged result (destinationProblems). */
const fields = {
  name: z.string({ error: 'must be a string' }).trim().min(1, 'is required').max(100, 'is too long (at most 100 characters)'),
  kind: z.enum(DESTINATION_KINDS, { error: `must be one of ${DESTINATION_KINDS.join(', ')}` }),
  ...kindSpecific,
  enabled: z.boolean({ error: 'must be true or false' }),
  content_types: z
    .array(z.enum(CONTENT_TYPES, { error: `must be among ${CONTENT_TYPES.join(', ')}` }), { error: 'must be a list' })
    .max(CONTENT_TYPES.length)
    .refine((l) => new Set(l).size === l.length, 'must not repeat a type'),
  quality_min: z.union([z.number({ error: 'must be a height such as 720' }).int().min(100).max(10000), z.null()]),
  quality_max: z.union([z.number({ error: 'must be a height such as 2160' }).int().min(100).max(10000), z.null()]),
  naming: z.strictObject(Object.fromEntries(CONTENT_TYPES.map((type) => [type, z.union([template, z.null()]).optional()])), unknownFields),
  cleanup_local: z.boolean({ error: 'must be true or false' }),
  max_concurrent_transfers: z.number({ error: 'must be a number' }).int('must be a whole number').min(1, 'must be 1 to 10').max(10, 'must be 1 to 10'),
  bandwidth_limit_kbps: z.union([z.number({ error: 'must be a number (KiB/s)' }).int().min(0).max(10_000_000), z.null()]),
  metadata: z.enum(['none', 'nfo', 'nfo+art'], { error: 'must be none, nfo or nfo+art' }),
  timeout_ms: z.union([z.number({ error: 'must be a number (ms)' }).int().min(1000, 'must be 1000 to 600000').max(600_000, 'must be 1000 to 600000'), z.null()]),
};

const optional = <T extends Record<string, z.ZodType>>(shape: T): { [K in keyof T]: z.ZodOptional<T[K]> } =>
  Object.fromEntries(Object.entries(shape).map(([k, v]) => [k, v.optional()])) as { [K in keyof T]: z.ZodOptional<T[K]> };
const { name, kind, ...rest } = fields;

/** POST /api/destinations, and PUT (which replaces every setting; secrets left out are kept). */
export const newDestinationSchema = z.strictObject({ name, kind, ...optional(rest) }, unknownFields);
export type NewDestinationInput = z.output<typeof newDestinationSchema>;

/** PATCH /api/destinations/:id: any subset. */
export const destinationPatchSchema = z.strictObject(optional(fields), unknownFields);
export type DestinationPatchInput = z.output<typeof destinationPatchSchema>;

/** Kind-specific fields with the kinds that take them; dropped when a destination changes kind. */
export const KIND_FIELDS: ReadonlyMap<string, readonly string[]> = fieldKinds();

type Whole = Record<string, unknown> & { kind: string };

export interface FieldProblem {
  field: string;
  message: string;
}

/**
 * The rules for a whole destination after defaults and merging: its kind's schema (what it
 * needs, in what form), no field of another kind, and a sane quality range. Issues name the
 * field. `settings` is the kind's parsed settings (trimmed, defaults applied) when there is no problem.
 */
export function destinationProblems(d: Whole): { problems: FieldProblem[]; settings: Record<string, unknown> | null } {
  const out: FieldProblem[] = [];
  const def = destinationKind(d.kind);
  const has = (v: unknown): boolean => v !== undefined && v !== null && v !== '';
  for (const [field, kinds] of KIND_FIELDS) {
    if (has(d[field]) && !kinds.includes(d.kind)) out.push({ field, message: `is not used by ${d.kind} destinations (only ${kinds.join(', ')})` });
  }
  const parsed = def.settings.safeParse(pickSettings(def, d));
  if (!parsed.success) for (const issue of parsed.error.issues) out.push({ field: issue.path.join('.'), message: issue.message });
  if (typeof d.quality_min === 'number' && typeof d.quality_max === 'number' && d.quality_min > d.quality_max) {
    out.push({ field: 'quality_min', message: `must not be above quality_max (${d.quality_max})` });
  }
  return { problems: out, settings: parsed.success ? (parsed.data as Record<string, unknown>) : null };
}

/** destinationProblems as a 400 naming the first field (`host: is required for smb destinations`); else the kind's parsed settings. */
export function assertDestination(d: Whole): Record<string, unknown> {
  const { problems, settings } = destinationProblems(d);
  const first = problems[0];
  if (first) throw badRequest(`${first.field}: ${first.message}`, first.field);
  return settings!;
}
