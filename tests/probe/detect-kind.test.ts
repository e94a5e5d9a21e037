import { describe, expect, it } from 'vitest';
import { detectProbeKind } from '../../addon/probe/detect-kind.js';

const ts = Buffer.alloc(188 * 3);
for (let i = 0; i < 3; i++) ts[i * 188] = 0x47;
const mp4 = Buffer.concat([Buffer.from([0, 0, 0, 24]), Buffer.from('ftypisom'), Buffer.alloc(12)]);

describe('what a probed URL is, from its first response', () => {
  it.each([
    ['a playlist served as text/plain', 'https://c.example/live', 'text/plain', Buffer.from('#EXTM3U\n#EXT-X-VERSION:3\n'), 'hls'],
    ['a playlist with a BOM at an .mp4 URL', 'https://c.example/x.mp4', 'video/mp4', Buffer.from('\uFEFF#EXTM3U\n'), 'hls'],
    ['DASH by content type', 'https://c.example/manifest', 'application/dash+xml', Buffer.from('<?xml version="1.0"?><MPD>'), 'dash'],
    ['DASH by its root element, mislabelled', 'https://c.example/get?id=1', 'text/xml', Buffer.from('<?xml version="1.0"?>\n<MPD xmlns="urn:mpeg:dash:schema:mpd:2011">'), 'dash'],
    ['DASH by extension', 'https://c.example/a/stream.mpd?token=1', null, Buffer.from('<?xml version="1.0"?>'), 'dash'],
    ['an MP4 served as octet-stream', 'https://c.example/file', 'application/octet-stream', mp4, 'direct'],
    ['a TS file', 'https://c.example/rec.ts', 'video/mp2t', ts, 'direct'],
    ['unknown bytes labelled video/*', 'https://c.example/v', 'video/x-flv', Buffer.from([0x46, 0x4c, 0x56, 0x01, 0x05, 0x00, 0x00, 0x00, 0x09]), 'direct'],
    ['a web page', 'https://site.example/watch', 'text/html', Buffer.from('<!doctype html><title>x</title>'), null],
    ['a JSON error labelled video/mp4', 'https://c.example/v.mp4', 'video/mp4', Buffer.from('{"error":"expired"}'), null],
  ])('%s', (_name, url, contentType, head, expected) => {
    expect(detectProbeKind({ url, contentType, head })).toBe(expected);
  });
});
