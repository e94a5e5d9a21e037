/**
 * What a piece of media is. One list for the whole system: naming templates, destination routing,
 * source catalogues, the REST API and the panel all use it. To add a type, add it here; the
 * compiler then points at every `Record<ContentType, ...>` that needs an entry (the default naming
 * templates, for instance).
 */
/** What a playlist source lists as catalogue items: every content type but recordings. */
export const CATALOGUE_TYPES = ['movie', 'series', 'novela', 'other'] as const;
export type CatalogueType = (typeof CATALOGUE_TYPES)[number];

/** `recording`: a live recording (addon/live/), filed by its own template (Recordings/<channel>/...). */
export const CONTENT_TYPES = [...CATALOGUE_TYPES, 'recording'] as const;
export type ContentType = (typeof CONTENT_TYPES)[number];

/**
 * What a playlist entry can be classified as: a catalogue type, or a live channel (a stream
 * without an end: sources keep those as channels, addon/live/channels.ts, never as items).
 */
export const ENTRY_TYPES = [...CATALOGUE_TYPES, 'live'] as const;
export type EntryType = (typeof ENTRY_TYPES)[number];

export function isContentType(value: string): value is ContentType {
  return (CONTENT_TYPES as readonly string[]).includes(value);
}
