/**
 * The destination kinds. A new kind is one file exporting a DestinationKindDef (see local.ts)
 * plus its line in DESTINATION_KIND_LIST; everything below derives from that list.
 */
import { z } from 'zod';
import { buildRegistry } from '../../domain/provider.js';
import { destinationError } from './errors.js';
import type { DestinationKindDef, DestinationKindDescription } from './kind.js';

export type { DestinationKindDescription } from './kind.js';
import { localKind } from './local.js';
import { rsyncKind } from './rsync.js';
import { sftpKind } from './sftp.js';
import { smbKind } from './smb.js';
import type { Destination, DestinationConfig, DestinationDeps } from './types.js';

/** In the order the panel offers them. */
export const DESTINATION_KIND_LIST: readonly DestinationKindDef[] = [localKind, smbKind, sftpKind, rsyncKind] as unknown as readonly DestinationKindDef[];

export const DESTINATION_KIND_REGISTRY: ReadonlyMap<string, DestinationKindDef> = buildRegistry(DESTINATION_KIND_LIST);

/** The keys, as `z.enum` wants them. */
export const DESTINATION_KINDS = [...DESTINATION_KIND_REGISTRY.keys()] as [string, ...string[]];

export function isDestinationKind(kind: string): boolean {
  return DESTINATION_KIND_REGISTRY.has(kind);
}

export function destinationKind(kind: string): DestinationKindDef {
  const def = DESTINATION_KIND_REGISTRY.get(kind);
  if (!def) throw destinationError('destination_invalid_config', `Unknown destination kind "${kind}" (expected one of ${DESTINATION_KINDS.join(', ')})`);
  return def;
}

/** The fields a kind stores beside the common ones. */
export function kindFields(def: DestinationKindDef): string[] {
  return Object.keys(def.settings.shape);
}

/** Every kind-specific field, with the kinds that take it (for "share is not used by local destinations"). */
export function fieldKinds(list: readonly DestinationKindDef[] = DESTINATION_KIND_LIST): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const def of list) for (const field of kindFields(def)) out.set(field, [...(out.get(field) ?? []), def.kind]);
  return out;
}

/** Every kind's secrets: what views replace by `has_<secret>` and logs never show. */
export function secretFields(list: readonly DestinationKindDef[] = DESTINATION_KIND_LIST): string[] {
  return [...new Set(list.flatMap((def) => def.secrets as readonly string[]))];
}

/** The kind's own settings of a destination, picked from the flat record. */
export function pickSettings(def: DestinationKindDef, config: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const field of kindFields(def)) if (config[field] !== undefined && config[field] !== null) out[field] = config[field];
  return out;
}

/**
 * Build the adapter for a destination's settings (validated when they were saved; the adapter
 * still refuses what it cannot use). Throws `destination_invalid_config` for an unknown kind or
 * unusable settings.
 */
export function createDestination(config: DestinationConfig, deps: DestinationDeps): Destination {
  const def = destinationKind(config.kind);
  const settings = { ...def.defaults, ...pickSettings(def, config as unknown as Record<string, unknown>) };
  const destination = { id: config.id, name: config.name, bandwidth_limit_kbps: config.bandwidth_limit_kbps ?? null, ...(config.timeout_ms !== undefined ? { timeout_ms: config.timeout_ms } : {}) };
  return def.create(settings, { ...deps, destination });
}

export function describeKinds(list: readonly DestinationKindDef[] = DESTINATION_KIND_LIST): DestinationKindDescription[] {
  return list.map((def) => ({
    kind: def.kind,
    label: def.label,
    help: def.help,
    secrets: [...def.secrets],
    defaults: { ...def.defaults },
    schema: z.toJSONSchema(def.settings, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>,
  }));
}
