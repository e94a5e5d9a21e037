/**
 * The first presentation time of an MPEG-TS file, read from its PES headers: where a recorded
 * piece starts on the encoder's clock. Renditions of one stream share that clock (RFC 8216
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
