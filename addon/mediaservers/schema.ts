/**
 * Request shapes of /api/media-servers (zod): the common fields here, the kind's own settings in
 * its file. Pure: a ZodError from here becomes a 400 naming the field.
 */
import { z } from 'zod';

const unknownFields = {
  error: (issue: { code: string; keys?: string[] }) => (issue.code === 'unrecognized_keys' ? `unknown field(s): ${(issue.keys ?? []).join(', ')}` : undefined),
};

const folder = (what: string) =>
  z
    .string({ error: 'must be a string' })
    .trim()
    .min(1, `is required (${what})`)
    .max(1024, 'is too long')
    .regex(/^[^\0\r\n]*$/, 'must be one line');

export const pathMapEntrySchema = z.strictObject(
  {
    from: folder("a folder as the add-on sees it, e.g. /media/library").refine((v) => v.startsWith('/'), 'must be an absolute folder as the add-on sees it, e.g. /media/library or //nas/media'),
    to: folder("the same folder as the media server sees it, e.g. /data/movies"),
  },
  unknownFields,
);

const common = {
  name: z.string({ error: 'must be a string' }).trim().min(1, 'is required').max(100, 'is too long (at most 100 characters)'),
  enabled: z.boolean({ error: 'must be true or false' }),
  destinations: z
    .array(z.string({ error: 'must be destination ids' }).trim().min(1).max(100), { error: 'must be a list of destination ids ([] for all)' })
    .max(100)
    .refine((l) => new Set(l).size === l.length, 'must not repeat a destination'),
  path_map: z.array(pathMapEntrySchema, { error: 'must be a list of {from, to}' }).max(50, 'has too many entries (at most 50)'),
  /** Checked against the kind's own schema by the service (it knows the kind). */
  settings: z.record(z.string(), z.unknown(), { error: 'must be an object' }),
};

export const newMediaServerSchema = z.strictObject(
  {
    name: common.name,
    kind: z.string({ error: 'must be a string' }).trim().min(1, 'is required'),
    enabled: common.enabled.optional(),
    destinations: common.destinations.optional(),
    path_map: common.path_map.optional(),
    settings: common.settings.optional(),
  },
  unknownFields,
);
export type NewMediaServerInput = z.output<typeof newMediaServerSchema>;

/** PATCH: any subset; `settings` merges into the stored ones (a secret set to null is cleared). */
export const mediaServerPatchSchema = z.strictObject(
  {
    name: common.name.optional(),
    enabled: common.enabled.optional(),
    destinations: common.destinations.optional(),
    path_map: common.path_map.optional(),
    settings: common.settings.optional(),
  },
  unknownFields,
);
export type MediaServerPatchInput = z.output<typeof mediaServerPatchSchema>;

/** POST /:id/test: optionally a file path of the add-on's to map and look for. */
export const mediaServerTestSchema = z.strictObject(
  { sample_path: z.string({ error: 'must be a string' }).trim().min(1).max(2048).refine((v) => v.startsWith('/'), 'must be an absolute path as the add-on sees it').optional() },
  unknownFields,
);
