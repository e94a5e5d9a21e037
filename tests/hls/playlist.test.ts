import { describe, expect, it } from 'vitest';
import { ivFromSequence, ivFromWords, parsePlaylist, pickAudio, pickVariant, type MasterPlaylist, type MediaPlaylist } from '../../addon/hls/playlist.js';
import { planParts } from '../../addon/hls/parts.js';

const media = (body: string, url = 'https://cdn.example/path/to/index.m3u8'): MediaPlaylist => {
  const p = parsePlaylist(`#EXTM3U\n#EXT-X-VERSION:4\n#EXT-X-TARGETDURATION:4\n${body}`, url);
  if (p.kind !== 'media') throw new Error('expected media');
  return p;
};

describe('parsePlaylist: media playlists', () => {
  it('resolves segment URIs against the final URL', () => {
    const p = media('#EXTINF:4,\nseg0.ts\n#EXTINF:4,\n../other/seg1.ts\n#EXTINF:4,\n/abs/seg2.ts\n#EXTINF:4,\nhttps://other.example/seg3.ts\n#EXT-X-ENDLIST\n');
    expect(p.segments.map((s) => s.uri)).toEqual([
      'https://cdn.example/path/to/seg0.ts',
      'https://cdn.example/path/other/seg1.ts',
      'https://cdn.example/abs/seg2.ts',
      'https://other.example/seg3.ts',
    ]);
    expect(p.endList).toBe(true);
    expect(p.totalDuration).toBe(16);
  });

  it('turns an explicit IV into 16 big-endian bytes (not the Uint32Array the parser returns)', () => {
    const p = media('#EXT-X-KEY:METHOD=AES-128,URI="k.bin",IV=0x000102030405060708090a0b0c0d0e0f\n#EXTINF:4,\ns.ts\n#EXT-X-ENDLIST\n');
    expect(p.segments[0]!.key!.iv.toString('hex')).toBe('000102030405060708090a0b0c0d0e0f');
    expect(p.segments[0]!.key!.uri).toBe('https://cdn.example/path/to/k.bin');
  });

  it('left-pads a short IV instead of crashing the parser', () => {
    const p = media('#EXT-X-KEY:METHOD=AES-128,URI="k",IV=0x1\n#EXTINF:4,\ns.ts\n#EXT-X-ENDLIST\n');
    expect(p.segments[0]!.key!.iv.toString('hex')).toBe('00000000000000000000000000000001');
  });

  it('derives the IV from the media sequence number when the tag has none', () => {
    const p = media('#EXT-X-MEDIA-SEQUENCE:7\n#EXT-X-KEY:METHOD=AES-128,URI="k"\n#EXTINF:4,\na.ts\n#EXTINF:4,\nb.ts\n#EXT-X-ENDLIST\n');
    expect(p.segments.map((s) => s.sequence)).toEqual([7, 8]);
    expect(p.segments[1]!.key!.iv.toString('hex')).toBe('00000000000000000000000000000008');
  });

  it('follows key rotation and METHOD=NONE', () => {
    const p = media(
      '#EXT-X-KEY:METHOD=AES-128,URI="k1"\n#EXTINF:4,\na.ts\n#EXT-X-KEY:METHOD=NONE\n#EXTINF:4,\nb.ts\n#EXT-X-KEY:METHOD=AES-128,URI="k2"\n#EXTINF:4,\nc.ts\n#EXT-X-ENDLIST\n',
    );
    expect(p.segments.map((s) => s.key?.uri.split('/').pop() ?? null)).toEqual(['k1', null, 'k2']);
  });

  it('computes implicit byte-range offsets', () => {
    const p = media('#EXTINF:4,\n#EXT-X-BYTERANGE:100@0\nall.ts\n#EXTINF:4,\n#EXT-X-BYTERANGE:200\nall.ts\n#EXTINF:4,\n#EXT-X-BYTERANGE:50\nall.ts\n#EXT-X-ENDLIST\n');
    expect(p.segments.map((s) => s.byteRange)).toEqual([
      { offset: 0, length: 100 },
      { offset: 100, length: 200 },
      { offset: 300, length: 50 },
    ]);
  });

  it('carries EXT-X-MAP and counts discontinuity periods', () => {
    const p = media('#EXT-X-MAP:URI="init.mp4"\n#EXTINF:4,\na.m4s\n#EXTINF:4,\nb.m4s\n#EXT-X-DISCONTINUITY\n#EXT-X-MAP:URI="init2.mp4"\n#EXTINF:4,\nc.m4s\n#EXT-X-ENDLIST\n');
    expect(p.segments.map((s) => [s.period, s.init?.uri.split('/').pop()])).toEqual([
      [0, 'init.mp4'],
      [0, 'init.mp4'],
      [1, 'init2.mp4'],
    ]);
    expect(planParts(p.segments).map((x) => [x.first, x.last])).toEqual([
      [0, 1],
      [2, 2],
    ]);
  });

  it('reports a missing ENDLIST', () => {
    expect(media('#EXTINF:4,\na.ts\n').endList).toBe(false);
  });

  it.each([
    ['FairPlay', '#EXT-X-KEY:METHOD=SAMPLE-AES,URI="skd://x",KEYFORMAT="com.apple.streamingkeydelivery"', /FairPlay DRM/],
    ['PlayReady', '#EXT-X-KEY:METHOD=SAMPLE-AES,URI="data:x",KEYFORMAT="com.microsoft.playready"', /PlayReady DRM/],
    ['Widevine', '#EXT-X-KEY:METHOD=SAMPLE-AES-CTR,URI="data:text/plain;base64,AAAA",KEYFORMAT="urn:uuid:edef8ba9-79d6-4ace-a3c8-27dcd51d21ed",KEYID=0x1', /Widevine DRM/],
    ['plain SAMPLE-AES', '#EXT-X-KEY:METHOD=SAMPLE-AES,URI="k"', /SAMPLE-AES/],
  ])('refuses %s with a clear message', (_name, tag, message) => {
    expect(() => media(`${tag}\n#EXTINF:4,\na.ts\n#EXT-X-ENDLIST\n`)).toThrow(message);
  });

  it('refuses something that is not a playlist', () => {
    expect(() => parsePlaylist('<html>Forbidden</html>', 'https://x/')).toThrow(/not an HLS playlist/);
  });
});

