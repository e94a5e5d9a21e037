import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildMergeArgs } from '../../addon/hls/merge-args.js';
import { iso6392B, iso6392T, sameLanguage, sidecarTag } from '../../addon/tracks/languages.js';
import { tsStart } from '../../addon/tracks/media-start.js';
import { chooseAudio, chooseSubtitles, parseSubtitleOption } from '../../addon/tracks/selection.js';
import { sidecarNames, writeSubtitles } from '../../addon/tracks/subtitle-files.js';
import { joinVttSegments, parseVtt, splitVttDocuments, toSrt, toWebVtt } from '../../addon/tracks/webvtt.js';
import { newDownloadSchema } from '../../addon/http/validation.js';
import { parseAdd } from '../../addon/notify/mqtt/commands.js';

describe('language codes', () => {
  it.each([
    ['pt-BR', 'por', 'por'],
    ['de', 'deu', 'ger'],
    ['fr-CA', 'fra', 'fre'],
    ['ger', 'deu', 'ger'],
    ['zh-Hans', 'zho', 'chi'],
    ['xx', 'und', 'und'],
    [null, 'und', 'und'],
  ])('%s -> %s (T) / %s (B)', (tag, t, b) => {
    expect(iso6392T(tag)).toBe(t);
    expect(iso6392B(tag)).toBe(b);
  });
  it('sidecar tags keep BCP 47 regions and refuse anything that is not a tag', () => {
    expect([sidecarTag('pt-br'), sidecarTag('EN'), sidecarTag('../etc'), sidecarTag(null)]).toEqual(['pt-BR', 'en', 'und', 'und']);
    expect(sameLanguage('pt', 'por')).toBe(true);
    expect(sameLanguage('pt-BR', 'en')).toBe(false);
  });
});

describe('track choice', () => {
  const audio = [
    { language: 'en', isDefault: false, autoselect: true, name: 'English' },
    { language: 'pt-BR', isDefault: true, autoselect: true, name: 'Português' },
    { language: 'es', isDefault: false, autoselect: false, name: 'Español' },
  ];
  it('default, all, a list in the order asked, language fallback', () => {
    expect(chooseAudio(audio, 'default').tracks.map((a) => a.name)).toEqual(['Português']);
    expect(chooseAudio(audio, 'all').tracks.map((a) => a.name)).toEqual(['English', 'Português', 'Español']);
    expect(chooseAudio(audio, ['es', 'pt']).tracks.map((a) => a.name)).toEqual(['Español', 'Português']);
    expect(chooseAudio(audio, ['pt-PT']).tracks.map((a) => a.name)).toEqual(['Português']);
  });
  it('an audio list that matches nothing keeps the default and says so', () => {
    expect(chooseAudio(audio, ['ja'])).toEqual({ tracks: [audio[1]], matched: false });
  });
  it('subtitles: none, all, list; nothing matched is nothing', () => {
    expect(chooseSubtitles(audio, 'none')).toEqual([]);
    expect(chooseSubtitles(audio, ['ja'])).toEqual([]);
    expect(chooseSubtitles(audio, ['en']).map((a) => a.name)).toEqual(['English']);
  });
  it('MQTT download/add takes the same fields', () => {
    expect(parseAdd(JSON.stringify({ url: 'http://h/a.mpd', audio_languages: 'all', subtitle_languages: ['pt-BR'], subtitles_as: 'sidecar' })).input).toMatchObject({
      audio_languages: 'all',
      subtitle_languages: ['pt-BR'],
      subtitles_as: 'sidecar',
    });
    expect(() => parseAdd(JSON.stringify({ url: 'http://h/a.mpd', subtitles_as: 'burn' }))).toThrow(/subtitles_as/);
  });
  it('the option form', () => {
    expect(parseSubtitleOption('none')).toBe('none');
    expect(parseSubtitleOption(' ALL ')).toBe('all');
    expect(parseSubtitleOption('pt-BR, en')).toEqual(['pt-BR', 'en']);
  });
  it('the shared schema accepts the fields and rejects bad ones', () => {
    expect(newDownloadSchema.parse({ url: 'http://h/a.m3u8', audio_languages: ['pt-BR'], subtitle_languages: 'all', subtitles_as: 'both' })).toMatchObject({ audio_languages: ['pt-BR'] });
    expect(newDownloadSchema.safeParse({ url: 'http://h/a.m3u8', subtitle_languages: 'default' }).success).toBe(false);
    expect(newDownloadSchema.safeParse({ url: 'http://h/a.m3u8', audio_languages: 'none' }).success).toBe(false);
  });
});

