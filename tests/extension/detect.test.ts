import { describe, expect, it } from 'vitest';
import { buildManifest } from '../../extension/manifest.js';
import { captureHeaders, classifyResponse, DIRECT_MIN_BYTES, qualityChoices, upsertEntry, visibleEntries, type Entry, type ObservedResponse, type ProbeSummary } from '../../extension/src/detect.js';

const response = (url: string, type: string, headers: Record<string, string>, extra: Partial<ObservedResponse> = {}): ObservedResponse => ({
  url,
  method: 'GET',
  type,
  statusCode: 200,
  responseHeaders: Object.entries(headers).map(([name, value]) => ({ name, value })),
  ...extra,
});

describe('which requests the extension lists', () => {
  it.each([
    ['HLS by content type, any URL', response('https://cdn.example/play?id=7', 'xmlhttprequest', { 'Content-Type': 'application/vnd.apple.mpegurl' }), 'hls'],
    ['HLS as application/x-mpegURL', response('https://cdn.example/a', 'xmlhttprequest', { 'content-type': 'application/x-mpegURL; charset=utf-8' }), 'hls'],
    ['HLS as audio/mpegurl', response('https://cdn.example/radio', 'media', { 'content-type': 'audio/mpegurl' }), 'hls'],
    ['HLS by extension, mislabelled text/plain', response('https://cdn.example/v/master.m3u8?token=1', 'xmlhttprequest', { 'content-type': 'text/plain' }), 'hls'],
    ['DASH by content type', response('https://cdn.example/manifest', 'xmlhttprequest', { 'content-type': 'application/dash+xml' }), 'dash'],
    ['DASH by extension', response('https://cdn.example/stream.mpd', 'xmlhttprequest', { 'content-type': 'application/octet-stream' }), 'dash'],
    ['a <video> source, 206 with the total size', response('https://cdn.example/film.mp4', 'media', { 'content-type': 'video/mp4', 'content-range': 'bytes 0-1023/52428800' }, { statusCode: 206 }), 'direct'],
    ['a file opened in the tab', response('https://cdn.example/film.mkv', 'main_frame', { 'content-type': 'application/octet-stream', 'content-length': '9000000' }), 'direct'],
    ['a <video> source of unknown size', response('https://cdn.example/clip', 'media', { 'content-type': 'video/webm' }), 'direct'],
  ])('lists %s', (_name, r, kind) => {
    expect(classifyResponse(r)?.kind).toBe(kind);
  });

  it.each([
    ['a TS segment fetched by the player', response('https://cdn.example/seg001.ts', 'xmlhttprequest', { 'content-type': 'video/mp2t', 'content-length': '2000000' })],
    ['an fMP4 segment', response('https://cdn.example/chunk-5.m4s', 'xmlhttprequest', { 'content-type': 'video/iso.segment' })],
    ['an init section', response('https://cdn.example/init.mp4', 'xmlhttprequest', { 'content-type': 'video/mp4', 'content-length': '900' })],
    ['an AES key', response('https://cdn.example/key.bin', 'xmlhttprequest', { 'content-type': 'application/octet-stream' })],
    ['a small preview clip', response('https://cdn.example/preview.mp4', 'media', { 'content-type': 'video/mp4', 'content-length': String(DIRECT_MIN_BYTES - 1) })],
    ['a 403', response('https://cdn.example/master.m3u8', 'xmlhttprequest', { 'content-type': 'application/vnd.apple.mpegurl' }, { statusCode: 403 })],
    ['a HEAD request', response('https://cdn.example/master.m3u8', 'xmlhttprequest', {}, { method: 'HEAD' })],
    ['an image', response('https://cdn.example/poster.jpg', 'image', { 'content-type': 'image/jpeg' })],
    ['a web page called .ts', response('https://site.example/app.ts', 'script', { 'content-type': 'text/javascript' })],
    ['an HTML page at a .mp4 URL', response('https://site.example/watch.mp4', 'main_frame', { 'content-type': 'text/html' })],
  ])('does not list %s', (_name, r) => {
    expect(classifyResponse(r)).toBeNull();
  });
});