describe('parsePlaylist: master playlists', () => {
  const text = [
    '#EXTM3U',
    '#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="aud",NAME="English",LANGUAGE="en",DEFAULT=YES,AUTOSELECT=YES,URI="audio/en.m3u8"',
    '#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="aud",NAME="Português",LANGUAGE="pt",DEFAULT=NO,URI="audio/pt.m3u8"',
    '#EXT-X-STREAM-INF:BANDWIDTH=300000,RESOLUTION=426x240,AUDIO="aud"',
    'v240/index.m3u8',
    '#EXT-X-STREAM-INF:BANDWIDTH=2500000,RESOLUTION=1280x720,AUDIO="aud"',
    'v720/index.m3u8',
    '#EXT-X-STREAM-INF:BANDWIDTH=5000000,RESOLUTION=1920x1080',
    'v1080/index.m3u8',
    '',
  ].join('\n');
  const master = parsePlaylist(text, 'https://cdn.example/m/master.m3u8') as MasterPlaylist;

  it('lists variants and audio renditions with absolute URIs', () => {
    expect(master.kind).toBe('master');
    expect(master.variants.map((v) => [v.height, v.bandwidth, v.uri])).toEqual([
      [240, 300000, 'https://cdn.example/m/v240/index.m3u8'],
      [720, 2500000, 'https://cdn.example/m/v720/index.m3u8'],
      [1080, 5000000, 'https://cdn.example/m/v1080/index.m3u8'],
    ]);
    expect(master.audio.find((a) => a.isDefault)?.uri).toBe('https://cdn.example/m/audio/en.m3u8');
  });

  it.each([
    ['best', 1080],
    ['worst', 240],
    ['720p', 720],
    ['1000p', 720],
    ['1080', 1080],
    ['144p', 240],
  ])('quality %s picks %ip', (quality, height) => {
    expect(pickVariant(master.variants, quality).height).toBe(height);
  });

  it('adds the default audio rendition only for variants that reference an audio group', () => {
    expect(pickAudio(master, pickVariant(master.variants, '720p'))?.name).toBe('English');
    expect(pickAudio(master, pickVariant(master.variants, 'best'))).toBeNull();
  });
});

describe('IV helpers', () => {
  it('converts words and sequence numbers', () => {
    expect(ivFromWords(new Uint32Array([0x01020304, 0, 0, 0xffffffff])).toString('hex')).toBe('010203040000000000000000ffffffff');
    expect(ivFromSequence(2 ** 40 + 5).toString('hex')).toBe('00000000000000000000010000000005');
  });
});
