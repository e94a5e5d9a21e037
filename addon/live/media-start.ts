/**
 * Where a recorded piece starts on the encoder's clock: the first presentation time of an
 * MPEG-TS file (its PES headers) or the first decode time of a fragmented MP4 one (tfdt). Renditions of one stream share that clock (RFC 8216
 * 6.2.4: matching content has matching timestamps), so the difference between the first piece
 * of the video and of a separate audio track says how to line them up, to the frame, without
 * trusting sequence numbers (6.3.4 forbids syncing renditions by them). Pure.
 */

const PACKET = 188;
/** Enough PES starts to see past a few reordered (B-)frames. */
const PES_SAMPLE = 16;

/** Seconds (90 kHz PTS / 90000) of the earliest PTS among the first PES packets; null when none. */
export function firstPtsSeconds(buf: Uint8Array): number | null {
  let off = 0;
  while (off + PACKET < buf.length && !(buf[off] === 0x47 && buf[off + PACKET] === 0x47)) off++;
  let min: number | null = null;
  let seen = 0;
  for (; off + PACKET <= buf.length && buf[off] === 0x47; off += PACKET) {
    if ((buf[off + 1]! & 0x40) === 0) continue; // not the start of a PES
    const adaptation = (buf[off + 3]! >> 4) & 3;
    if (adaptation === 2 || adaptation === 0) continue; // no payload
    let p = off + 4;
    if (adaptation === 3) p += 1 + buf[p]!;
    if (p + 14 > off + PACKET) continue;
    if (buf[p] !== 0 || buf[p + 1] !== 0 || buf[p + 2] !== 1) continue; // a table (PAT, PMT), not a PES
    const streamId = buf[p + 3]!;
    // Audio (0xC0-0xDF), video (0xE0-0xEF) and private stream 1 (AC-3 and friends).
    if (!((streamId >= 0xc0 && streamId <= 0xef) || streamId === 0xbd)) continue;
    if ((buf[p + 7]! & 0x80) === 0) continue; // no PTS
    const b = p + 9;
    const pts = ((buf[b]! >> 1) & 7) * 2 ** 30 + ((buf[b + 1]! << 7) | (buf[b + 2]! >> 1)) * 2 ** 15 + ((buf[b + 3]! << 7) | (buf[b + 4]! >> 1));
    min = min === null ? pts : Math.min(min, pts);
    if (++seen >= PES_SAMPLE) break;
  }
  return min === null ? null : min / 90000;
}

/** Boxes that hold the boxes we look for. */
const CONTAINERS = new Set(['moov', 'trak', 'mdia', 'moof', 'traf']);

/**
 * Seconds of the first fragment's decode time in a fragmented MP4 piece (its init section first,
 * as the recorder writes it): the first `tfdt` over the first track's `mdhd` timescale. null when
 * either is missing.
 */
export function firstFragmentSeconds(buf: Uint8Array): number | null {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let timescale: number | null = null;
  let decodeTime: number | null = null;
  const walk = (start: number, end: number): void => {
    let off = start;
    while (off + 8 <= end && (timescale === null || decodeTime === null)) {
      let size = view.getUint32(off);
      const type = String.fromCharCode(buf[off + 4]!, buf[off + 5]!, buf[off + 6]!, buf[off + 7]!);
      let header = 8;
      if (size === 1) {
        if (off + 16 > end) return;
        size = Number(view.getBigUint64(off + 8));
        header = 16;
      } else if (size === 0) {
        size = end - off;
      }
      if (size < header) return;
      const body = off + header;
      const boxEnd = Math.min(end, off + size);
      if (CONTAINERS.has(type)) walk(body, boxEnd);
      else if (type === 'mdhd' && timescale === null && body + 4 <= boxEnd) {
        const at = body + (buf[body] === 1 ? 20 : 12);
        if (at + 4 <= boxEnd) timescale = view.getUint32(at);
      } else if (type === 'tfdt' && decodeTime === null && body + 8 <= boxEnd) {
        decodeTime = buf[body] === 1 ? (body + 12 <= boxEnd ? Number(view.getBigUint64(body + 4)) : null) : view.getUint32(body + 4);
      }
      off += size;
    }
  };
  walk(0, buf.length);
  return timescale && decodeTime !== null ? decodeTime / timescale : null;
}
