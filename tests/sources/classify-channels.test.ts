/**
 * Telling linear channels from VOD when the entry carries no type: the cases a run over public
 * channel lists got wrong (channels called movies for an .mp4/.flv/.wmv URL, a number read as a
 * year, 24/7 channels in a "VOD Movies" group, notices left in the name), and VOD entries that
 * must stay VOD although they carry one channel-like signal.
 */
import { describe, expect, it } from 'vitest';
import type { EntryType } from '../../addon/domain/content.js';
import { channelScore, classifyEntry, urlSignals, type ClassifyInput } from '../../addon/sources/classify.js';

type Row = [group: string | null, title: string, url: string, attrs: Record<string, string>, type: EntryType, cleanTitle: string, year?: number | null];

const rows: Row[] = [
  // Channels
  [null, 'TV 2000', 'http://cdn.example/tv2000.mp4', { 'tvg-id': 'TV2000.it' }, 'live', 'TV 2000', null],
  [null, 'Canal 2001', 'http://cdn.example/c2001.ts', {}, 'live', 'Canal 2001', null],
  ['VOD Movies', 'Cine Action 24/7', 'http://cdn.example/action.mp4', {}, 'live', 'Cine Action 24/7', null],
  ['VOD Movies', 'Rocky Marathon 24 horas', 'http://cdn.example/rocky.mkv', {}, 'live', 'Rocky Marathon 24 horas', null],
  ['General', 'ABC News [Not 24/7]', 'https://cdn.example/abc/index.m3u8', { 'tvg-id': 'ABCNews.us' }, 'live', 'ABC News', null],
  ['Entertainment', 'Canal Uno [Geo-blocked]', 'http://cdn.example/uno.flv', { 'tvg-id': 'CanalUno.es' }, 'live', 'Canal Uno', null],
  ['Music', 'Hit Radio [Geo-blocked] [Not 24/7]', 'http://cdn.example/hit.wmv', {}, 'live', 'Hit Radio', null],
  ['Movies', 'FilmBox Premium', 'https://cdn.example/filmbox/playlist.m3u8', { 'tvg-id': 'FilmBoxPremium.pl@SD' }, 'live', 'FilmBox Premium', null],
  ['Series', 'Sitcom Channel', 'https://cdn.example/sitcom', { 'tvg-id': 'Sitcom.us' }, 'live', 'Sitcom Channel', null],
  [null, 'Channel 4 HD', 'http://cdn.example/c4.wmv', { 'tvg-chno': '4' }, 'live', 'Channel 4', null],
  [null, 'Rede Vida', 'http://cdn.example/vod/redevida.mp4', { catchup: 'default', 'catchup-days': '3' }, 'live', 'Rede Vida', null],
  [null, 'Euronews', 'http://cdn.example/live/euronews.flv', { 'tvg-id': 'Euronews.fr' }, 'live', 'Euronews', null],
  // VOD that must stay VOD
  ['Movies', 'Inception (2010)', 'http://cdn.example/inception.mp4', { 'tvg-id': 'inception.br' }, 'movie', 'Inception', 2010],
  [null, 'The Matrix 1999', 'http://cdn.example/matrix.mp4', { 'tvg-id': 'matrix.us' }, 'movie', 'The Matrix', 1999],
  ['Series', 'Lost S01E02', 'http://cdn.example/lost.mp4', { 'tvg-id': 'lost.us' }, 'series', 'Lost'],
  ['Filmes', 'Tropa de Elite (2007)', 'http://cdn.example/tropa.mp4', {}, 'movie', 'Tropa de Elite', 2007],
  [null, 'Blade Runner 2049 (2017)', 'http://cdn.example/br.mp4', {}, 'movie', 'Blade Runner 2049', 2017],
  ['Movies', 'Some Documentary', 'http://cdn.example/doc.mp4', {}, 'movie', 'Some Documentary', null],
  ['Movies', 'Arrival', 'https://cdn.example/arrival/index.m3u8', {}, 'movie', 'Arrival', null],
];

describe('channels vs VOD', () => {
  it.each(rows.map((r) => [r[1], r] as const))('%s', (_t, [group, title, url, attrs, type, clean, year]) => {
    const input: ClassifyInput = { title, url, attrs, groupTitle: group };
    const c = classifyEntry(input, { currentYear: 2026 });
    expect(c.contentType).toBe(type);
    expect(c.cleanTitle).toBe(clean);
    if (year !== undefined) expect(c.year).toBe(year);
  });

  it('weighs the signals', () => {
    const u = urlSignals('http://cdn.example/x.mp4');
    expect(channelScore('News 24/7', {}, u)).toBe(4);
    expect(channelScore('News', { 'tvg-id': 'News.uk' }, u)).toBe(2);
    expect(channelScore('News', { 'tvg-id': 'news' }, u)).toBe(0);
    expect(channelScore('News', { 'tvg-id': 'News.uk', 'tvg-chno': '101' }, urlSignals('http://cdn.example/x.ts'))).toBe(5);
  });

  it('keeps the notices as tags', () => {
    expect(classifyEntry({ title: 'ABC News [Not 24/7]', url: 'https://cdn.example/a.m3u8' }).tags).toContain('Not 24/7');
  });
});