describe('which request headers a download repeats', () => {
  const sent = [
    { name: 'Referer', value: 'https://video.example/watch/1' },
    { name: 'Origin', value: 'https://video.example' },
    { name: 'User-Agent', value: 'Mozilla/5.0 Test' },
    { name: 'X-Player-Token', value: 'abc' },
    { name: 'Cookie', value: 'session=s3cret' },
    { name: 'Authorization', value: 'Bearer t0k' },
    { name: 'Accept', value: '*/*' },
    { name: 'Accept-Language', value: 'en' },
    { name: 'Sec-Fetch-Mode', value: 'cors' },
    { name: 'Range', value: 'bytes=0-' },
    { name: 'Host', value: 'cdn.example' },
  ];

  it('keeps Referer, Origin, User-Agent and the player\'s own headers; never cookies unless allowed', () => {
    expect(captureHeaders(sent, { includeCookies: false })).toEqual({
      referer: 'https://video.example/watch/1',
      headers: { Origin: 'https://video.example', 'User-Agent': 'Mozilla/5.0 Test', 'X-Player-Token': 'abc' },
    });
  });

  it('adds Cookie and Authorization when the user ticked "send cookies"', () => {
    expect(captureHeaders(sent, { includeCookies: true }).headers).toMatchObject({ Cookie: 'session=s3cret', Authorization: 'Bearer t0k' });
  });

  it('drops a Referer that is not a web address', () => {
    expect(captureHeaders([{ name: 'referer', value: 'chrome-extension://abc/' }], { includeCookies: false }).referer).toBeNull();
  });
});

function probe(variants: Array<{ height: number; url: string; bytes?: number }>, audio: string[] = []): ProbeSummary {
  return {
    kind: 'hls',
    variants: variants.map((v) => ({ height: v.height, width: null, bandwidth: v.height * 1000, codecs: null, url: v.url, estimated_bytes: v.bytes ?? null })),
    audio: audio.map((url) => ({ language: 'en', name: 'English', url })),
    subtitles: [],
    duration_s: 60,
    estimated_bytes: null,
    live: false,
    drm: false,
    container: null,
    note: null,
  };
}

describe('one entry per stream', () => {
  const seen = (url: string, extra: Partial<Entry> = {}) => ({ url, kind: 'hls' as const, referer: 'https://p.example/', headers: {}, size: null, pageUrl: 'https://p.example/', pageTitle: 'Page', ...extra });

  it('refreshes an entry seen again (a live playlist) instead of adding one; the fragment does not count', () => {
    let { entries, added } = upsertEntry([], seen('https://c.example/live.m3u8'), 1);
    expect(added).toBe(true);
    ({ entries, added } = upsertEntry(entries, seen('https://c.example/live.m3u8#t=5', { headers: { 'X-Token': '2' } }), 2));
    expect(added).toBe(false);
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({ firstSeen: 1, lastSeen: 2, headers: { 'X-Token': '2' } });
  });

  it('collapses the variants and audio a master names into the master, newest first', () => {
    const master = 'https://c.example/master.m3u8';
    let entries: Entry[] = [];
    entries = upsertEntry(entries, seen(master), 1).entries;
    entries = upsertEntry(entries, seen('https://c.example/v720/index.m3u8'), 2).entries;
    entries = upsertEntry(entries, seen('https://c.example/audio/en.m3u8'), 3).entries;
    entries = upsertEntry(entries, seen('https://other.example/film.mp4', { kind: 'direct' }), 4).entries;
    // Before the probe answers, every playlist shows.
    expect(visibleEntries(entries).map((e) => e.url)).toEqual(['https://other.example/film.mp4', 'https://c.example/audio/en.m3u8', 'https://c.example/v720/index.m3u8', master]);
    entries = entries.map((e) =>
      e.url === master ? { ...e, probe: { state: 'done', result: probe([{ height: 720, url: 'https://c.example/v720/index.m3u8' }, { height: 360, url: 'https://c.example/v360/index.m3u8' }], ['https://c.example/audio/en.m3u8']) } } : e,
    );
    expect(visibleEntries(entries).map((e) => e.url)).toEqual(['https://other.example/film.mp4', master]);
  });

  it('offers one quality per height, highest first, with its estimated size', () => {
    const choices = qualityChoices(probe([{ height: 360, url: 'a', bytes: 1_500_000 }, { height: 720, url: 'b', bytes: 12_340_000 }, { height: 720, url: 'c' }, { height: 480, url: 'd' }]));
    expect(choices).toEqual([
      { value: '720p', label: '720p · ~12.3 MB' },
      { value: '480p', label: '480p' },
      { value: '360p', label: '360p · ~1.5 MB' },
    ]);
  });
});

describe('manifests', () => {
  it('asks for the same small permission set in both builds; only Firefox gets the CSP without the https upgrade', () => {
    const chromium = buildManifest('chromium', '1.2.3');
    const firefox = buildManifest('firefox', '1.2.3');
    expect(chromium.permissions).toEqual(['webRequest', 'storage', 'contextMenus', 'activeTab', 'notifications', 'scripting']);
    expect(firefox.permissions).toEqual(chromium.permissions);
    expect(chromium.background).toEqual({ service_worker: 'background.js' });
    expect(firefox.background).toEqual({ scripts: ['background.js'] });
    expect(firefox.content_security_policy).toEqual({ extension_pages: "script-src 'self'" });
    expect(JSON.stringify(firefox)).not.toMatch(/upgrade-insecure-requests/);
    expect(chromium.content_security_policy).toBeUndefined();
  });
});
