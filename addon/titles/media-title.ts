/**
 * A media file's own title tag, MP4 (©nam) or Matroska/WebM (Segment Info Title), from its first
 * bytes plus at most two small reads where the structure says the tag is (an MP4 moov after the
 * media data, a Matroska Info the SeekHead points to). The caller brings the reads: ranged HTTP
 * requests for the probe, positioned file reads for a finished download; without a reader only
 * the first bytes are looked at. Never reads a whole file.
 */
import { findMoov, titleFromMoov, type MoovScan } from './mp4-title.js';
import { MAX_INFO_BYTES, scanMkvAt, scanMkvHead, type MkvScan } from './mkv-title.js';

/** `length` bytes from file offset `offset` (fewer at the end of the file, none when unavailable). */
export type ByteReader = (offset: number, length: number) => Promise<Buffer>;

/** A moov box bigger than this is not fetched for its title (a long film's index can be several MB). */
const MAX_MOOV_BYTES = 4 * 1024 * 1024;
/** A moov of unknown size: this much is asked for first. */
const MOOV_GUESS_BYTES = 512 * 1024;
/** Matroska: how much is read where Info (or the next Segment child) starts. */
const MKV_READ_BYTES = 64 * 1024;
const MAX_HOPS = 2;

const isMatroska = (head: Buffer): boolean => head.length >= 4 && head.readUInt32BE(0) === 0x1a45dfa3;

/** The title tag, or null (no tag, not MP4/Matroska, or too far away to read within the bounds). */
export async function mediaTitleOf(head: Buffer, read: ByteReader | null, size: number | null): Promise<string | null> {
  const beyond = (offset: number): boolean => !read || (size !== null && offset >= size);
  if (isMatroska(head)) {
    let scan: MkvScan = scanMkvHead(head);
    for (let hop = 0; hop < MAX_HOPS && scan.found === 'elsewhere'; hop++) {
      if (beyond(scan.offset) || (scan.length ?? 0) > MAX_INFO_BYTES) return null;
      const at = scan.offset;
      scan = scanMkvAt(await read!(at, scan.length ?? MKV_READ_BYTES), at);
    }
    return scan.found === 'title' ? scan.title : null;
  }
  let scan: MoovScan = findMoov(head);
  for (let hop = 0; hop < MAX_HOPS && scan.found === 'elsewhere'; hop++) {
    const length = scan.length ?? MOOV_GUESS_BYTES;
    if (beyond(scan.offset) || length > MAX_MOOV_BYTES) return null;
    const at = scan.offset;
    scan = findMoov(await read!(at, length), at);
  }
  return scan.found === 'moov' ? titleFromMoov(scan.moov) : null;
}
