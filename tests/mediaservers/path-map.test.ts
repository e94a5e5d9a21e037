import { describe, expect, it } from 'vitest';
import { isWithin, mapPath, parentFolder } from '../../addon/mediaservers/path-map.js';
import { kodiDirectory } from '../../addon/mediaservers/kodi.js';

const MAP = [
  { from: '/media/library', to: '/data' },
  { from: '/media/library/Series', to: '/tv' },
  { from: '//nas:445/media', to: 'smb://nas/media/' },
  { from: '/share/Movies', to: 'D:\\Movies' },
];

describe('mapPath', () => {
  it.each([
    ['/media/library/Movies/X (2020)/X (2020).mkv', '/data/Movies/X (2020)/X (2020).mkv', '/media/library'],
    ['/media/library/Series/Show/Season 01/e.mkv', '/tv/Show/Season 01/e.mkv', '/media/library/Series'], // longest from wins
    ['/media/library', '/data', '/media/library'],
    ['/media/libraryX/a.mkv', '/media/libraryX/a.mkv', null], // whole components only
    ['//nas:445/media/Movies/a.mkv', 'smb://nas/media/Movies/a.mkv', '//nas:445/media'],
    ['/share/Movies/A (1999)/A (1999).mkv', 'D:\\Movies\\A (1999)\\A (1999).mkv', '/share/Movies'],
    ['/elsewhere/a.mkv', '/elsewhere/a.mkv', null],
  ])('%s -> %s', (input, out, from) => {
    const m = mapPath(input, MAP);
    expect(m.path).toBe(out);
    expect(m.entry?.from ?? null).toBe(from);
  });

  it('ignores trailing slashes on from and an empty from', () => {
    expect(mapPath('/a/b/c.mkv', [{ from: '/a/', to: '/x/' }]).path).toBe('/x/b/c.mkv');
    expect(mapPath('/a/b/c.mkv', [{ from: '', to: '/x' }]).entry).toBeNull();
  });
});

describe('folders', () => {
  it.each([
    ['/data/Movies/X/X.mkv', '/data/Movies/X'],
    ['D:\\Movies\\A\\A.mkv', 'D:\\Movies\\A'],
    ['smb://nas/tv/Show/S01/e.mkv', 'smb://nas/tv/Show/S01'],
    ['/a.mkv', '/'],
  ])('parentFolder(%s) = %s', (p, f) => expect(parentFolder(p)).toBe(f));

  it.each([
    ['/data/tv/Show', '/data/tv', true],
    ['/data/tv', '/data/tv/', true],
    ['/data/tvshows/x', '/data/tv', false],
    ['smb://nas/tv/Show/', 'smb://nas/tv/', true],
  ])('isWithin(%s, %s) = %s', (p, f, r) => expect(isWithin(p, f)).toBe(r));

  it('Kodi directories end with the separator of their style', () => {
    expect(kodiDirectory('/mnt/tv/Show')).toBe('/mnt/tv/Show/');
    expect(kodiDirectory('/mnt/tv/Show/')).toBe('/mnt/tv/Show/');
    expect(kodiDirectory('D:\\TV\\Show')).toBe('D:\\TV\\Show\\');
    expect(kodiDirectory('smb://nas/tv/Show')).toBe('smb://nas/tv/Show/');
  });
});
