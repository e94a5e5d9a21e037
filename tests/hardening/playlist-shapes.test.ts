import { describe, expect, it } from 'vitest';
import { AppError } from '../../addon/errors.js';
import { parsePlaylist, type MasterPlaylist, type MediaPlaylist, type Playlist } from '../../addon/hls/playlist.js';

/**
 * Real-world playlist shapes (issue 12), written for this test from the shapes public players and
 * CDNs produce (no file copied from anywhere). Table tests for each defect, then a corpus of
 * shapes that must each parse, or fail with a named reason: never a raw TypeError.
 */
const URL = 'https://cdn.example/vod/movie/index.m3u8?token=abc123&exp=99';
const parse = (text: string, url = URL, imports?: Record<string, string>): Playlist => parsePlaylist(text, url, imports ? { imports } : {});
const media = (text: string, url = URL, imports?: Record<string, string>): MediaPlaylist => {
  const p = parse(text, url, imports);
  if (p.kind !== 'media') throw new Error(`expected a media playlist, got ${p.kind}`);
  return p;
};
const head = '#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-TARGETDURATION:14\n';
const codeOf = (fn: () => unknown): string => {
  try {
    fn();
    return 'ok';
  } catch (err) {
    if (err instanceof AppError) return err.code;
    return `raw ${(err as Error).name}: ${(err as Error).message}`;
  }
};

describe('tags with surrounding whitespace are tags everywhere', () => {
  it('an indented EXT-X-KEY is seen: AES keys apply, DRM is refused', () => {
    const p = media(`${head}   #EXT-X-KEY:METHOD=AES-128,URI="key.bin",IV=0x0102\n#EXTINF:4,\na.ts\n#EXT-X-ENDLIST\n`);
    expect(p.segments[0]!.key?.uri).toBe('https://cdn.example/vod/movie/key.bin');
    expect(codeOf(() => parse(`${head}\t#EXT-X-KEY:METHOD=SAMPLE-AES,URI="skd://k",KEYFORMAT="com.apple.streamingkeydelivery"\n#EXTINF:4,\na.ts\n#EXT-X-ENDLIST\n`))).toBe('drm_protected');
    expect(codeOf(() => parse(`${head}  #EXT-X-KEY:METHOD=SAMPLE-AES,URI="k"  \n#EXTINF:4,\na.ts\n#EXT-X-ENDLIST\n`))).toBe('unsupported_encryption');
  });

  it('maps, byte ranges and the media sequence with whitespace around them', () => {
    const p = media(`${head}  #EXT-X-MEDIA-SEQUENCE:40  \n #EXT-X-MAP:URI="init.mp4",BYTERANGE="720@0"\n#EXTINF:4,\n  #EXT-X-BYTERANGE:1000@720 \n  all.mp4  \n#EXTINF:4,\n\t#EXT-X-BYTERANGE:500\nall.mp4\n #EXT-X-ENDLIST \n`);
    expect(p.segments.map((s) => s.sequence)).toEqual([40, 41]);
    expect(p.segments.map((s) => s.byteRange)).toEqual([{ offset: 720, length: 1000 }, { offset: 1720, length: 500 }]);
    expect(p.segments[0]!.init).toEqual({ uri: 'https://cdn.example/vod/movie/init.mp4', byteRange: { offset: 0, length: 720 } });
    expect(p.segments[0]!.uri).toBe('https://cdn.example/vod/movie/all.mp4');
    expect(p.endList).toBe(true);
  });
});

describe('IVs and durations', () => {
  it.each(['IV=[IV]', 'IV=0xZZ', 'IV=12345', 'IV=0x', 'IV=0x000102030405060708090a0b0c0d0e0f00'])('%s is a clear bad_playlist error', (iv) => {
    const text = `${head}#EXT-X-KEY:METHOD=AES-128,URI="k",${iv}\n#EXTINF:4,\na.ts\n#EXT-X-ENDLIST\n`;
    expect(codeOf(() => parse(text))).toBe('bad_playlist');
    expect(() => parse(text)).toThrow(/IV that is not a hexadecimal number/);
  });

  it('`#EXTINF: 11.320,` is 11.32 s and `#EXTINF:0,` is 0 s (not the target duration, not 0.01)', () => {
    const p = media(`${head}#EXTINF: 11.320,\na.ts\n#EXTINF:0,\nb.ts\n#EXTINF:\t2.5 ,title\nc.ts\n#EXT-X-ENDLIST\n`);
    expect(p.segments.map((s) => s.duration)).toEqual([11.32, 0, 2.5]);
    expect(p.totalDuration).toBeCloseTo(13.82, 6);
  });
});

