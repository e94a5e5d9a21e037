import { describe, expect, it } from 'vitest';
import { buildMergeArgs, concatList } from '../../addon/hls/merge-args.js';

describe('buildMergeArgs', () => {
  it('remuxes one file to MP4 with faststart, keeping video and audio', () => {
    expect(buildMergeArgs({ main: { path: 'v.media', concat: false }, audio: null, container: 'mp4', output: 'out.mp4.part' })).toEqual([
      '-v', 'error', '-y', '-i', 'v.media', '-map', '0:v?', '-map', '0:a?', '-c', 'copy', '-movflags', '+faststart', '-f', 'mp4', 'out.mp4.part',
    ]);
  });

  it('muxes a separate audio rendition and reads parts through the concat demuxer', () => {
    const args = buildMergeArgs({ main: { path: 'v.ffconcat', concat: true }, audio: { path: 'a.media', concat: false }, container: 'mkv', output: 'o' });
    expect(args.join(' ')).toBe('-v error -y -f concat -safe 0 -i v.ffconcat -i a.media -map 0:v? -map 1:a:0 -c copy -f matroska o');
  });

  it('quotes paths in ffconcat lists', () => {
    expect(concatList(["/w/t0-p0.media", "/w/it's.media"])).toBe("ffconcat version 1.0\nfile '/w/t0-p0.media'\nfile '/w/it'\\''s.media'\n");
  });
});

describe('buildMergeArgs: input offsets', () => {
  it('puts -itsoffset before an input that starts later (a live audio track), and nothing for 0', () => {
    const args = buildMergeArgs({
      main: { path: 'v.ffconcat', concat: true },
      audio: null,
      audioTracks: [
        { input: { path: 'a.ffconcat', concat: true, offsetS: 0.5 }, language: 'en', title: null, isDefault: true },
        { input: { path: 'b.ffconcat', concat: true, offsetS: 0 }, language: 'de', title: null, isDefault: false },
      ],
      container: 'mkv',
      output: 'o',
    });
    expect(args.join(' ')).toContain('-f concat -safe 0 -i v.ffconcat -itsoffset 0.500000 -f concat -safe 0 -i a.ffconcat -f concat -safe 0 -i b.ffconcat -map 0:v? -map 1:a:0 -map 2:a:0');
  });
});
