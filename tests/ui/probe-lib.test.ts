import { describe, expect, it } from 'vitest';
import type { ProbeResult, ProbeVariant } from '../../addon/probe/model.js';
import { probeFacts, probeVerdict, qualityLabel, trackLabel, variantChoices, variantLabel } from '../../ui/src/lib/probe.js';

const variant = (height: number | null, bandwidth: number, estimated: number | null): ProbeVariant => ({ height, width: null, bandwidth, codecs: null, url: null, estimated_bytes: estimated, quality: height ? `${height}p@${bandwidth}` : null });
const result = (over: Partial<ProbeResult>): ProbeResult => ({ kind: 'hls', url: 'https://x/m.m3u8', variants: [], audio: [], subtitles: [], duration_s: null, estimated_bytes: null, live: false, drm: false, container: null, note: null, title: 't', title_from: 'url', content_type: null, ...over });

describe('the add form\'s words for a probed stream', () => {
  it.each<[ProbeVariant, boolean, string]>([
    [variant(1080, 5_200_000, 2_100_000_000), false, '1080p · 5.2 Mb/s · ~2.1 GB'],
    [variant(720, 2_500_000, null), false, '720p · 2.5 Mb/s'],
    [variant(360, 800_000, 300_000_000), true, '360p · 800 kb/s · live'],
    [variant(2160, 16_000_000, 6_000_000_000), false, '2160p · 16 Mb/s · ~6.0 GB'],
  ])('variant %#', (v, live, label) => {
    expect(variantLabel(v, live)).toBe(label);
  });

  it('lists only variants with a height as exact choices', () => {
    expect(variantChoices(result({ variants: [variant(720, 2_500_000, null), variant(null, 64_000, null)] }))).toEqual([{ value: '720p@2500000', label: '720p · 2.5 Mb/s' }]);
  });

  it('a direct file: container, type and size', () => {
    expect(probeFacts(result({ kind: 'direct', container: 'mp4', content_type: 'video/mp4', estimated_bytes: 1_234_000_000 }))).toBe('MP4 file · video/mp4 · 1.2 GB');
    expect(probeFacts(result({ kind: 'direct', estimated_bytes: null }))).toBe('File · size unknown');
  });

  it.each<[Parameters<typeof probeVerdict>[0], 'block' | 'confirm' | 'warn' | null]>([
    [{ code: 'origin_status', message: 'cdn answered HTTP 404: nothing there (the link may have expired)' }, 'block'],
    [{ code: 'origin_status', message: 'cdn answered HTTP 410: the link has expired' }, 'block'],
    [{ code: 'not_media', message: 'the URL returned text/html, not a playlist' }, 'block'],
    [{ code: 'origin_status', message: 'cdn answered HTTP 403: it refused' }, 'confirm'],
    [{ code: 'origin_status', message: 'cdn answered HTTP 503: the server is having trouble' }, 'warn'],
    [{ code: 'origin_unreachable', message: 'cannot reach cdn' }, 'warn'],
    [{ code: 'origin_timeout', message: 'cdn did not answer in time' }, 'warn'],
    [{ code: 'target_forbidden', message: 'refused to fetch http://10.0.0.1/a.m3u8: a private address' }, 'block'],
    [{ result: result({ drm: true, note: 'FairPlay DRM' }) }, 'block'],
    [{ result: result({ live: true }) }, null],
  ])('verdict %#', (outcome, severity) => {
    expect(probeVerdict(outcome)?.severity ?? null).toBe(severity);
  });

  it('names tracks and exact qualities for people', () => {
    expect(trackLabel({ language: 'en', name: 'English', url: null })).toBe('English (en)');
    expect(trackLabel({ language: 'de', name: 'de', url: null })).toBe('de');
    expect(trackLabel({ language: null, name: 'Commentary', url: null })).toBe('Commentary');
    expect(qualityLabel('180p@386324')).toBe('180p · 386 kb/s');
    expect(qualityLabel('720p')).toBe('720p');
  });
});
