/**
 * What a destination's settings may be, checked with zod: the request shapes (create, replace,
 * patch) and the rules that hold for a whole destination of each kind. Pure: a ZodError from
 * here becomes a 400 naming the field (`host: is required for smb destinations`).
 */
import { z } from 'zod';
import { badRequest } from '../errors.js';
import { CONTENT_TYPES } from '../domain/content.js';
import { DESTINATION_KINDS } from './destinations/types.js';
import { validateTemplate } from './naming.js';

const unknownFields = {
  error: (issue: { code: string; keys?: string[] }) => (issue.code === 'unrecognized_keys' ? `unknown field(s): ${(issue.keys ?? []).join(', ')}` : undefined),
};

const HOST = /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$|^\d{1,3}(?:\.\d{1,3}){3}$|^\[?[0-9A-Fa-f:.]+\]?$/;

const text = (max: number) => z.string({ error: 'must be a string' }).max(max, `is too long (at most ${max} characters)`);
/** Secrets: a string sets it, null clears it, absent keeps what is stored. */
const secret = (max: number) => z.union([z.string({ error: 'must be a string' }).min(1, 'must not be empty (send null to clear it)').max(max, 'is too long'), z.null()]);

const template = z
  .string({ error: 'must be a string' })
  .max(1000, 'is too long')
  .superRefine((value, ctx) => {
    if (value.trim() === '') return; // blank: the default template
    const problems = validateTemplate(value);
    if (problems.length) ctx.addIssue({ code: 'custom', message: problems.join('; ') });
  });

