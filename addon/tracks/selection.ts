import { z } from 'zod';
import { sameLanguage } from './languages.js';

/**
 * Which audio and subtitle tracks a download keeps, as requested (POST /api/downloads
 * `audio_languages`, `subtitle_languages`, `subtitles_as`) and as chosen from what a stream
 * offers (HLS EXT-X-MEDIA renditions, DASH AdaptationSets). Pure.
 */

export type AudioLanguages = 'default' | 'all' | string[];
export type SubtitleLanguages = 'none' | 'all' | string[];
export const SUBTITLES_AS = ['embed', 'sidecar', 'both'] as const;
export type SubtitlesAs = (typeof SUBTITLES_AS)[number];

/** A BCP 47 language tag as people write it: "pt-BR", "en", "por". */
const LANGUAGE_TAG = /^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8}){0,3}$/;
const languageList = z
  .array(z.string({ error: 'must be language tags' }).trim().regex(LANGUAGE_TAG, 'must be language tags such as "pt-BR" or "en"'), { error: 'must be a list' })
  .min(1, 'must name at least one language')
  .max(20, 'at most 20 languages');

export const audioLanguagesSchema = z.union([z.literal('default'), z.literal('all'), languageList], {
  error: 'must be "default", "all" or a list of languages such as ["pt-BR", "en"]',
});
export const subtitleLanguagesSchema = z.union([z.literal('none'), z.literal('all'), languageList], {
  error: 'must be "none", "all" or a list of languages such as ["pt-BR", "en"]',
});
export const subtitlesAsSchema = z.enum(SUBTITLES_AS, { error: `must be one of ${SUBTITLES_AS.join(', ')}` });

/** The `default_subtitle_languages` option: "none", "all", or comma-separated tags ("pt-BR,en"). */
export function parseSubtitleOption(value: string): SubtitleLanguages {
  const v = value.trim();
  if (v === '' || v.toLowerCase() === 'none') return 'none';
  if (v.toLowerCase() === 'all') return 'all';
  return v.split(',').map((s) => s.trim()).filter(Boolean);
}
export const SUBTITLE_OPTION_PATTERN = /^(none|all|[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8}){0,3}(\s*,\s*[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8}){0,3})*)$/;

export interface TrackChoiceInfo {
  language: string | null;
  isDefault: boolean;
  autoselect?: boolean;
}

/**
 * The tracks whose language is in `wanted`, in the order asked: for each tag, the tracks with
 * exactly that tag, else those of the same language ("pt" finds "pt-BR"; "pt-BR" finds a plain
 * "pt" track when there is no "pt-BR" one).
 */
export function byLanguages<T extends TrackChoiceInfo>(tracks: readonly T[], wanted: readonly string[]): T[] {
  const out: T[] = [];
  for (const tag of wanted) {
    const exact = tracks.filter((t) => t.language !== null && t.language.toLowerCase() === tag.toLowerCase());
    const found = exact.length > 0 ? exact : tracks.filter((t) => t.language !== null && sameLanguage(t.language, tag));
    for (const t of found) if (!out.includes(t)) out.push(t);
  }
  return out;
}

/** The one rendition a player would start with: DEFAULT, else the first AUTOSELECT, else the first. */
export function defaultTrack<T extends TrackChoiceInfo>(tracks: readonly T[]): T | null {
  return tracks.find((t) => t.isDefault) ?? tracks.find((t) => t.autoselect) ?? tracks[0] ?? null;
}

/**
 * Audio tracks to keep. A list that matches nothing falls back to the default track (a file
 * without sound is never what anyone asked for); `matched` tells the caller to log that.
 */
export function chooseAudio<T extends TrackChoiceInfo>(tracks: readonly T[], choice: AudioLanguages): { tracks: T[]; matched: boolean } {
  if (tracks.length === 0) return { tracks: [], matched: true };
  if (choice === 'all') return { tracks: [...tracks], matched: true };
  if (choice !== 'default') {
    const found = byLanguages(tracks, choice);
    if (found.length > 0) return { tracks: found, matched: true };
  }
  const fallback = defaultTrack(tracks);
  return { tracks: fallback ? [fallback] : [], matched: choice === 'default' };
}

export function chooseSubtitles<T extends TrackChoiceInfo>(tracks: readonly T[], choice: SubtitleLanguages): T[] {
  if (choice === 'none') return [];
  if (choice === 'all') return [...tracks];
  return byLanguages(tracks, choice);
}
