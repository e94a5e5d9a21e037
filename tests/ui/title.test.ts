import { describe, expect, it } from 'vitest';
import { titleFromUrl } from '../../ui/src/lib/title.js';

describe('titleFromUrl (the add form fills the title from a pasted URL)', () => {
  it.each([
    ['https://cdn.example.com/shows/My.Show.S01E02.1080p.WEB-DL.x264.mkv', 'My Show S01E02'],
    ['https://x.example/The.Matrix.1999.1080p.BluRay.mkv', 'The Matrix (1999)'],
    ['https://x.example/shows/my-show-s01e02/index.m3u8', 'My Show S01E02'],
    ['https://x.example/Avenida%20Brasil%20Cap%20102.mp4', 'Avenida Brasil Cap 102'],
    ['https://x.example/get?title=Big%20Buck%20Bunny&id=4', 'Big Buck Bunny'],
    ['https://x.example/media/Duna_Parte_Dois_(2024)_[4K].mp4', 'Duna Parte Dois (2024)'],
  ])('%s -> %s', (url, title) => {
    expect(titleFromUrl(url)).toBe(title);
  });

  it.each([
    'https://cdn.example.com/hls/5f3c9a0b7e2d4c11a8b9/master.m3u8',
    'https://x.example/v/aZ3kQ9xW2mP7vB1c/playlist.m3u8',
    'https://x.example/movie/user/pass/12345.mp4',
    'https://x.example/video/1080p/index.m3u8',
    'https://x.example/',
    'ftp://x.example/Some.Movie.mkv',
    'not a url',
  ])('%s -> nothing', (url) => {
    expect(titleFromUrl(url)).toBeNull();
  });
});