describe('WebVTT', () => {
  const seg = (mpegts: number, local: string, cues: string): string => `WEBVTT\nX-TIMESTAMP-MAP=MPEGTS:${mpegts},LOCAL:${local}\n\n${cues}`;
  it('places cues by X-TIMESTAMP-MAP against the video start and drops repeats across segments', () => {
    const a = seg(900_000, '00:00:00.000', '00:00:01.000 --> 00:00:03.000\nOne\n\n00:00:09.500 --> 00:00:10.500 align:start\nAcross\n');
    const b = seg(900_000, '00:00:00.000', '00:00:09.500 --> 00:00:10.500 align:start\nAcross\n\n00:00:11.000 --> 00:00:12.000\nTwo\n');
    // Video starts at 10 s (900000 ticks): LOCAL 0 is the file's 0.
    expect(joinVttSegments([a, b], 10)).toEqual([
      { start: 1, end: 3, text: 'One' },
      { start: 9.5, end: 10.5, text: 'Across' },
      { start: 11, end: 12, text: 'Two' },
    ]);
    // Video starts 1.4 s in (ffmpeg's TS default): MPEGTS 126000 is the file's 0.
    expect(joinVttSegments([seg(126_000 + 90_000, '00:01:40.000', '00:01:41.000 --> 00:01:42.000\nX\n')], 1.4)).toEqual([{ start: 2, end: 3, text: 'X' }]);
  });
  it('handles the 33-bit MPEGTS wrap', () => {
    const wrapped = seg(45_000, '00:00:00.000', '00:00:00.000 --> 00:00:01.000\nAfter wrap\n');
    const start = (2 ** 33 - 90_000) / 90_000; // video starts 1 s before the wrap
    const [cue] = joinVttSegments([wrapped], start);
    expect(cue!.start).toBeCloseTo(1.5, 6);
  });
  it('without a map, times are the file timeline', () => {
    expect(joinVttSegments(['WEBVTT\n\n00:00:02.000 --> 00:00:03.000\nHi\n'], 1.4)).toEqual([{ start: 2, end: 3, text: 'Hi' }]);
  });
  it('splits appended documents, skips NOTE/STYLE blocks and broken cues', () => {
    const docs = splitVttDocuments('WEBVTT\n\nNOTE hi\n\n00:00:01.000 --> 00:00:02.000\nA\n\n\nWEBVTT\n\nSTYLE\n::cue {}\n\n00:00:05.000 --> 00:00:04.000\nbackwards\n\n00:03.000 --> 00:04.000\nB\n');
    expect(docs.length).toBe(2);
    expect(docs.flatMap((d) => parseVtt(d).cues.map((c) => c.text))).toEqual(['A', 'B']);
  });
  it('writes SubRip with SubRip markup and WebVTT as is', () => {
    const cues = [{ start: 3661.5, end: 3662, text: '<v Bob><i>Hi</i> &amp; <c.red>bye</c>\nline two' }];
    expect(toSrt(cues)).toBe('1\n01:01:01,500 --> 01:01:02,000\n<i>Hi</i> & bye\nline two\n');
    expect(toWebVtt(cues)).toBe('WEBVTT\n\n01:01:01.500 --> 01:01:02.000\n<v Bob><i>Hi</i> &amp; <c.red>bye</c>\nline two\n');
  });
  it('a subtitle track without cues is left out and reported (ffmpeg refuses an empty input)', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'm3udl-subs-'));
    try {
      await writeFile(path.join(dir, 'empty.part'), 'WEBVTT\n\n\nWEBVTT\nX-TIMESTAMP-MAP=MPEGTS:0,LOCAL:00:00:00.000\n\n');
      await writeFile(path.join(dir, 'one.part'), 'WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nHi\n');
      await writeFile(path.join(dir, 'video.ts'), Buffer.alloc(0));
      const meta = { kind: 'subtitle' as const, title: null, isDefault: false, forced: false };
      const empty: Array<string | null> = [];
      const files = await writeSubtitles(dir, path.join(dir, 'video.ts'), [
        { ...meta, language: 'fr', files: [path.join(dir, 'empty.part')] },
        { ...meta, language: 'en', files: [path.join(dir, 'one.part')] },
      ], (t) => empty.push(t.language));
      expect(empty).toEqual(['fr']);
      expect(files.map((f) => f.language)).toEqual(['en']);
      expect(await readFile(files[0]!.path, 'utf8')).toBe('1\n00:00:01,000 --> 00:00:02,000\nHi\n');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('sidecar names: language, forced, numbered on a clash', () => {
    const meta = { kind: 'subtitle' as const, title: null, isDefault: false };
    expect(sidecarNames([
      { ...meta, path: 'a', language: 'pt-BR', forced: false },
      { ...meta, path: 'b', language: 'pt-BR', forced: true },
      { ...meta, path: 'c', language: 'pt-BR', forced: false },
      { ...meta, path: 'd', language: null, forced: false },
    ]).map((s) => s.suffix)).toEqual(['.pt-BR.srt', '.pt-BR.forced.srt', '.pt-BR.2.srt', '.und.srt']);
  });
});

