/**
 * A Matroska/WebM file's own title (Segment > Info > Title, what ffmpeg and mkvmerge write for
 * `-metadata title=` / `--title`), read from the EBML structure of the first bytes without
 * ffprobe. Writers put Info near the start (after the SeekHead); when it is not in the bytes at
 * hand, the scan says where to read next (the SeekHead's position of Info, or the element after
 * the last one it could step over), so a caller makes at most a bounded number of small reads and
 * never reads the whole file. Elements of unknown size (a live Segment or Cluster) are walked
 * into, never over. Pure: buffers in, answers out.
 */

const EBML = 0x1a45dfa3;
const SEGMENT = 0x18538067;
const SEEK_HEAD = 0x114d9b74;
const SEEK = 0x4dbb;
const SEEK_ID = 0x53ab;
const SEEK_POSITION = 0x53ac;
const INFO = 0x1549a966;
const TITLE = 0x7ba9;
const CLUSTER = 0x1f43b675;
/** The Segment's children (level 1): an Info of unknown size ends where one of them starts. */
const LEVEL1 = new Set([SEEK_HEAD, INFO, 0x1654ae6b, CLUSTER, 0x1c53bb6b, 0x1941a469, 0x1043a770, 0x1254c367]);
/** An Info element bigger than this is not an Info element anyone wrote (it holds a few short fields). */
export const MAX_INFO_BYTES = 256 * 1024;

export type MkvScan =
  /** Info was read: its Title, null when it has none. */
  | { found: 'title'; title: string | null }
  /** Info is not (wholly) in these bytes: read `length` bytes (null: a bounded amount) from file offset `offset`, then scanMkvAt. */
  | { found: 'elsewhere'; offset: number; length: number | null }
  /** Not Matroska, or no Info where one could be found. */
  | { found: 'none' };

interface Element {
  id: number;
  /** Null: unknown size (all value bits set), the element runs to the end of its parent. */
  size: number | null;
  /** Where the payload starts, relative to the buffer. */
  dataStart: number;
}

/** The length of a variable-size integer from its first byte (the position of the first set bit). */
function vintLength(first: number): number {
  for (let i = 0; i < 8; i++) if (first & (0x80 >> i)) return i + 1;
  return 0;
}

function readElement(buf: Buffer, at: number): Element | null {
  if (at >= buf.length) return null;
  const idLength = vintLength(buf[at]!);
  if (idLength === 0 || idLength > 4 || at + idLength >= buf.length) return null;
  const id = buf.readUIntBE(at, idLength);
  const sizeAt = at + idLength;
  const sizeLength = vintLength(buf[sizeAt]!);
  if (sizeLength === 0 || sizeAt + sizeLength > buf.length) return null;
  // The size's marker bit is dropped; all remaining bits set means "unknown".
  let value = BigInt(buf[sizeAt]! & (0xff >> sizeLength));
  for (let i = 1; i < sizeLength; i++) value = (value << 8n) | BigInt(buf[sizeAt + i]!);
  const unknown = value === (1n << BigInt(7 * sizeLength)) - 1n;
  if (!unknown && value > BigInt(Number.MAX_SAFE_INTEGER)) return null;
  return { id, size: unknown ? null : Number(value), dataStart: sizeAt + sizeLength };
}

function children(buf: Buffer, from: number, to: number): Array<Element & { end: number }> {
  const out: Array<Element & { end: number }> = [];
  for (let at = from; at < to; ) {
    const el = readElement(buf, at);
    if (!el || el.size === null) break;
    const end = el.dataStart + el.size;
    if (end > to) break;
    out.push({ ...el, end });
    at = end;
  }
  return out;
}

function text(buf: Buffer, start: number, end: number): string | null {
  // eslint-disable-next-line no-control-regex
  const t = buf.toString('utf8', start, end).replace(/\u0000+$/, '').trim();
  return t.length > 0 ? t : null;
}

