import { describe, expect, it } from 'vitest';
import { dispositionFilename, suggestTitle, titleFromUrlPath, type TitleEvidence } from '../../addon/titles/title-rule.js';

describe('the title rule: a bare URL gets a real title', () => {
  it.each<[string, string]>([
    ['https://cdn.example.com/shows/My.Show.S01E02.1080p.WEB-DL.x264.mkv', 'My Show S01E02'],
    ['https://x.example/The.Matrix.1999.1080p.BluRay.mkv', 'The Matrix (1999)'],
    ['https://x.example/shows/my-show-s01e02/index.m3u8', 'My Show S01E02'],
    ['https://x.example/Avenida%20Brasil%20Cap%20102.mp4', 'Avenida Brasil Cap 102'],
    ['https://x.example/get?title=Big%20Buck%20Bunny&id=4', 'Big Buck Bunny'],
    ['https://x.example/media/Duna_Parte_Dois_(2024)_[4K].mp4', 'Duna Parte Dois (2024)'],
    // Never the variant, playlist or chunk name: walk up to the folder that names something.
    ['https://cdn.example/sintel/v360p/index.m3u8', 'Sintel'],
    ['https://cdn.example/sintel/v360p.m3u8', 'Sintel'],
    ['https://cdn.example/Big_Buck_Bunny/hls/720p/playlist.m3u8', 'Big Buck Bunny'],
    ['https://cdn.example/tears-of-steel/master.m3u8', 'Tears Of Steel'],
    ['https://cdn.example/tears-of-steel/dash/manifest.mpd', 'Tears Of Steel'],
    ['https://wowza.example/vod/mp4:elephants-dream/chunklist_w123456_b800000.m3u8', 'Elephants Dream'],
    ['https://cdn.example/news-tonight/en/1920x1080/prog_index.m3u8', 'News Tonight'],
    ['https://s3.example/bucket/obj?response-content-disposition=attachment%3B%20filename%3D%22Cosmos.Laundromat.2015.mp4%22', 'Cosmos Laundromat (2015)'],
  ])('%s -> %s', (url, title) => {
    expect(suggestTitle({ url })).toEqual({ title, from: 'url' });
  });

  it.each<[string, string]>([
    // Ids, hashes and tokens stop the walk: what is above may be credentials (Xtream /movie/<user>/<password>/<id>).
    ['https://cdn.example.com/hls/5f3c9a0b7e2d4c11a8b9/master.m3u8', 'cdn.example.com'],
    ['https://x.example/v/aZ3kQ9xW2mP7vB1c/playlist.m3u8', 'x.example'],
    ['https://provider.example:8080/movie/someuser/s3cretpass/12345.mp4', 'provider.example'],
    ['https://x.example/video/1080p/index.m3u8', 'x.example'],
    ['https://www.example.org/', 'example.org'],
    ['https://cdn.example/v360p/chunklist.m3u8', 'cdn.example'],
    ['https://cdn.example/c1f2e3d4-aaaa-bbbb-cccc-0123456789ab/seg_0001.ts', 'cdn.example'],
  ])('%s -> the host %s', (url, title) => {
    expect(suggestTitle({ url })).toEqual({ title, from: 'host' });
  });

  it.each<[string, TitleEvidence, string, string]>([
    ['Content-Disposition wins', { url: 'https://x.example/dl/9981', contentDisposition: 'attachment; filename="Night.of.the.Living.Dead.1968.720p.mp4"', pageTitle: 'Watch online' }, 'Night of the Living Dead (1968)', 'disposition'],
    ['RFC 5987 filename*', { url: 'https://x.example/dl/1', contentDisposition: "attachment; filename=\"fallback.mp4\"; filename*=UTF-8''S%C3%A3o%20Paulo%20Tour.mp4" }, 'São Paulo Tour', 'disposition'],
    ['a generic disposition gives way to the MP4 tag', { url: 'https://x.example/dl/1', contentDisposition: 'attachment; filename=video.mp4', mediaTitle: 'Caminandes: Llamigos' }, 'Caminandes: Llamigos', 'media_tag'],
    ['the MP4 tag before the playlist and the page', { url: 'https://x.example/a.mp4', mediaTitle: '  Spring  ', pageTitle: 'Blender Studio' }, 'Spring', 'media_tag'],
    ['a playlist title', { url: 'https://x.example/hls/master.m3u8', playlistTitle: 'Agent 327' }, 'Agent 327', 'playlist'],
    ['a source item name', { url: 'https://x.example/movie/u/p/1.mp4', sourceName: 'Sprite Fright (2021)', pageTitle: 'ignored' }, 'Sprite Fright (2021)', 'source'],
    ['the page title from the extension', { url: 'https://x.example/hls/ab12cd34ef56ab78/master.m3u8', pageTitle: 'The Big Match' }, 'The Big Match', 'page'],
    ['a tag that is only noise gives way to the URL', { url: 'https://x.example/elephants-dream/index.m3u8', mediaTitle: 'video', playlistTitle: '1080p' }, 'Elephants Dream', 'url'],
    ['a page title that is an id gives way to the URL', { url: 'https://x.example/Glass.Half.2015.mp4', pageTitle: '123456' }, 'Glass Half (2015)', 'url'],
  ])('%s', (_name, evidence, title, from) => {
    expect(suggestTitle(evidence)).toEqual({ title, from });
  });

  it('never returns an empty title, even for garbage', () => {
    expect(suggestTitle({ url: 'not a url' }).title).toBe('download');
    expect(suggestTitle({ url: 'https://x.example/index.m3u8', pageTitle: '   ' })).toEqual({ title: 'x.example', from: 'host' });
  });

  it('keeps long titles bounded', () => {
    expect(suggestTitle({ url: 'https://x.example/', pageTitle: 'Word '.repeat(150) }).title.length).toBe(200);
  });

  it.each<[string, string | null]>([
    ['attachment; filename="a \\"b\\".mp4"', 'a "b".mp4'],
    ['inline; filename=plain.mkv', 'plain.mkv'],
    ["attachment; filename*=utf-8''%E2%82%AC%20rates.mp4", '€ rates.mp4'],
    ['attachment', null],
  ])('Content-Disposition %s -> %s', (header, name) => {
    expect(dispositionFilename(header)).toBe(name);
  });

  it('titleFromUrlPath says null when the URL names nothing (the caller then uses the host)', () => {
    expect(titleFromUrlPath('ftp://x.example/Some.Movie.mkv')).toBeNull();
    expect(titleFromUrlPath('https://x.example/master.m3u8')).toBeNull();
  });
});
