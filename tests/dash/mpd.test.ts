import { describe, expect, it } from 'vitest';
import { assertDownloadable, looksLikeMpd, parseMpd } from '../../addon/dash/mpd.js';
import { describeDash } from '../../addon/dash/probe.js';
import { parseSidx } from '../../addon/dash/sidx.js';

const MPD = (body: string, attrs = 'type="static" mediaPresentationDuration="PT10S"'): string =>
  `<?xml version="1.0"?>\n<MPD xmlns="urn:mpeg:dash:schema:mpd:2011" ${attrs} minBufferTime="PT2S"><BaseURL>https://cdn.example/root/</BaseURL><Period id="1">${body}</Period></MPD>`;

const VIDEO = `<AdaptationSet contentType="video" mimeType="video/mp4"><BaseURL>video/</BaseURL>
  <SegmentTemplate timescale="1000" duration="2000" initialization="$RepresentationID$/init.mp4" media="$RepresentationID$/$Number%03d$.m4s" startNumber="5"/>
  <Representation id="v1080" bandwidth="5000000" width="1920" height="1080" codecs="avc1.640028"/>
  <Representation id="v720" bandwidth="3000000" width="1280" height="720" codecs="avc1.64001f"/>
  <Representation id="v480" bandwidth="1000000" width="854" height="480" codecs="avc1.64001e"/>
</AdaptationSet>`;
const AUDIO = `<AdaptationSet contentType="audio" mimeType="audio/mp4" lang="pt-BR" label="Português"><Role schemeIdUri="urn:mpeg:dash:role:2011" value="main"/>
  <SegmentTemplate timescale="1000" duration="2000" initialization="a/$RepresentationID$-init.mp4" media="a/$RepresentationID$-$Number$.m4s"/>
  <Representation id="a-pt-128" bandwidth="128000" codecs="mp4a.40.2"/><Representation id="a-pt-64" bandwidth="64000" codecs="mp4a.40.2"/>
</AdaptationSet>
<AdaptationSet contentType="audio" mimeType="audio/mp4" lang="en">
  <SegmentTemplate timescale="1000" duration="2000" initialization="a/$RepresentationID$-init.mp4" media="a/$RepresentationID$-$Number$.m4s"/>
  <Representation id="a-en" bandwidth="96000" codecs="mp4a.40.2"/>
</AdaptationSet>
<AdaptationSet contentType="text" mimeType="text/vtt" lang="es"><Role schemeIdUri="urn:mpeg:dash:role:2011" value="forced-subtitle"/><Representation id="t-es" bandwidth="100"><BaseURL>subs/es.vtt</BaseURL></Representation></AdaptationSet>`;

