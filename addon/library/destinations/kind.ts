/**
 * What a destination kind is (domain/provider.ts's ProviderKind for destinations): one file per
 * kind (local.ts, smb.ts, sftp.ts, rsync.ts) exports one of these next to its adapter, and
 * registry.ts lists them. Validation, the "not used by this kind" rule, the secrets a view hides,
 * GET /api/destinations/kinds and construction all derive from this object.
 */
import type { z } from 'zod';
import type { ProviderKind } from '../../domain/provider.js';
import type { Destination, DestinationDeps } from './types.js';

/** The settings every destination has, whatever its kind; adapters get the few they need. */
export interface DestinationCommon {
  id: string;
  name: string;
  /** Upload bandwidth limit in KiB/s; 0/undefined/null = unlimited. */
  bandwidth_limit_kbps?: number | null | undefined;
  /** Connect and per-operation inactivity timeout in ms (default 20000). */
  timeout_ms?: number;
}

/** What a kind's create() receives besides its own settings. */
export interface DestinationContext extends DestinationDeps {
  destination: DestinationCommon;
}

export interface DestinationKindDef<K extends string = string, S extends Record<string, unknown> = Record<string, unknown>> extends ProviderKind<K, S, Destination, DestinationContext> {
  /**
   * The kind's own fields as a zod object (stored at the top level of the destination record,
   * beside the common fields). Messages name the problem for a person ("is required for smb
   * destinations"); whole-record rules go in a superRefine with the field as path. Applied to a
   * destination after defaults and merging, so optional fields are plain `.optional()`.
   */
  readonly settings: z.ZodObject<z.ZodRawShape> & z.ZodType<S, Record<string, unknown>>;
  /** One sentence for the panel's kind picker. */
  readonly help: string;
}

/** Builds a kind with its settings type checked against create(); the registry holds them as DestinationKindDef. */
export function defineDestinationKind<K extends string, S extends Record<string, unknown>>(def: DestinationKindDef<K, S>): DestinationKindDef<K, S> {
  return Object.freeze(def);
}

/** One kind as GET /api/destinations/kinds lists it: the panel renders its form from `schema`. */
export interface DestinationKindDescription {
  kind: string;
  label: string;
  help: string;
  /** Write-only fields: the API never returns them, only `has_<field>`. */
  secrets: string[];
  defaults: Record<string, unknown>;
  /**
   * JSON Schema (draft 2020-12) of the kind's own fields, as a request sends them. Besides the
   * standard keywords a property may carry `visibleWhen: {field: value}`: the panel shows it only then.
   */
  schema: Record<string, unknown>;
}