/** The Title among an Info's children; `end` null: an Info of unknown size, which ends at the next level-1 element. */
function titleInInfo(buf: Buffer, start: number, end: number | null): string | null {
  for (let at = start; at < (end ?? buf.length); ) {
    const el = readElement(buf, at);
    if (!el || el.size === null || LEVEL1.has(el.id)) return null;
    const elEnd = el.dataStart + el.size;
    if (elEnd > buf.length) return null;
    if (el.id === TITLE) return text(buf, el.dataStart, elEnd);
    at = elEnd;
  }
  return null;
}

/** The SeekHead's position of Info (relative to the Segment's payload), null when it lists none. */
function infoPosition(buf: Buffer, start: number, end: number): number | null {
  for (const seek of children(buf, start, end)) {
    if (seek.id !== SEEK) continue;
    const fields = children(buf, seek.dataStart, seek.end);
    const id = fields.find((f) => f.id === SEEK_ID);
    const pos = fields.find((f) => f.id === SEEK_POSITION);
    if (!id || !pos || pos.size === null || pos.size < 1 || pos.size > 6) continue;
    if (id.size === 4 && buf.readUInt32BE(id.dataStart) === INFO) return buf.readUIntBE(pos.dataStart, pos.size);
  }
  return null;
}

/**
 * Walks the Segment's children in `buf` (file offset `base`) from `from` until Info. A SeekHead
 * on the way is remembered (when `segmentData`, the file offset of the Segment's payload, is
 * known) so that meeting the media data first still leads to Info.
 */
function walk(buf: Buffer, from: number, base: number, segmentData: number | null): MkvScan {
  let seekInfo: number | null = null;
  const next = (offset: number): MkvScan => (seekInfo !== null && segmentData !== null ? { found: 'elsewhere', offset: segmentData + seekInfo, length: null } : { found: 'elsewhere', offset, length: null });
  let at = from;
  while (at < buf.length) {
    const el = readElement(buf, at);
    if (!el) return next(base + at);
    if (el.id === INFO) {
      if (el.size === null) return { found: 'title', title: titleInInfo(buf, el.dataStart, null) };
      if (el.size > MAX_INFO_BYTES) return { found: 'none' };
      const end = el.dataStart + el.size;
      return end <= buf.length ? { found: 'title', title: titleInInfo(buf, el.dataStart, end) } : { found: 'elsewhere', offset: base + at, length: end - at };
    }
    if (el.id === SEEK_HEAD && el.size !== null && el.dataStart + el.size <= buf.length) seekInfo = infoPosition(buf, el.dataStart, el.dataStart + el.size) ?? seekInfo;
    // The media data, or an element that cannot be stepped over: Info comes before it or the SeekHead says where.
    if (el.id === CLUSTER || el.size === null) return seekInfo !== null && segmentData !== null ? next(0) : { found: 'none' };
    if (!LEVEL1.has(el.id) && el.id !== 0xec && el.id !== 0xbf) return { found: 'none' }; // not a Segment child: not Matroska here
    at = el.dataStart + el.size;
  }
  // Stepped over everything here (the last element may end beyond these bytes): read on from there.
  return next(base + at);
}

/** The title in the first bytes of a file (from offset 0). */
export function scanMkvHead(buf: Buffer): MkvScan {
  if (buf.length < 4 || buf.readUInt32BE(0) !== EBML) return { found: 'none' };
  const header = readElement(buf, 0);
  if (!header || header.size === null) return { found: 'none' };
  let at = header.dataStart + header.size;
  for (;;) {
    const el = readElement(buf, at);
    if (!el) return at >= buf.length && at === header.dataStart + header.size ? { found: 'elsewhere', offset: at, length: null } : { found: 'none' };
    if (el.id === SEGMENT) return walk(buf, el.dataStart, 0, el.dataStart);
    if (el.id !== 0xec || el.size === null) return { found: 'none' }; // only Void may sit between the header and the Segment
    at = el.dataStart + el.size;
  }
}

/** Bytes read from file offset `base`, where an earlier scan said Info (or the Segment's next child) starts. */
export function scanMkvAt(buf: Buffer, base: number): MkvScan {
  return walk(buf, 0, base, null);
}
