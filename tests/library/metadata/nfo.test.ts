import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { episodeNfo, movieNfo, tvShowNfo, xmlText } from '../../../addon/library/metadata/nfo.js';

/** Parse an NFO the way a strict reader would: every value a string, genres always a list. */
function readBack(xml: string): Record<string, any> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const valid = XMLValidator.validate(xml);
  expect(valid, typeof valid === 'object' ? JSON.stringify(valid.err) : '').toBe(true);
  const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@', parseTagValue: false, processEntities: true, isArray: (name) => name === 'genre' });
  return parser.parse(xml);
}

describe('NFO builder', () => {
  it.each([
    {
      name: 'a movie with everything',
      xml: movieNfo({ title: 'The Matrix', original_title: 'The Matrix', year: 1999, premiered: '1999-03-31', plot: 'A hacker learns the truth.', genres: ['Action', 'Science Fiction'], tmdb_id: 603 }),
      root: 'movie',
      expected: { title: 'The Matrix', originaltitle: 'The Matrix', year: '1999', premiered: '1999-03-31', plot: 'A hacker learns the truth.', genre: ['Action', 'Science Fiction'], uniqueid: { '#text': '603', '@type': 'tmdb', '@default': 'true' } },
    },
    {
      name: 'a movie known only by title: original title = title, no ids, no empty elements',
      xml: movieNfo({ title: 'Home Video', year: null }),
      root: 'movie',
      expected: { title: 'Home Video', originaltitle: 'Home Video' },
    },
    {
      name: 'the year from premiered when the year is unknown; a bad date dropped',
      xml: movieNfo({ title: 'X', premiered: '2001-02-03' }),
      root: 'movie',
      expected: { title: 'X', originaltitle: 'X', year: '2001', premiered: '2001-02-03' },
    },
    {
      name: 'text that needs escaping, and control characters XML cannot carry',
      xml: movieNfo({ title: 'Tom & Jerry <3 "quotes" \'apostrophes\'', plot: 'line one\nline two\u0007\u0000 end', genres: ['Drama', 'Drama', ' '] }),
      root: 'movie',
      expected: { title: 'Tom & Jerry <3 "quotes" \'apostrophes\'', originaltitle: 'Tom & Jerry <3 "quotes" \'apostrophes\'', plot: 'line one\nline two end', genre: ['Drama'] },
    },
    {
      name: 'a show',
      xml: tvShowNfo({ title: 'Dark', original_title: 'Dark', year: 2017, premiered: '2017-12-01', plot: 'Time travel.', genres: ['Drama', 'Mystery'], tmdb_id: 70523 }),
      root: 'tvshow',
      expected: { title: 'Dark', originaltitle: 'Dark', year: '2017', premiered: '2017-12-01', plot: 'Time travel.', genre: ['Drama', 'Mystery'], uniqueid: { '#text': '70523', '@type': 'tmdb', '@default': 'true' } },
    },
    {
      name: 'an episode',
      xml: episodeNfo({ title: 'Secrets', show_title: 'Dark', season: 1, episode: 1, aired: '2017-12-01', plot: 'A boy vanishes.', tmdb_id: 1376380 }),
      root: 'episodedetails',
      expected: { title: 'Secrets', showtitle: 'Dark', season: '1', episode: '1', aired: '2017-12-01', plot: 'A boy vanishes.', uniqueid: { '#text': '1376380', '@type': 'tmdb', '@default': 'true' } },
    },
    {
      name: 'an episode without a title or TMDB: "Episode N", a special (season 0)',
      xml: episodeNfo({ title: '', season: 0, episode: 3 }),
      root: 'episodedetails',
      expected: { title: 'Episode 3', season: '0', episode: '3' },
    },
  ])('$name', ({ xml, root, expected }) => {
    expect(xml.startsWith('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<!-- M3U Downloader: ')).toBe(true);
    const doc = readBack(xml);
    expect(Object.keys(doc).filter((k) => k !== '?xml')).toEqual([root]);
    expect(doc[root]).toEqual(expected);
  });

  it('escapes all five XML specials', () => {
    expect(xmlText(`<a href="x">&'`)).toBe('&lt;a href=&quot;x&quot;&gt;&amp;&apos;');
  });
});
