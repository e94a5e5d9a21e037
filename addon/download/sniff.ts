/**
 * What a body really is, from its first bytes: servers lie in Content-Type and some disguise
 * segments (an image header in front of a TS stream). Pure.
 */
export type MediaKind = 'ts' | 'mp4' | 'mkv' | 'aac' | 'playlist' | 'text' | 'unknown';

export interface Sniffed {
  kind: MediaKind;
  /** Bytes to drop before the media starts (a disguise prefix). */
  skip: number;
}

const TS_PACKET = 188;
const MP4_BOXES = new Set(['ftyp', 'styp', 'moof', 'sidx', 'moov', 'emsg', 'prft', 'free', 'mdat']);

function tsSyncAt(buf: Buffer, offset: number): boolean {
  let checked = 0;
  for (let p = offset; p < buf.length && checked < 3; p += TS_PACKET, checked++) {
    if (buf[p] !== 0x47) return false;
  }
  return checked > 0 && (checked >= 3 || offset + checked * TS_PACKET >= buf.length);
}

export function sniff(head: Buffer): Sniffed {
  if (head.length === 0) return { kind: 'unknown', skip: 0 };
  if (tsSyncAt(head, 0)) return { kind: 'ts', skip: 0 };
  if (head.length >= 8 && MP4_BOXES.has(head.toString('latin1', 4, 8))) return { kind: 'mp4', skip: 0 };
  if (head.length >= 4 && head.readUInt32BE(0) === 0x1a45dfa3) return { kind: 'mkv', skip: 0 };
  if (head.toString('latin1', 0, 3) === 'ID3' || (head[0] === 0xff && ((head[1] ?? 0) & 0xf6) === 0xf0)) {
    return { kind: 'aac', skip: 0 };
  }
  const text = head.toString('utf8', 0, Math.min(head.length, 64)).replace(/^\uFEFF/, '').trimStart();
  if (text.startsWith('#EXTM3U')) return { kind: 'playlist', skip: 0 };
  // A TS stream behind a disguise (PNG/JPEG/GIF header): find three sync bytes in a row.
  const limit = Math.min(head.length - 2 * TS_PACKET, 64 * 1024);
  for (let i = 1; i < limit; i++) {
    if (head[i] === 0x47 && tsSyncAt(head, i)) return { kind: 'ts', skip: i };
  }
  if (/^(<|\{|\[)/.test(text) || /^[\x09\x0a\x0d\x20-\x7e]+$/.test(text)) return { kind: 'text', skip: 0 };
  return { kind: 'unknown', skip: 0 };
}