describe('EXT-X-DEFINE', () => {
  it('NAME/VALUE, QUERYPARAM from the playlist URL, IMPORT from the master', () => {
    const master = parse(`#EXTM3U\n#EXT-X-DEFINE:NAME="cdn",VALUE="https://edge.example"\n#EXT-X-DEFINE:QUERYPARAM="token"\n#EXT-X-STREAM-INF:BANDWIDTH=1000000,RESOLUTION=1280x720\n{$cdn}/720/index.m3u8?token={$token}\n`) as MasterPlaylist;
    expect(master.kind).toBe('master');
    expect(master.variants[0]!.uri).toBe('https://edge.example/720/index.m3u8?token=abc123');
    expect(master.variables).toEqual({ cdn: 'https://edge.example', token: 'abc123' });
    const p = media(
      `${head}#EXT-X-DEFINE:IMPORT="cdn"\n#EXT-X-DEFINE:QUERYPARAM="exp"\n#EXT-X-DEFINE:NAME="q",VALUE="hd"\n#EXT-X-KEY:METHOD=AES-128,URI="{$cdn}/keys/{$q}.key"\n#EXTINF:4,\n{$cdn}/seg/{$q}/1.ts?exp={$exp}\n#EXT-X-ENDLIST\n`,
      'https://edge.example/720/index.m3u8?exp=77',
      master.variables,
    );
    expect(p.segments[0]!.uri).toBe('https://edge.example/seg/hd/1.ts?exp=77');
    expect(p.segments[0]!.key!.uri).toBe('https://edge.example/keys/hd.key');
  });

  it.each([
    ['an undefined reference', `${head}#EXTINF:4,\n{$nope}/a.ts\n#EXT-X-ENDLIST\n`, /defines no such variable/],
    ['IMPORT without the master', `${head}#EXT-X-DEFINE:IMPORT="cdn"\n#EXTINF:4,\na.ts\n#EXT-X-ENDLIST\n`, /master playlist defines no such variable/],
    ['QUERYPARAM missing from the URL', `${head}#EXT-X-DEFINE:QUERYPARAM="sig"\n#EXTINF:4,\na.ts\n#EXT-X-ENDLIST\n`, /no such query parameter/],
  ])('%s fails as bad_playlist', (_name, text, message) => {
    expect(codeOf(() => parse(text))).toBe('bad_playlist');
    expect(() => parse(text)).toThrow(message);
  });
});

describe('gaps and I-frame playlists', () => {
  it('EXT-X-GAP marks exactly the declared segments', () => {
    const p = media(`${head}#EXTINF:4,\na.ts\n#EXT-X-GAP\n#EXTINF:4,\nb.ts\n#EXTINF:4,\nc.ts\n#EXT-X-ENDLIST\n`);
    expect(p.segments.map((s) => s.gap === true)).toEqual([false, true, false]);
  });

  it('an I-frame-only media playlist is told apart; a master of only I-frame streams is refused', () => {
    const p = media(`${head}#EXT-X-I-FRAMES-ONLY\n#EXTINF:4,\n#EXT-X-BYTERANGE:1000@0\nmain.ts\n#EXT-X-ENDLIST\n`);
    expect(p.iFramesOnly).toBe(true);
    expect(media(`${head}#EXTINF:4,\na.ts\n#EXT-X-ENDLIST\n`).iFramesOnly).toBe(false);
    const mixed = parse(`#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=900000\nlow.m3u8\n#EXT-X-I-FRAME-STREAM-INF:BANDWIDTH=90000,URI="iframes.m3u8"\n`) as MasterPlaylist;
    expect(mixed.variants.map((v) => v.uri)).toEqual(['https://cdn.example/vod/movie/low.m3u8']);
    expect(mixed.iFrameStreams).toBe(1);
    expect(codeOf(() => parse(`#EXTM3U\n#EXT-X-I-FRAME-STREAM-INF:BANDWIDTH=90000,URI="iframes.m3u8"\n`))).toBe('iframe_only');
  });

  it('more segments than max_playlist_segments are refused', () => {
    const text = `${head}${'#EXTINF:1,\ns.ts\n'.repeat(150)}#EXT-X-ENDLIST\n`;
    expect(() => parsePlaylist(text, URL, { maxSegments: 100 })).toThrow(/150 segments, more than the 100 allowed \(option max_playlist_segments\)/);
    expect(parsePlaylist(text, URL, { maxSegments: 150 }).kind).toBe('media');
  });
});

