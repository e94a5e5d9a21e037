import type { z } from 'zod';

/**
 * Everything the rest of the system needs to know about one kind of provider (a destination, a
 * notifier, a source, a media server), exported from the kind's own file. Registries are built
 * from lists of these; validation, redaction of secrets, the REST listing of kinds (with a JSON
 * description of their fields for the panel's form) and construction all derive from it, so a new
 * kind is one new file plus one line in its registry's list.
 */
export interface ProviderKind<K extends string, S, I, D = unknown> {
  /** Stable key: stored on records, used by the API and as the panel form's key. */
  readonly kind: K;
  /** What a person reads in the panel, e.g. "ntfy" or "SMB share". */
  readonly label: string;
  /** The kind's own settings (without the common fields such as id, name, enabled). */
  readonly settings: z.ZodType<S>;
  /** Settings that are write-only: never returned by the API, never logged. */
  readonly secrets: readonly (keyof S & string)[];
  readonly defaults: Partial<S>;
  create(settings: S, deps: D): I;
}

/** A kind's entry in a registry; `AnyProviderKind` lets registries hold kinds of different settings. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyProviderKind<I = unknown, D = any> = ProviderKind<string, any, I, D>;

/** Build a registry from a list of kinds; a duplicate key is a programming error, caught at start. */
export function buildRegistry<P extends { readonly kind: string }>(list: readonly P[]): ReadonlyMap<string, P> {
  const registry = new Map<string, P>();
  for (const provider of list) {
    if (registry.has(provider.kind)) throw new Error(`duplicate provider kind "${provider.kind}"`);
    registry.set(provider.kind, provider);
  }
  return registry;
}
