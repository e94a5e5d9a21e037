/**
 * What a piece of media is. One list for the whole system: naming templates, destination routing,
 * source catalogues, the REST API and the panel all use it. To add a type, add it here; the
 * compiler then points at every `Record<ContentType, ...>` that needs an entry (the default naming
 * templates, for instance).
 */
export const CONTENT_TYPES = ['movie', 'series', 'novela', 'other'] as const;
export type ContentType = (typeof CONTENT_TYPES)[number];

/**
 * What a playlist entry can be classified as: a content type, or a live channel (a stream
 * without an end, which sources never list as a downloadable item). When `live` and `recording`
 * become content types (the live-recording work), drop the explicit 'live' here.
 */
export const ENTRY_TYPES = [...CONTENT_TYPES, 'live'] as const;
export type EntryType = (typeof ENTRY_TYPES)[number];

export function isContentType(value: string): value is ContentType {
  return (CONTENT_TYPES as readonly string[]).includes(value);
}