describe('parseMpd', () => {
  it('SegmentTemplate $Number$ with startNumber and width, BaseURL at MPD and AdaptationSet level', () => {
    const m = parseMpd(MPD(VIDEO + AUDIO), 'https://cdn.example/manifest.mpd');
    const v = m.video.find((r) => r.id === 'v720')!;
    expect(v.segments.map((s) => s.uri)).toEqual([5, 6, 7, 8, 9].map((n) => `https://cdn.example/root/video/v720/${String(n).padStart(3, '0')}.m4s`));
    expect(v.segments[0]!.init).toEqual({ uri: 'https://cdn.example/root/video/v720/init.mp4', byteRange: null });
    expect(m.audio.map((g) => [g.language, g.label, g.isDefault, g.representations.length])).toEqual([
      ['pt-BR', 'Português', true, 2],
      ['en', 'en', false, 1],
    ]);
    expect(m.subtitles.map((s) => [s.language, s.forced, s.segments.map((x) => x.uri)])).toEqual([['es', true, ['https://cdn.example/root/subs/es.vtt']]]);
    expect(m.duration).toBe(10);
  });

  it('SegmentList with media ranges and SegmentBase with indexRange', () => {
    const m = parseMpd(
      MPD(`<AdaptationSet mimeType="video/mp4"><Representation id="l" bandwidth="1" width="1" height="240"><BaseURL>one.mp4</BaseURL>
        <SegmentList timescale="10" duration="50"><Initialization sourceURL="one.mp4" range="0-99"/><SegmentURL mediaRange="100-199"/><SegmentURL mediaRange="200-349"/></SegmentList></Representation>
        <Representation id="b" bandwidth="2" width="2" height="360"><BaseURL>two.mp4</BaseURL><SegmentBase indexRange="900-999"><Initialization range="0-899"/></SegmentBase></Representation></AdaptationSet>`),
      'https://cdn.example/m.mpd',
    );
    const list = m.video.find((r) => r.id === 'l')!;
    expect(list.segments.map((s) => s.byteRange)).toEqual([{ offset: 100, length: 100 }, { offset: 200, length: 150 }]);
    expect(list.segments[0]!.init).toEqual({ uri: 'https://cdn.example/root/one.mp4', byteRange: { offset: 0, length: 100 } });
    const base = m.video.find((r) => r.id === 'b')!;
    expect(base.segments).toEqual([]);
    expect(base.sidx).toEqual({ uri: 'https://cdn.example/root/two.mp4', range: { offset: 900, length: 100 }, init: { uri: 'https://cdn.example/root/two.mp4', byteRange: { offset: 0, length: 900 } } });
  });

  it('refuses DRM (even on a Representation), live and non-MPD text clearly', () => {
    const drm = parseMpd(MPD(VIDEO.replace('<Representation id="v480"', '<Representation id="v480"><ContentProtection schemeIdUri="urn:uuid:9a04f079-9840-4286-ab92-e65be0885f95"/></Representation><Representation id="x"')), 'https://h/m.mpd');
    expect(drm.drm).toEqual(['PlayReady']);
    expect(() => assertDownloadable(drm)).toThrow('this stream is encrypted with DRM (PlayReady) and cannot be downloaded');
    const live = parseMpd(MPD(VIDEO, 'type="dynamic" availabilityStartTime="2026-01-01T00:00:00Z"'), 'https://h/m.mpd');
    expect(() => assertDownloadable(live)).toThrow(/live/);
    expect(() => parseMpd('<html>nope</html>', 'https://h/m.mpd')).toThrow(/not a DASH manifest/);
    expect(looksLikeMpd('\uFEFF<?xml version="1.0"?>\n<!-- hi -->\n<MPD type="static">')).toBe(true);
  });

  it('names text sets it cannot turn into subtitles (TTML, stpp/wvtt in MP4) instead of dropping them silently', () => {
    const m = parseMpd(
      MPD(`${VIDEO}<AdaptationSet contentType="text" mimeType="application/mp4" lang="fr"><SegmentTemplate timescale="1000" duration="2000" media="t/$Number$.m4s" initialization="t/init.mp4"/><Representation id="t-fr" codecs="stpp" bandwidth="1"/></AdaptationSet>
        <AdaptationSet mimeType="application/ttml+xml" lang="de"><Representation id="t-de" bandwidth="1"><BaseURL>de.ttml</BaseURL></Representation></AdaptationSet>
        <AdaptationSet contentType="text" mimeType="text/vtt" lang="en"><Representation id="t-en" bandwidth="1"><BaseURL>en.vtt</BaseURL></Representation></AdaptationSet>`),
      'https://h/m.mpd',
    );
    expect(m.unsupportedText).toEqual(['fr', 'de']);
    expect(m.subtitles.map((s) => s.language)).toEqual(['en']);
  });

  it('refuses periods whose representations differ', () => {
    const xml = `<MPD xmlns="urn:mpeg:dash:schema:mpd:2011" type="static" mediaPresentationDuration="PT8S"><BaseURL>https://h/</BaseURL>
      <Period id="a" start="PT0S" duration="PT4S"><AdaptationSet mimeType="video/mp4"><SegmentTemplate timescale="1" duration="2" media="a-$Number$.m4s"/><Representation id="main" bandwidth="1" height="720" width="1280"/></AdaptationSet></Period>
      <Period id="ad" start="PT4S" duration="PT4S"><AdaptationSet mimeType="video/mp4"><SegmentTemplate timescale="1" duration="2" media="ad-$Number$.m4s"/><Representation id="ad" bandwidth="1" height="720" width="1280"/></AdaptationSet></Period></MPD>`;
    const m = parseMpd(xml, 'https://h/m.mpd');
    expect(m.periods).toBe(2);
    expect(() => assertDownloadable(m, [m.video[0]!])).toThrow(/2 periods whose tracks differ/);
  });
});

