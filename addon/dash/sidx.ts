import { AppError } from '../errors.js';

/**
 * The Segment Index box (ISO/IEC 14496-12 8.16.3) that a DASH SegmentBase@indexRange points at:
 * the byte range and duration of every subsegment of a single-file representation. Pure.
 */
export interface SidxReference {
  /** Absolute byte offset in the file. */
  offset: number;
  length: number;
  /** Seconds. */
  duration: number;
}

/**
 * `box` is the fetched indexRange; `boxOffset` its first byte in the file. Offsets in a sidx
 * count from the first byte after the box (the anchor point) plus `first_offset`.
 */
export function parseSidx(box: Buffer, boxOffset: number): SidxReference[] {
  let off = 0;
  // The range may start with other boxes (some packagers include styp); find the sidx.
  for (;;) {
    if (off + 8 > box.length) throw new AppError('bad_sidx', 'the SegmentBase index range holds no sidx box');
    const size = box.readUInt32BE(off);
    if (box.toString('latin1', off + 4, off + 8) === 'sidx') break;
    if (size < 8) throw new AppError('bad_sidx', 'the SegmentBase index range is not a box sequence');
    off += size;
  }
  const size = box.readUInt32BE(off);
  if (size > box.length - off) throw new AppError('bad_sidx', `the sidx box is ${size} bytes but the index range has ${box.length - off}`);
  const version = box[off + 8]!;
  let p = off + 12 + 4; // full box header, reference_ID
  const timescale = box.readUInt32BE(p);
  p += 4;
  let firstOffset: number;
  if (version === 0) {
    firstOffset = box.readUInt32BE(p + 4);
    p += 8;
  } else {
    firstOffset = Number(box.readBigUInt64BE(p + 8));
    p += 16;
  }
  p += 2; // reserved
  const count = box.readUInt16BE(p);
  p += 2;
  if (timescale === 0) throw new AppError('bad_sidx', 'the sidx box has a zero timescale');
  let offset = boxOffset + off + size + firstOffset;
  const refs: SidxReference[] = [];
  for (let i = 0; i < count; i++, p += 12) {
    const word = box.readUInt32BE(p);
    if (word & 0x80000000) {
      throw new AppError('unsupported_dash', 'this MPD uses a nested segment index (sidx pointing at sidx), which is not supported', { httpStatus: 422 });
    }
    const length = word & 0x7fffffff;
    refs.push({ offset, length, duration: box.readUInt32BE(p + 4) / timescale });
    offset += length;
  }
  return refs;
}
