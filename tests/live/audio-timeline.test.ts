import { describe, expect, it } from 'vitest';
import { audioConcat, layAudio, placeCues, type AudioPiece, type TimedPiece } from '../../addon/live/audio-timeline.js';
import type { RecordingGap } from '../../addon/live/model.js';

const v = (file: string, at: number, seconds: number, chunk = 0): TimedPiece => ({ file, chunk, at, seconds });
const a = (file: string, at: number, seconds: number, start: number | null = 10): AudioPiece => ({ file, chunk: 0, at, seconds, start });

describe('layAudio', () => {
  it('one piece each, aligned: the whole audio piece under the video', () => {
    expect(layAudio({ pieces: [v('v0', 0, 10)], gaps: [] }, [a('a0', 0, 10)], 0).get(0)).toEqual([{ file: 'a0', from: 0, to: 10, outAt: 0, start: 10 }]);
  });

  it('audio that began earlier is cut at the video start; audio past the video end is cut too', () => {
    expect(layAudio({ pieces: [v('v0', 0, 6)], gaps: [] }, [a('a0', 0, 8)], -1).get(0)).toEqual([{ file: 'a0', from: 1, to: 7, outAt: 0, start: 10 }]);
  });

  it('audio that began later starts later in the output (the list says so through its offset)', () => {
    const entries = layAudio({ pieces: [v('v0', 0, 6)], gaps: [] }, [a('a0', 0, 5)], 1).get(0)!;
    expect(entries).toEqual([{ file: 'a0', from: 0, to: 5, outAt: 1, start: 10 }]);
    expect(audioConcat(entries).offset).toBe(1);
  });

  it('an audio-only gap stays a hole of its length: the next piece plays where it belongs', () => {
    const gaps: RecordingGap[] = [{ at_s: 4, lost_s: 3, track: 'audio:en' }]; // ignored: only the video's gaps move the timeline
    const entries = layAudio({ pieces: [v('v0', 0, 12)], gaps }, [a('a0', 0, 4), a('a1', 7, 5, 20)], 0).get(0)!;
    expect(entries).toEqual([
      { file: 'a0', from: 0, to: 4, outAt: 0, start: 10 },
      { file: 'a1', from: 0, to: 5, outAt: 7, start: 20 },
    ]);
    expect(audioConcat(entries).list).toBe(
      ["ffconcat version 1.0", "file 'a0'", 'outpoint 14.000000', 'duration 7.000000', "file 'a1'", 'outpoint 25.000000', 'duration 5.000000', ''].join('\n'),
    );
  });

  it('a video-only gap cuts the audio heard meanwhile, so the audio after it stays in step', () => {
    // The video lost 3 s at output second 4 (stream 4-7); the audio has all of it.
    const out = layAudio({ pieces: [v('v0', 0, 4), v('v1', 7, 5)], gaps: [{ at_s: 4, lost_s: 3 }] }, [a('a0', 0, 12)], 0).get(0)!;
    expect(out).toEqual([
      { file: 'a0', from: 0, to: 4, outAt: 0, start: 10 },
      { file: 'a0', from: 7, to: 12, outAt: 4, start: 10 },
    ]);
    expect(audioConcat(out).list).toContain("file 'a0'\ninpoint 17.000000\noutpoint 22.000000");
  });

  it('a gap on both tracks: each side drops it, and they stay together', () => {
    const out = layAudio({ pieces: [v('v0', 0, 4), v('v1', 7, 5)], gaps: [{ at_s: 4, lost_s: 3 }] }, [a('a0', 0, 4), a('a1', 7, 5, 30)], 0).get(0)!;
    expect(out.map((e) => [e.file, e.from, e.to, e.outAt])).toEqual([
      ['a0', 0, 4, 0],
      ['a1', 0, 5, 4],
    ]);
  });

  it('split parts: each part gets the audio of its own span, from its own zero', () => {
    const out = layAudio({ pieces: [v('v0', 0, 3, 0), v('v1', 3, 3, 1), v('v2', 6, 2, 2)], gaps: [] }, [a('a0', 0, 8)], 0);
    expect([...out.entries()].map(([k, e]) => [k, e.map((x) => [x.from, x.to, x.outAt])])).toEqual([
      [0, [[0, 3, 0]]],
      [1, [[3, 6, 0]]],
      [2, [[6, 8, 0]]],
    ]);
  });

  it('a piece whose timestamps are unknown (fMP4) is used whole, placed by its duration', () => {
    const { list } = audioConcat(layAudio({ pieces: [v('v0', 0, 5)], gaps: [] }, [a('a0', 0, 5, null)], 0).get(0)!);
    expect(list).toBe("ffconcat version 1.0\nfile 'a0'\nduration 5.000000\n");
  });
});

describe('placeCues', () => {
  it('cues after a video gap move up with the video; cues inside it are dropped; one across it is cut', () => {
    const out = placeCues({ pieces: [v('v0', 0, 4), v('v1', 7, 5)], gaps: [{ at_s: 4, lost_s: 3 }] }, [
      { start: 1, end: 2, text: 'before' },
      { start: 5, end: 6, text: 'lost' },
      { start: 3.5, end: 7.5, text: 'across' },
      { start: 8, end: 9, text: 'after' },
    ]).get(0)!;
    expect(out).toEqual([
      { start: 1, end: 2, text: 'before' },
      { start: 3.5, end: 4, text: 'across' },
      { start: 4, end: 4.5, text: 'across' },
      { start: 5, end: 6, text: 'after' },
    ]);
  });

  it('each split part gets its own cues from its own zero; an audio track gap does not move them', () => {
    const out = placeCues({ pieces: [v('v0', 0, 3, 0), v('v1', 3, 3, 1)], gaps: [{ at_s: 1, lost_s: 2, track: 'audio:en' }] }, [
      { start: 2.5, end: 3.5, text: 'a' },
      { start: 4, end: 5, text: 'b' },
    ]);
    expect(out.get(0)).toEqual([{ start: 2.5, end: 3, text: 'a' }]);
    expect(out.get(1)).toEqual([
      { start: 0, end: 0.5, text: 'a' },
      { start: 1, end: 2, text: 'b' },
    ]);
  });
});
