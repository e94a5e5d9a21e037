/**
 * Which NFO and artwork files go next to a finished download, and where. Pure: the writer does
 * the I/O. Names as Kodi and Jellyfin read them (kodi.wiki NFO_files and Artwork; Jellyfin's
 * LocalImageProvider): `<video>.nfo` (both read it, for movies whether or not the movie has
 * its own folder), `tvshow.nfo`, `poster.jpg` and `fanart.jpg` in a movie's own folder or the
 * show folder (else `<video>-poster.jpg`), `seasonNN-poster.jpg` / `season-specials-poster.jpg`
 * in the show folder, `<video>-thumb.jpg` for an episode.
 */
import type { ContentType } from '../../domain/content.js';
import type { TmdbDetails, TmdbEpisode } from '../../sources/tmdb.js';
import type { MetadataMode } from './model.js';
import { episodeNfo, movieNfo, tvShowNfo } from './nfo.js';

export type ImageSource = { tmdb_path: string; size: string } | { url: string };

export type MetadataFile =
  | { kind: 'nfo'; rel: string; content: string }
  | { kind: 'image'; rel: string; source: ImageSource };

export interface MetadataInput {
  mode: MetadataMode;
  content_type: ContentType | null;
  /** The video as filed, relative to the destination's folder. */
  rel_path: string;
  title: string;
  year: number | null;
  show: string | null;
  season: number | null;
  episode: number | null;
  episode_title: string | null;
  tmdb_id: number | null;
  /** The movie's or show's TMDB record, when known. */
  details: TmdbDetails | null;
  episode_details: TmdbEpisode | null;
  /** A poster URL known without TMDB details (POST /api/downloads `poster`). */
  poster_url: string | null;
}

const dirOf = (rel: string): string => (rel.includes('/') ? rel.slice(0, rel.lastIndexOf('/')) : '');
const baseOf = (rel: string): string => rel.slice(rel.lastIndexOf('/') + 1);
const join = (dir: string, name: string): string => (dir ? `${dir}/${name}` : name);
const stemOf = (rel: string): string => {
  const base = baseOf(rel);
  const dot = base.lastIndexOf('.');
  return join(dirOf(rel), dot > 0 ? base.slice(0, dot) : base);
};
const fold = (s: string): string => s.normalize('NFKD').replace(/[\u0300-\u036f]/g, '').toLowerCase().replace(/[^a-z0-9]+/g, '');

/** A season folder (`Season 01`, `Season 1`, `Specials`): the show folder is the one above it. */
export const isSeasonFolder = (name: string): boolean => /^(season[\s._-]*\d+|specials)$/i.test(name.trim());

export function planMetadata(input: MetadataInput): MetadataFile[] {
  if (input.mode === 'none') return [];
  const art = input.mode === 'nfo+art';
  const d = input.details;
  const files: MetadataFile[] = [];
  const stem = stemOf(input.rel_path);
  const folder = dirOf(input.rel_path);

  if (input.content_type === 'movie') {
    files.push({
      kind: 'nfo',
      rel: `${stem}.nfo`,
      content: movieNfo({
        title: d?.title || input.title,
        original_title: d?.original_title ?? null,
        year: d?.year ?? input.year,
        premiered: d?.premiered ?? null,
        plot: d?.overview ?? null,
        genres: d?.genres ?? [],
        tmdb_id: d?.id ?? input.tmdb_id,
      }),
    });
    if (art) {
      // A folder of its own ("Title (Year)/Title (Year).mkv"): folder art; else art named after the file.
      const own = folder !== '' && fold(baseOf(folder)).startsWith(fold(input.title).slice(0, 40) || '\u0000');
      const poster = d?.poster_path ? { tmdb_path: d.poster_path, size: 'w780' } : input.poster_url ? { url: input.poster_url } : null;
      if (poster) files.push({ kind: 'image', rel: own ? join(folder, 'poster.jpg') : `${stem}-poster.jpg`, source: poster });
      if (d?.backdrop_path) files.push({ kind: 'image', rel: own ? join(folder, 'fanart.jpg') : `${stem}-fanart.jpg`, source: { tmdb_path: d.backdrop_path, size: 'w1280' } });
    }
    return files;
  }

  if ((input.content_type === 'series' || input.content_type === 'novela') && input.season !== null && input.episode !== null) {
    const showFolder = isSeasonFolder(baseOf(folder)) ? dirOf(folder) : folder;
    const showTitle = d?.title || input.show || input.title;
    const e = input.episode_details;
    files.push({
      kind: 'nfo',
      rel: `${stem}.nfo`,
      content: episodeNfo({
        title: e?.name ?? input.episode_title ?? `Episode ${input.episode}`,
        show_title: showTitle,
        season: input.season,
        episode: input.episode,
        aired: e?.air_date ?? null,
        plot: e?.overview ?? null,
        tmdb_id: e?.id || null,
      }),
    });
    // Only a real show folder gets show-level files: never the destination's root.
    if (showFolder !== '') {
      files.push({
        kind: 'nfo',
        rel: join(showFolder, 'tvshow.nfo'),
        content: tvShowNfo({
          title: showTitle,
          original_title: d?.original_title ?? null,
          year: d?.year ?? input.year,
          premiered: d?.premiered ?? null,
          plot: d?.overview ?? null,
          genres: d?.genres ?? [],
          tmdb_id: d?.id ?? input.tmdb_id,
        }),
      });
    }
    if (art) {
      if (showFolder !== '') {
        const poster = d?.poster_path ? { tmdb_path: d.poster_path, size: 'w780' } : input.poster_url ? { url: input.poster_url } : null;
        if (poster) files.push({ kind: 'image', rel: join(showFolder, 'poster.jpg'), source: poster });
        if (d?.backdrop_path) files.push({ kind: 'image', rel: join(showFolder, 'fanart.jpg'), source: { tmdb_path: d.backdrop_path, size: 'w1280' } });
        const season = d?.seasons.find((s) => s.season_number === input.season);
        if (season?.poster_path) {
          const name = input.season === 0 ? 'season-specials-poster.jpg' : `season${String(input.season).padStart(2, '0')}-poster.jpg`;
          files.push({ kind: 'image', rel: join(showFolder, name), source: { tmdb_path: season.poster_path, size: 'w780' } });
        }
      }
      if (e?.still_path) files.push({ kind: 'image', rel: `${stem}-thumb.jpg`, source: { tmdb_path: e.still_path, size: 'w300' } });
    }
  }
  return files;
}