describe('merge arguments for tracks', () => {
  it('maps every audio rendition and subtitle with language, title and disposition (MP4)', () => {
    const args = buildMergeArgs({
      main: { path: 'v', concat: false },
      audio: null,
      audioTracks: [
        { input: { path: 'a1', concat: false }, language: 'pt-BR', title: 'Português', isDefault: true },
        { input: { path: 'a2.ffconcat', concat: true }, language: 'en', title: 'English', isDefault: false },
      ],
      subtitles: [{ path: 's1.srt', language: 'pt-BR', title: 'Forçada', isDefault: false, forced: true }],
      container: 'mp4',
      output: 'o',
    });
    expect(args.join(' ')).toBe(
      '-v error -y -i v -i a1 -f concat -safe 0 -i a2.ffconcat -i s1.srt -map 0:v? -map 1:a:0 -map 2:a:0 -map 3:s:0 -c copy -c:s mov_text ' +
        '-metadata:s:a:0 language=por -metadata:s:a:0 handler_name=Português -disposition:a:0 default ' +
        '-metadata:s:a:1 language=eng -metadata:s:a:1 handler_name=English -disposition:a:1 0 ' +
        '-metadata:s:s:0 language=por -metadata:s:s:0 handler_name=Forçada -disposition:s:0 forced ' +
        '-movflags +faststart -f mp4 o',
    );
  });
  it('MKV: SubRip, ISO 639-2/B, titles', () => {
    const args = buildMergeArgs({
      main: { path: 'v', concat: false },
      audio: null,
      audioTracks: [{ input: { path: 'a', concat: false }, language: 'de', title: null, isDefault: true }],
      subtitles: [{ path: 's.srt', language: 'fr', title: 'Français', isDefault: true, forced: true }],
      container: 'mkv',
      output: 'o',
    });
    expect(args.join(' ')).toContain('-c:s srt -metadata:s:a:0 language=ger -disposition:a:0 default -metadata:s:s:0 language=fre -metadata:s:s:0 title=Français -disposition:s:0 default+forced -f matroska o');
  });
});

describe('first timestamp of a TS file', () => {
  it('reads the lowest first PES PTS', () => {
    const packet = (pid: number, pts: number): Buffer => {
      const p = Buffer.alloc(188, 0xff);
      p[0] = 0x47;
      p[1] = 0x40 | (pid >> 8);
      p[2] = pid & 0xff;
      p[3] = 0x10;
      Buffer.from([0, 0, 1, 0xe0, 0, 0, 0x80, 0x80, 5]).copy(p, 4);
      p[13] = 0x21 | (Math.floor(pts / 2 ** 30) << 1);
      p[14] = (pts >> 22) & 0xff;
      p[15] = (((pts >> 15) & 0x7f) << 1) | 1;
      p[16] = (pts >> 7) & 0xff;
      p[17] = ((pts & 0x7f) << 1) | 1;
      return p;
    };
    expect(tsStart(Buffer.concat([packet(256, 133_200), packet(257, 126_000), packet(256, 999_999)]))).toBe(1.4);
  });
});