/** Every settable field, all optional; the kind rules run on the merged result (destinationConfigSchema). */
const fields = {
  name: z.string({ error: 'must be a string' }).trim().min(1, 'is required').max(100, 'is too long (at most 100 characters)'),
  kind: z.enum(DESTINATION_KINDS, { error: `must be one of ${DESTINATION_KINDS.join(', ')}` }),
  enabled: z.boolean({ error: 'must be true or false' }),
  host: z.union([text(253).trim().regex(HOST, 'must be a host name or an IP address'), z.null()]),
  port: z.union([z.number({ error: 'must be a port number' }).int('must be a port number').min(1, 'must be 1 to 65535').max(65535, 'must be 1 to 65535'), z.null()]),
  username: z.union([text(256).trim().regex(/^[^\r\n\0]*$/, 'must be one line'), z.null()]),
  password: secret(1024),
  private_key: secret(64 * 1024).refine((k) => k === null || /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/.test(k), 'must be a PEM or OpenSSH private key (-----BEGIN ... PRIVATE KEY-----)'),
  private_key_passphrase: secret(1024),
  share: z.union([text(80).trim().regex(/^[^\\/"[\]:|<>+=;,*?\0]+$/, 'must be the share name alone, without slashes (e.g. media)'), z.null()]),
  base_path: text(1024).trim().regex(/^[^\0\r\n]*$/, 'must be one line'),
  transport: z.union([z.enum(['daemon', 'ssh'], { error: 'must be daemon or ssh' }), z.null()]),
  host_key_fingerprint: z.union([text(100).trim().regex(/^SHA256:[A-Za-z0-9+/]{43}=?$/, 'must look like SHA256:... as ssh-keygen -lf prints it'), z.null()]),
  content_types: z
    .array(z.enum(CONTENT_TYPES, { error: `must be among ${CONTENT_TYPES.join(', ')}` }), { error: 'must be a list' })
    .max(CONTENT_TYPES.length)
    .refine((l) => new Set(l).size === l.length, 'must not repeat a type'),
  quality_min: z.union([z.number({ error: 'must be a height such as 720' }).int().min(100).max(10000), z.null()]),
  quality_max: z.union([z.number({ error: 'must be a height such as 2160' }).int().min(100).max(10000), z.null()]),
  naming: z.strictObject(
    {
      movie: z.union([template, z.null()]).optional(),
      series: z.union([template, z.null()]).optional(),
      novela: z.union([template, z.null()]).optional(),
      other: z.union([template, z.null()]).optional(),
    },
    unknownFields,
  ),
  cleanup_local: z.boolean({ error: 'must be true or false' }),
  max_concurrent_transfers: z.number({ error: 'must be a number' }).int('must be a whole number').min(1, 'must be 1 to 10').max(10, 'must be 1 to 10'),
  bandwidth_limit_kbps: z.union([z.number({ error: 'must be a number (KiB/s)' }).int().min(0).max(10_000_000), z.null()]),
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

/** Fields that only make sense for some kinds; dropped when a destination changes kind. */
export const KIND_FIELDS: Record<string, readonly string[]> = {
  host: ['smb', 'sftp', 'rsync'],
  port: ['smb', 'sftp', 'rsync'],
  username: ['smb', 'sftp', 'rsync'],
  password: ['smb', 'sftp', 'rsync'],
  share: ['smb'],
  private_key: ['sftp', 'rsync'],
  private_key_passphrase: ['sftp', 'rsync'],
  transport: ['rsync'],
  host_key_fingerprint: ['sftp'], // rsync over ssh does not pin host keys (rsync.ts)
};

interface Whole {
  kind: string;
  host?: string | null | undefined;
  username?: string | null | undefined;
  password?: string | null | undefined;
  private_key?: string | null | undefined;
  share?: string | null | undefined;
  base_path?: string | undefined;
  transport?: string | null | undefined;
  quality_min?: number | null | undefined;
  quality_max?: number | null | undefined;
  [key: string]: unknown;
}

/**
 * The rules for a whole destination after defaults and merging: what each kind needs, what it
 * cannot take, and a sane quality range. Issues name the field.
 */
export function destinationProblems(d: Whole): Array<{ field: string; message: string }> {
  const out: Array<{ field: string; message: string }> = [];
  const has = (v: unknown): boolean => v !== undefined && v !== null && v !== '';
  for (const [field, kinds] of Object.entries(KIND_FIELDS)) {
    if (has(d[field]) && !kinds.includes(d.kind)) out.push({ field, message: `is not used by ${d.kind} destinations (only ${kinds.join(', ')})` });
  }
  const base = d.base_path ?? '';
  switch (d.kind) {
    case 'local':
      if (!base.startsWith('/')) out.push({ field: 'base_path', message: 'must be an absolute folder such as /media/library or /share/Movies' });
      break;
    case 'smb':
      if (!has(d.host)) out.push({ field: 'host', message: 'is required for smb destinations' });
      if (!has(d.share)) out.push({ field: 'share', message: 'is required for smb destinations (the share name, e.g. media)' });
      if (/(^|\/)\.\.(\/|$)/.test(base)) out.push({ field: 'base_path', message: 'must not contain ..' });
      break;
    case 'sftp':
      if (!has(d.host)) out.push({ field: 'host', message: 'is required for sftp destinations' });
      if (!has(d.username)) out.push({ field: 'username', message: 'is required for sftp destinations' });
      if (!has(d.password) && !has(d.private_key)) out.push({ field: 'password', message: 'sftp destinations need a password or a private_key' });
      if (/(^|\/)\.\.(\/|$)/.test(base)) out.push({ field: 'base_path', message: 'must not contain ..' });
      break;
    case 'rsync':
      if (!has(d.host)) out.push({ field: 'host', message: 'is required for rsync destinations' });
      if ((d.transport ?? 'daemon') === 'daemon' && base.replace(/^\/+/, '') === '') {
        out.push({ field: 'base_path', message: 'is required for an rsync daemon: the module, optionally with a folder (module/sub/dir)' });
      }
      if (/(^|\/)\.\.(\/|$)/.test(base)) out.push({ field: 'base_path', message: 'must not contain ..' });
      break;
  }
  if (typeof d.quality_min === 'number' && typeof d.quality_max === 'number' && d.quality_min > d.quality_max) {
    out.push({ field: 'quality_min', message: `must not be above quality_max (${d.quality_max})` });
  }
  return out;
}

/** destinationProblems as a 400 naming the first field (`host: is required for smb destinations`). */
export function assertDestination(d: Whole): void {
  const first = destinationProblems(d)[0];
  if (first) throw badRequest(`${first.field}: ${first.message}`, first.field);
}