describe('parseSidx', () => {
  it('turns references into absolute byte ranges after the box, honouring first_offset; refuses nested indexes', () => {
    const box = Buffer.alloc(32 + 2 * 12);
    box.writeUInt32BE(box.length, 0);
    box.write('sidx', 4, 'latin1');
    box.writeUInt32BE(0, 8); // version 0
    box.writeUInt32BE(1, 12); // reference_ID
    box.writeUInt32BE(1000, 16); // timescale
    box.writeUInt32BE(0, 20); // earliest_presentation_time
    box.writeUInt32BE(10, 24); // first_offset
    box.writeUInt16BE(2, 30);
    box.writeUInt32BE(500, 32);
    box.writeUInt32BE(2000, 36);
    box.writeUInt32BE(700, 44);
    box.writeUInt32BE(1500, 48);
    expect(parseSidx(box, 800)).toEqual([
      { offset: 800 + box.length + 10, length: 500, duration: 2 },
      { offset: 800 + box.length + 10 + 500, length: 700, duration: 1.5 },
    ]);
    box.writeUInt32BE((0x80000000 | 500) >>> 0, 32);
    expect(() => parseSidx(box, 0)).toThrow(/nested segment index/);
    expect(() => parseSidx(Buffer.from('garbage!'), 0)).toThrow(/sidx/);
  });
});

describe('describeDash (POST /api/probe for DASH)', () => {
  it('variants highest first, audio and subtitles by language, duration and size estimate', () => {
    const answer = describeDash(parseMpd(MPD(VIDEO + AUDIO), 'https://cdn.example/manifest.mpd'));
    expect(answer).toEqual({
      kind: 'dash',
      url: 'https://cdn.example/manifest.mpd',
      variants: [
        { height: 1080, width: 1920, bandwidth: 5_000_000, codecs: 'avc1.640028', url: null, estimated_bytes: 6_250_000, quality: '1080p@5000000' },
        { height: 720, width: 1280, bandwidth: 3_000_000, codecs: 'avc1.64001f', url: null, estimated_bytes: 3_750_000, quality: '720p@3000000' },
        { height: 480, width: 854, bandwidth: 1_000_000, codecs: 'avc1.64001e', url: null, estimated_bytes: 1_250_000, quality: '480p@1000000' },
      ],
      audio: [
        { language: 'pt-BR', name: 'Português', url: null },
        { language: 'en', name: 'en', url: null },
      ],
      subtitles: [{ language: 'es', name: 'es', forced: true, url: null }],
      duration_s: 10,
      estimated_bytes: Math.round(((5_000_000 + 128_000) * 10) / 8),
      live: false,
      drm: false,
      container: null,
      note: null,
    });
  });
  it('live and DRM are reported, not thrown', () => {
    const live = describeDash(parseMpd(MPD(VIDEO, 'type="dynamic" availabilityStartTime="2026-01-01T00:00:00Z"'), 'https://h/m.mpd'));
    expect([live.live, live.duration_s, live.estimated_bytes]).toEqual([true, null, null]);
    const drm = describeDash(parseMpd(MPD(VIDEO.replace('<SegmentTemplate', '<ContentProtection schemeIdUri="urn:uuid:edef8ba9-79d6-4ace-a3c8-27dcd51d21ed"/><SegmentTemplate')), 'https://h/m.mpd'));
    expect([drm.drm, drm.note]).toEqual([true, 'encrypted with DRM (Widevine) and cannot be downloaded']);
  });
});
