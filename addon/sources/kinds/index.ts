/** The kinds of source, by the key the API and the panel use. A new kind: its file, and its line in SOURCE_KIND_LIST. */
import { z } from 'zod';
import { buildRegistry } from '../../domain/provider.js';
import { m3uFileKind } from './m3u-file.js';
import { m3uUrlKind } from './m3u-url.js';
import type { SourceRecord } from '../model.js';
import type { SourceConnection, SourceKindDef } from './types.js';
import { xtreamKind } from './xtream.js';

/** In the order the panel offers them. */
export const SOURCE_KIND_LIST: readonly SourceKindDef[] = [m3uUrlKind, xtreamKind, m3uFileKind] as unknown as readonly SourceKindDef[];

export const SOURCE_KIND_REGISTRY: ReadonlyMap<string, SourceKindDef> = buildRegistry(SOURCE_KIND_LIST);

export function sourceKind(kind: string): SourceKindDef {
  const def = SOURCE_KIND_REGISTRY.get(kind);
  if (!def) throw new Error(`unknown source kind "${kind}"`);
  return def;
}

/** The kind's own fields (stored on the source record beside the common ones). */
export function sourceKindFields(def: SourceKindDef): string[] {
  return Object.keys(def.settings.shape);
}

/** Every kind-specific field with the kinds that take it. */
export function sourceFieldKinds(list: readonly SourceKindDef[] = SOURCE_KIND_LIST): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const def of list) for (const field of sourceKindFields(def)) out.set(field, [...(out.get(field) ?? []), def.kind]);
  return out;
}

/** Every kind's secrets: never returned by the API (views say has_<field>). */
export function sourceSecretFields(list: readonly SourceKindDef[] = SOURCE_KIND_LIST): string[] {
  return [...new Set(list.flatMap((def) => def.secrets as readonly string[]))];
}

/** One kind as GET /api/sources/kinds lists it. */
export interface SourceKindDescription {
  kind: string;
  label: string;
  help: string;
  secrets: string[];
  /** JSON Schema of the kind's own fields, as a request sends them. */
  schema: Record<string, unknown>;
}

export function describeSourceKinds(list: readonly SourceKindDef[] = SOURCE_KIND_LIST): SourceKindDescription[] {
  return list.map((def) => ({
    kind: def.kind,
    label: def.label,
    help: def.help,
    secrets: [...def.secrets],
    schema: z.toJSONSchema(def.settings, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>,
  }));
}

/** The connection of a stored source to its provider. */
export function connectSource(source: SourceRecord): SourceConnection {
  const def = sourceKind(source.kind);
  const settings: Record<string, unknown> = {};
  for (const field of sourceKindFields(def)) settings[field] = (source as unknown as Record<string, unknown>)[field];
  return def.create(settings, { source });
}

export type { SourceEntry, SourceKindDef, SourceConnection, FetchContext, SourceFetch } from './types.js';
