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