/** Shapes with what each must give: 'media' / 'master', or the error code. */
const seg = (n: number, ext = 'ts'): string => Array.from({ length: n }, (_, i) => `#EXTINF:4.0,\nseg${i}.${ext}\n`).join('');
const CORPUS: Array<[string, string, string]> = [
  ['minimal VOD', `#EXTM3U\n#EXT-X-TARGETDURATION:4\n${seg(3)}#EXT-X-ENDLIST\n`, 'media'],
  ['CRLF line ends', `#EXTM3U\r\n#EXT-X-TARGETDURATION:4\r\n#EXTINF:4,\r\na.ts\r\n#EXT-X-ENDLIST\r\n`, 'media'],
  ['CR-only line ends', `#EXTM3U\r#EXT-X-TARGETDURATION:4\r#EXTINF:4,\ra.ts\r#EXT-X-ENDLIST\r`, 'media'],
  ['BOM', `\uFEFF#EXTM3U\n#EXTINF:4,\na.ts\n#EXT-X-ENDLIST\n`, 'media'],
  ['leading blank lines', `\n\n#EXTM3U\n#EXTINF:4,\na.ts\n#EXT-X-ENDLIST\n`, 'media'],
  ['indented everything', `  #EXTM3U\n  #EXT-X-TARGETDURATION:4\n  #EXTINF:4,\n  a.ts\n  #EXT-X-ENDLIST\n`, 'media'],
  ['trailing spaces on tags', `#EXTM3U   \n#EXTINF:4,   \na.ts   \n#EXT-X-ENDLIST   \n`, 'media'],
  ['EXTINF with title', `#EXTM3U\n#EXTINF:4.004,Episode part 1\na.ts\n#EXT-X-ENDLIST\n`, 'media'],
  ['EXTINF without comma', `#EXTM3U\n#EXTINF:4\na.ts\n#EXT-X-ENDLIST\n`, 'media'],
  ['EXTINF integer', `#EXTM3U\n#EXTINF:10,\na.ts\n#EXT-X-ENDLIST\n`, 'media'],
  ['EXTINF space after colon', `#EXTM3U\n#EXTINF: 11.320,\na.ts\n#EXT-X-ENDLIST\n`, 'media'],
  ['EXTINF zero', `#EXTM3U\n#EXTINF:0,\na.ts\n#EXT-X-ENDLIST\n`, 'media'],
  ['EXTINF garbage', `#EXTM3U\n#EXT-X-TARGETDURATION:6\n#EXTINF:abc,\na.ts\n#EXT-X-ENDLIST\n`, 'media'],
  ['no ENDLIST (live)', `#EXTM3U\n#EXT-X-TARGETDURATION:4\n#EXT-X-MEDIA-SEQUENCE:1200\n${seg(3)}`, 'media'],
  ['EVENT type', `#EXTM3U\n#EXT-X-PLAYLIST-TYPE:EVENT\n${seg(2)}`, 'media'],
  ['program date time', `#EXTM3U\n#EXT-X-PROGRAM-DATE-TIME:2026-01-01T00:00:00.000Z\n${seg(2)}#EXT-X-ENDLIST\n`, 'media'],
  ['discontinuities', `#EXTM3U\n${seg(2)}#EXT-X-DISCONTINUITY\n${seg(2)}#EXT-X-DISCONTINUITY-SEQUENCE:3\n#EXT-X-ENDLIST\n`, 'media'],
  ['ad markers (CUE)', `#EXTM3U\n#EXT-X-CUE-OUT:30\n${seg(2)}#EXT-X-CUE-IN\n${seg(1)}#EXT-X-ENDLIST\n`, 'media'],
  ['daterange', `#EXTM3U\n#EXT-X-DATERANGE:ID="ad",START-DATE="2026-01-01T00:00:00Z",DURATION=30\n${seg(2)}#EXT-X-ENDLIST\n`, 'media'],
  ['fMP4 with map', `#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-MAP:URI="init.mp4"\n${seg(3, 'm4s')}#EXT-X-ENDLIST\n`, 'media'],
  ['two maps', `#EXTM3U\n#EXT-X-MAP:URI="i1.mp4"\n${seg(1, 'm4s')}#EXT-X-DISCONTINUITY\n#EXT-X-MAP:URI="i2.mp4"\n${seg(1, 'm4s')}#EXT-X-ENDLIST\n`, 'media'],
  ['map with byterange', `#EXTM3U\n#EXT-X-MAP:URI="all.mp4",BYTERANGE="800@0"\n#EXTINF:4,\n#EXT-X-BYTERANGE:5000@800\nall.mp4\n#EXT-X-ENDLIST\n`, 'media'],
  ['implicit byteranges', `#EXTM3U\n#EXTINF:4,\n#EXT-X-BYTERANGE:100@0\nall.ts\n#EXTINF:4,\n#EXT-X-BYTERANGE:100\nall.ts\n#EXT-X-ENDLIST\n`, 'media'],
  ['AES-128 with IV', `#EXTM3U\n#EXT-X-KEY:METHOD=AES-128,URI="k.bin",IV=0x00000000000000000000000000000001\n${seg(2)}#EXT-X-ENDLIST\n`, 'media'],
  ['AES-128 short IV', `#EXTM3U\n#EXT-X-KEY:METHOD=AES-128,URI="k.bin",IV=0x1\n${seg(1)}#EXT-X-ENDLIST\n`, 'media'],
  ['AES-128 uppercase 0X', `#EXTM3U\n#EXT-X-KEY:METHOD=AES-128,URI="k.bin",IV=0XABCDEF\n${seg(1)}#EXT-X-ENDLIST\n`, 'media'],
  ['AES-128 no IV', `#EXTM3U\n#EXT-X-MEDIA-SEQUENCE:5\n#EXT-X-KEY:METHOD=AES-128,URI="k.bin"\n${seg(2)}#EXT-X-ENDLIST\n`, 'media'],
  ['key rotation and NONE', `#EXTM3U\n#EXT-X-KEY:METHOD=AES-128,URI="a"\n${seg(1)}#EXT-X-KEY:METHOD=NONE\n${seg(1)}#EXT-X-ENDLIST\n`, 'media'],
  ['indented AES key', `#EXTM3U\n   #EXT-X-KEY:METHOD=AES-128,URI="k"\n${seg(1)}#EXT-X-ENDLIST\n`, 'media'],
  ['bad IV brackets', `#EXTM3U\n#EXT-X-KEY:METHOD=AES-128,URI="k",IV=[IV]\n${seg(1)}#EXT-X-ENDLIST\n`, 'bad_playlist'],
  ['bad IV letters', `#EXTM3U\n#EXT-X-KEY:METHOD=AES-128,URI="k",IV=0xZZ\n${seg(1)}#EXT-X-ENDLIST\n`, 'bad_playlist'],
  ['FairPlay', `#EXTM3U\n#EXT-X-KEY:METHOD=SAMPLE-AES,URI="skd://x",KEYFORMAT="com.apple.streamingkeydelivery",KEYFORMATVERSIONS="1"\n${seg(1)}#EXT-X-ENDLIST\n`, 'drm_protected'],
  ['indented FairPlay', `#EXTM3U\n  #EXT-X-KEY:METHOD=SAMPLE-AES,URI="skd://x",KEYFORMAT="com.apple.streamingkeydelivery"\n${seg(1)}#EXT-X-ENDLIST\n`, 'drm_protected'],
  ['Widevine session key', `#EXTM3U\n#EXT-X-SESSION-KEY:METHOD=SAMPLE-AES-CTR,URI="data:text/plain;base64,AA==",KEYFORMAT="urn:uuid:edef8ba9-79d6-4ace-a3c8-27dcd51d21ed"\n#EXT-X-STREAM-INF:BANDWIDTH=1\nv.m3u8\n`, 'drm_protected'],
  ['PlayReady', `#EXTM3U\n#EXT-X-KEY:METHOD=SAMPLE-AES,URI="data:x",KEYFORMAT="com.microsoft.playready"\n${seg(1)}#EXT-X-ENDLIST\n`, 'drm_protected'],
  ['plain SAMPLE-AES', `#EXTM3U\n#EXT-X-KEY:METHOD=SAMPLE-AES,URI="k"\n${seg(1)}#EXT-X-ENDLIST\n`, 'unsupported_encryption'],
  ['unknown method', `#EXTM3U\n#EXT-X-KEY:METHOD=AES-256,URI="k"\n${seg(1)}#EXT-X-ENDLIST\n`, 'unsupported_encryption'],
  ['gap segments', `#EXTM3U\n${seg(1)}#EXT-X-GAP\n${seg(1)}#EXT-X-ENDLIST\n`, 'media'],
  ['I-frames only', `#EXTM3U\n#EXT-X-I-FRAMES-ONLY\n#EXTINF:4,\n#EXT-X-BYTERANGE:376@0\nmain.ts\n#EXT-X-ENDLIST\n`, 'media'],
  ['master basic', `#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=800000,RESOLUTION=640x360\n360.m3u8\n#EXT-X-STREAM-INF:BANDWIDTH=2500000,RESOLUTION=1280x720\n720.m3u8\n`, 'master'],
  ['master with audio groups', `#EXTM3U\n#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="aud",NAME="English",LANGUAGE="en",DEFAULT=YES,AUTOSELECT=YES,URI="en.m3u8"\n#EXT-X-STREAM-INF:BANDWIDTH=1,AUDIO="aud"\nv.m3u8\n`, 'master'],
  ['master with subtitles and CC', `#EXTM3U\n#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID="subs",NAME="English",URI="subs.m3u8"\n#EXT-X-MEDIA:TYPE=CLOSED-CAPTIONS,GROUP-ID="cc",NAME="CC1",INSTREAM-ID="CC1"\n#EXT-X-STREAM-INF:BANDWIDTH=1,SUBTITLES="subs",CLOSED-CAPTIONS="cc"\nv.m3u8\n`, 'master'],
  ['master with I-frame streams', `#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\nv.m3u8\n#EXT-X-I-FRAME-STREAM-INF:BANDWIDTH=1,URI="i.m3u8"\n`, 'master'],
  ['master of only I-frame streams', `#EXTM3U\n#EXT-X-I-FRAME-STREAM-INF:BANDWIDTH=1,URI="i.m3u8"\n`, 'iframe_only'],
  ['master without RESOLUTION', `#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=128000,CODECS="mp4a.40.2"\naudio.m3u8\n`, 'master'],
  ['master with session data', `#EXTM3U\n#EXT-X-SESSION-DATA:DATA-ID="com.example.title",VALUE="Film"\n#EXT-X-STREAM-INF:BANDWIDTH=1\nv.m3u8\n`, 'master'],
  ['master indented stream-inf', `#EXTM3U\n  #EXT-X-STREAM-INF:BANDWIDTH=1  \n  v.m3u8\n`, 'master'],
  ['master with defines', `#EXTM3U\n#EXT-X-DEFINE:NAME="p",VALUE="hd"\n#EXT-X-STREAM-INF:BANDWIDTH=1\n{$p}/v.m3u8\n`, 'master'],
  ['define query param', `#EXTM3U\n#EXT-X-DEFINE:QUERYPARAM="token"\n#EXTINF:4,\na.ts?t={$token}\n#EXT-X-ENDLIST\n`, 'media'],
  ['define undefined use', `#EXTM3U\n#EXTINF:4,\n{$x}.ts\n#EXT-X-ENDLIST\n`, 'bad_playlist'],
  ['define without value', `#EXTM3U\n#EXT-X-DEFINE:NAME="x"\n#EXTINF:4,\na.ts\n#EXT-X-ENDLIST\n`, 'bad_playlist'],
  ['define empty', `#EXTM3U\n#EXT-X-DEFINE:\n#EXTINF:4,\na.ts\n#EXT-X-ENDLIST\n`, 'bad_playlist'],
  ['absolute and protocol-relative URIs', `#EXTM3U\n#EXTINF:4,\nhttps://other.example/a.ts\n#EXTINF:4,\n//third.example/b.ts\n#EXT-X-ENDLIST\n`, 'media'],
  ['URIs with spaces encoded', `#EXTM3U\n#EXTINF:4,\nmy%20segment.ts\n#EXT-X-ENDLIST\n`, 'media'],
  ['unknown tags', `#EXTM3U\n#EXT-X-FOO:BAR=1\n#X-CUSTOM\n${seg(1)}#EXT-X-ENDLIST\n`, 'media'],
  ['comments', `#EXTM3U\n# a comment\n${seg(1)}## another\n#EXT-X-ENDLIST\n`, 'media'],
  ['LL-HLS parts', `#EXTM3U\n#EXT-X-PART-INF:PART-TARGET=1.0\n#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES\n#EXT-X-PART:DURATION=1.0,URI="p0.m4s"\n${seg(1, 'm4s')}#EXT-X-PRELOAD-HINT:TYPE=PART,URI="p1.m4s"\n`, 'media'],
  ['independent segments', `#EXTM3U\n#EXT-X-INDEPENDENT-SEGMENTS\n${seg(2)}#EXT-X-ENDLIST\n`, 'media'],
  ['start tag', `#EXTM3U\n#EXT-X-START:TIME-OFFSET=10\n${seg(2)}#EXT-X-ENDLIST\n`, 'media'],
  ['empty media playlist', `#EXTM3U\n#EXT-X-TARGETDURATION:4\n#EXT-X-ENDLIST\n`, 'media'],
  ['only header', `#EXTM3U`, 'media'],
  ['not a playlist (HTML)', `<!DOCTYPE html><html><body>403</body></html>`, 'not_a_playlist'],
  ['not a playlist (JSON)', `{"error":"expired"}`, 'not_a_playlist'],
  ['not a playlist (empty)', ``, 'not_a_playlist'],
  ['not a playlist (binary)', `\u0000\u0001\u0002GARBAGE`, 'not_a_playlist'],
  ['M3U without EXTM3U', `#EXTINF:-1,Channel\nhttp://x/1.ts\n`, 'not_a_playlist'],
  ['very long URI', `#EXTM3U\n#EXTINF:4,\n${'a'.repeat(8000)}.ts\n#EXT-X-ENDLIST\n`, 'media'],
  ['control characters in title', `#EXTM3U\n#EXTINF:4,ti\u0007tle\u001b\na.ts\n#EXT-X-ENDLIST\n`, 'media'],
  ['unicode URIs', `#EXTM3U\n#EXTINF:4,\nsegmento-ç-ã/áudio.ts\n#EXT-X-ENDLIST\n`, 'media'],
  ['huge media sequence', `#EXTM3U\n#EXT-X-MEDIA-SEQUENCE:4294967295\n#EXT-X-KEY:METHOD=AES-128,URI="k"\n${seg(2)}#EXT-X-ENDLIST\n`, 'media'],
];

describe(`a corpus of ${CORPUS.length} playlist shapes: parse, or fail with a named reason`, () => {
  it('has at least 50 shapes', () => expect(CORPUS.length).toBeGreaterThanOrEqual(50));

  it.each(CORPUS)('%s', (_name, text, expected) => {
    let got: string;
    try {
      const p = parse(text);
      got = p.kind;
      if (p.kind === 'media') {
        for (const s of p.segments) {
          expect(Number.isFinite(s.duration) && s.duration >= 0).toBe(true);
          expect(() => new globalThis.URL(s.uri)).not.toThrow();
          if (s.key) expect(s.key.iv.length).toBe(16);
        }
      }
    } catch (err) {
      // Never a raw TypeError: every failure is an AppError with a code and a readable message.
      expect(err, String(err)).toBeInstanceOf(AppError);
      expect((err as AppError).message.length).toBeGreaterThan(10);
      got = (err as AppError).code;
    }
    expect(got).toBe(expected);
  });
});
