import { describe, expect, it } from 'vitest';
import { parsePlaylist, pickVariant } from '../../addon/hls/playlist.js';
import { AppError } from '../../addon/errors.js';

const master = parsePlaylist(
  [
    '#EXTM3U',
    '#EXT-X-STREAM-INF:BANDWIDTH=5000000,RESOLUTION=1920x1080',
    'hi.m3u8',
    '#EXT-X-STREAM-INF:BANDWIDTH=2500000,RESOLUTION=1280x720',
    '720a.m3u8',
    '#EXT-X-STREAM-INF:BANDWIDTH=1800000,RESOLUTION=1280x720',
    '720b.m3u8',
    '#EXT-X-STREAM-INF:BANDWIDTH=800000,RESOLUTION=640x360',
    'lo.m3u8',
  ].join('\n'),
  'https://cdn.example/film/master.m3u8',
);
if (master.kind !== 'master') throw new Error('fixture is a master');

describe('an exact variant ("720p@1800000") as picked in the add form', () => {
  it.each([
    ['720p@1800000', 'https://cdn.example/film/720b.m3u8'],
    ['720p@2500000', 'https://cdn.example/film/720a.m3u8'],
    // Re-encoded since the probe: the nearest bandwidth at that height, never another height.
    ['720p@1900000', 'https://cdn.example/film/720b.m3u8'],
    ['360p@800000', 'https://cdn.example/film/lo.m3u8'],
  ])('%s -> %s', (quality, uri) => {
    expect(pickVariant(master.variants, quality).uri).toBe(uri);
  });

  it('fails, naming what the stream offers, when that height is gone', () => {
    let caught: unknown;
    try {
      pickVariant(master.variants, '480p@1200000');
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(AppError);
    expect((caught as AppError).code).toBe('variant_gone');
    expect((caught as AppError).message).toBe('the stream no longer offers the chosen 480p variant (it offers 1080p, 720p, 360p); add it again to choose another');
  });

  it('leaves "up to" heights as they were', () => {
    expect(pickVariant(master.variants, '720p').uri).toBe('https://cdn.example/film/720a.m3u8');
    expect(pickVariant(master.variants, '480p').uri).toBe('https://cdn.example/film/lo.m3u8');
  });
});
