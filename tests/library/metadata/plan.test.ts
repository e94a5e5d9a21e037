import { describe, expect, it } from 'vitest';
import { isSeasonFolder, planMetadata, type MetadataInput } from '../../../addon/library/metadata/plan.js';
import type { TmdbDetails } from '../../../addon/sources/tmdb.js';

const movieDetails: TmdbDetails = { id: 603, media_type: 'movie', title: 'The Matrix', original_title: 'The Matrix', overview: 'x', genres: ['Action'], premiered: '1999-03-31', year: 1999, poster_path: '/p.jpg', backdrop_path: '/b.jpg', seasons: [] };
const showDetails: TmdbDetails = { id: 70523, media_type: 'tv', title: 'Dark', original_title: 'Dark', overview: 'y', genres: [], premiered: '2017-12-01', year: 2017, poster_path: '/sp.jpg', backdrop_path: '/sb.jpg', seasons: [{ season_number: 0, poster_path: '/s0.jpg' }, { season_number: 1, poster_path: '/s1.jpg' }] };
const base: MetadataInput = { mode: 'nfo+art', content_type: 'movie', rel_path: 'Movies/The Matrix (1999)/The Matrix (1999).mkv', title: 'The Matrix', year: 1999, show: null, season: null, episode: null, episode_title: null, tmdb_id: 603, details: movieDetails, episode_details: null, poster_url: null };
const names = (input: Partial<MetadataInput>): string[] => planMetadata({ ...base, ...input }).map((f) => `${f.kind} ${f.rel}${f.kind === 'image' ? ` <- ${'url' in f.source ? f.source.url : `${f.source.size}${f.source.tmdb_path}`}` : ''}`);

describe('where NFO and artwork go', () => {
  it.each<[string, Partial<MetadataInput>, string[]]>([
    ['movie in its own folder: <video>.nfo, folder art', {}, ['nfo Movies/The Matrix (1999)/The Matrix (1999).nfo', 'image Movies/The Matrix (1999)/poster.jpg <- w780/p.jpg', 'image Movies/The Matrix (1999)/fanart.jpg <- w1280/b.jpg']],
    ['movie sharing a folder: art named after the file', { rel_path: 'Downloads/The Matrix.mp4' }, ['nfo Downloads/The Matrix.nfo', 'image Downloads/The Matrix-poster.jpg <- w780/p.jpg', 'image Downloads/The Matrix-fanart.jpg <- w1280/b.jpg']],
    ['movie at the root', { rel_path: 'The Matrix.mkv' }, ['nfo The Matrix.nfo', 'image The Matrix-poster.jpg <- w780/p.jpg', 'image The Matrix-fanart.jpg <- w1280/b.jpg']],
    ['nfo only', { mode: 'nfo' }, ['nfo Movies/The Matrix (1999)/The Matrix (1999).nfo']],
    ['none', { mode: 'none' }, []],
    ['no TMDB: a known poster URL, no fanart', { details: null, poster_url: 'https://img.example/p.jpg' }, ['nfo Movies/The Matrix (1999)/The Matrix (1999).nfo', 'image Movies/The Matrix (1999)/poster.jpg <- https://img.example/p.jpg']],
    [
      'episode in a season folder: tvshow.nfo, show art and the season poster in the show folder',
      { content_type: 'series', rel_path: 'Series/Dark/Season 01/Dark - S01E01 - Secrets.mkv', title: 'Dark S01E01', show: 'Dark', season: 1, episode: 1, details: showDetails, episode_details: { id: 1376380, name: 'Secrets', overview: 'z', air_date: '2017-12-01', still_path: '/st.jpg' } },
      [
        'nfo Series/Dark/Season 01/Dark - S01E01 - Secrets.nfo',
        'nfo Series/Dark/tvshow.nfo',
        'image Series/Dark/poster.jpg <- w780/sp.jpg',
        'image Series/Dark/fanart.jpg <- w1280/sb.jpg',
        'image Series/Dark/season01-poster.jpg <- w780/s1.jpg',
        'image Series/Dark/Season 01/Dark - S01E01 - Secrets-thumb.jpg <- w300/st.jpg',
      ],
    ],
    [
      'a special, in a flat show folder',
      { content_type: 'novela', rel_path: 'Novelas/Dark/Dark - S00E02.mkv', show: 'Dark', season: 0, episode: 2, details: showDetails },
      ['nfo Novelas/Dark/Dark - S00E02.nfo', 'nfo Novelas/Dark/tvshow.nfo', 'image Novelas/Dark/poster.jpg <- w780/sp.jpg', 'image Novelas/Dark/fanart.jpg <- w1280/sb.jpg', 'image Novelas/Dark/season-specials-poster.jpg <- w780/s0.jpg'],
    ],
    ['episode at the root: no show-level files', { content_type: 'series', rel_path: 'Dark - S01E01.mkv', show: 'Dark', season: 1, episode: 1, details: null }, ['nfo Dark - S01E01.nfo']],
    ['a series file without season/episode, and other content: nothing', { content_type: 'series', season: null }, []],
    ['other', { content_type: 'other' }, []],
  ])('%s', (_name, input, expected) => {
    expect(names(input)).toEqual(expected);
  });

  it.each([
    ['Season 01', true],
    ['season 1', true],
    ['Specials', true],
    ['Season Finale Party', false],
    ['Dark', false],
  ])('isSeasonFolder(%s) = %s', (n, r) => expect(isSeasonFolder(n)).toBe(r));
});
