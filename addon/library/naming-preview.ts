/**
 * Naming previews (POST /api/naming/preview): templates rendered by the same code the transfer
 * uses (naming.ts pathForJob/renderPath), with sample data, and validateTemplate's problems.
 */
import { z } from 'zod';
import { CONTENT_TYPES, type ContentType } from '../domain/content.js';
import { DEFAULT_TEMPLATES, pathForJob, renderPath, TemplateError, validateTemplate, type NamingData, type NamingTemplates } from './naming.js';

const unknownFields = {
  error: (issue: { code: string; keys?: string[] }) => (issue.code === 'unrecognized_keys' ? `unknown field(s): ${(issue.keys ?? []).join(', ')}` : undefined),
};

/** Sample values the preview uses when the request brings none (the panel shows these). */
export const NAMING_SAMPLES: Readonly<Record<ContentType, NamingData>> = Object.freeze({
  movie: { title: 'Dune Part Two', year: 2024, ext: 'mkv', quality: '1080p', tmdb_id: 693134 },
  series: { title: 'The Boys', show: 'The Boys', year: 2019, season: 4, episode: 8, episode_title: 'Assembly', ext: 'mp4', quality: '1080p', tmdb_id: 76479 },
  novela: { title: 'Avenida Brasil', show: 'Avenida Brasil', year: 2012, season: 1, episode: 102, ext: 'mp4', quality: '720p' },
  other: { title: 'Conference keynote', ext: 'mp4' },
  recording: { title: 'Evening News', channel: 'BBC One', date: '2026-12-06 20-00', ext: 'mp4' },
});

const textValue = z.union([z.string({ error: 'must be a string or a number' }).max(1000, 'is too long'), z.number({ error: 'must be a string or a number' }), z.null()]).optional();
const sampleSchema = z.strictObject(
  { title: textValue, year: textValue, show: textValue, season: textValue, episode: textValue, episode_title: textValue, ext: textValue, quality: textValue, tmdb_id: textValue, channel: textValue, date: textValue },
  unknownFields,
);
const templateText = z.union([z.string({ error: 'must be a string' }).max(1000, 'is too long (at most 1000 characters)'), z.null()]);
const contentType = z.enum(CONTENT_TYPES, { error: `must be one of ${CONTENT_TYPES.join(', ')}` });

/**
 * POST /api/naming/preview. `template` (with `content_type`, default other): that template
 * rendered as is. Otherwise `templates` (blank or absent: the default) for `content_type`, or for
 * every type: what pathForJob files a job under, exactly as the transfer will.
 */
export const namingPreviewSchema = z.strictObject(
  {
    template: z.string({ error: 'must be a string' }).max(1000, 'is too long (at most 1000 characters)').optional(),
    content_type: contentType.optional(),
    templates: z.strictObject({ movie: templateText.optional(), series: templateText.optional(), novela: templateText.optional(), other: templateText.optional(), recording: templateText.optional() }, unknownFields).optional(),
    sample: sampleSchema.optional(),
  },
  unknownFields,
);

export interface NamingPreviewItem {
  content_type: ContentType;
  /** The template rendered (the default when none was given). */
  template: string;
  default: boolean;
  /** The relative library path, or null when the template has problems. */
  path: string | null;
  problems: string[];
}

export function namingPreview(input: z.infer<typeof namingPreviewSchema>): NamingPreviewItem[] {
  const sampleFor = (type: ContentType): NamingData => ({ ...NAMING_SAMPLES[type], ...(input.sample ?? {}) }) as NamingData;
  if (input.template !== undefined) {
    const type = input.content_type ?? 'other';
    const problems = validateTemplate(input.template);
    return [{ content_type: type, template: input.template, default: false, path: problems.length ? null : renderPath(input.template, sampleFor(type)), problems }];
  }
  const templates: Partial<NamingTemplates> = {};
  for (const [t, v] of Object.entries(input.templates ?? {})) if (typeof v === 'string' && v.trim() !== '') templates[t as ContentType] = v;
  const types = input.content_type ? [input.content_type] : [...CONTENT_TYPES];
  return types.map((type) => {
    const custom = templates[type];
    const template = custom ?? DEFAULT_TEMPLATES[type];
    const problems = validateTemplate(template);
    let path: string | null = null;
    if (problems.length === 0) {
      try {
        path = pathForJob({ ...sampleFor(type), content_type: type }, templates);
      } catch (err) {
        // Sample data without an episode is filed with the `other` template, which may be the broken one.
        if (!(err instanceof TemplateError)) throw err;
        problems.push(...err.problems.map((p) => `(the other template, used without an episode number) ${p}`));
      }
    }
    return { content_type: type, template, default: custom === undefined, path, problems };
  });
}
