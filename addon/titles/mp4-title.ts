/**
 * An MP4's own title (the `©nam` tag ffmpeg writes for `-metadata title=`), read from the box
 * structure without ffprobe: the probe has only the first 64 KB, and the `moov` box may sit after
 * the media data, where one ranged request more reaches it. Pure: buffers in, answers out.
 */

interface Box {
  type: string;
  /** Where the box's payload starts and where the box ends, relative to the buffer. */
  start: number;
  end: number;
  /** The box's full size (may exceed the buffer). */
  size: number;
}

function readBox(buf: Buffer, at: number, limit: number): Box | null {
  if (at + 8 > limit) return null;
  let size = buf.readUInt32BE(at);
  const type = buf.toString('latin1', at + 4, at + 8);
  let header = 8;
  if (size === 1) {
    if (at + 16 > limit) return null;
    const big = buf.readBigUInt64BE(at + 8);
    if (big > BigInt(Number.MAX_SAFE_INTEGER)) return null;
    size = Number(big);
    header = 16;
  } else if (size === 0) {
    size = limit - at;
  }
  if (size < header) return null;
  return { type, start: at + header, end: Math.min(at + size, limit), size };
}

function children(buf: Buffer, from: number, to: number): Box[] {
  const out: Box[] = [];
  for (let at = from; at < to; ) {
    const box = readBox(buf, at, to);
    if (!box) break;
    out.push(box);
    if (box.end < at + box.size) break; // truncated: nothing after it is in the buffer
    at += box.size;
  }
  return out;
}

/** Boxes found at the top level of MP4/MOV files: anything else means these bytes are not one. */
const TOP_LEVEL = new Set(['ftyp', 'styp', 'moov', 'mdat', 'free', 'skip', 'wide', 'pdin', 'uuid', 'moof', 'mfra', 'sidx', 'meta', 'pnot', 'junk']);

export type MoovScan =
  /** The whole moov box is in the buffer. */
  | { found: 'moov'; moov: Buffer }
  /** Not (wholly) here: fetch `length` bytes (null: unknown, take a bounded amount) from file offset `offset`. */
  | { found: 'elsewhere'; offset: number; length: number | null }
  /** Not an MP4 box structure. */
  | { found: 'none' };

/** Where the `moov` box is, walking the top-level boxes of `buf`, which starts at file offset `base`. */
export function findMoov(buf: Buffer, base = 0): MoovScan {
  let at = 0;
  while (at < buf.length) {
    const box = readBox(buf, at, buf.length);
    if (!box) return { found: 'elsewhere', offset: base + at, length: null };
    if (!TOP_LEVEL.has(box.type)) return { found: 'none' };
    if (box.type === 'moov') {
      return at + box.size <= buf.length ? { found: 'moov', moov: buf.subarray(box.start, at + box.size) } : { found: 'elsewhere', offset: base + at, length: box.size };
    }
    at += box.size;
  }
  return { found: 'elsewhere', offset: base + at, length: null };
}

function text(s: string): string | null {
  // eslint-disable-next-line no-control-regex
  const t = s.replace(/\u0000+$/, '').trim();
  return t.length > 0 ? t : null;
}

/** The title in a moov payload: udta/meta/ilst/©nam (iTunes style), else udta/©nam (QuickTime). */
export function titleFromMoov(moov: Buffer): string | null {
  const udta = children(moov, 0, moov.length).find((b) => b.type === 'udta');
  if (!udta) return null;
  const inUdta = children(moov, udta.start, udta.end);
  const meta = inUdta.find((b) => b.type === 'meta');
  if (meta) {
    // ISO meta is a full box (4 bytes of version and flags before its children); QuickTime's is not.
    const firstWord = meta.start + 4 <= meta.end ? moov.readUInt32BE(meta.start) : 1;
    const from = firstWord === 0 ? meta.start + 4 : meta.start;
    const ilst = children(moov, from, meta.end).find((b) => b.type === 'ilst');
    const nam = ilst ? children(moov, ilst.start, ilst.end).find((b) => b.type === '\xa9nam') : undefined;
    const data = nam ? children(moov, nam.start, nam.end).find((b) => b.type === 'data') : undefined;
    // data: 4 bytes of type (1 = UTF-8), 4 of locale, then the value.
    if (data && data.start + 8 <= data.end && moov.readUInt32BE(data.start) === 1) {
      const t = text(moov.toString('utf8', data.start + 8, data.end));
      if (t) return t;
    }
  }
  const old = inUdta.find((b) => b.type === '\xa9nam');
  if (old && old.start + 4 <= old.end) {
    const length = moov.readUInt16BE(old.start);
    return text(moov.toString('utf8', old.start + 4, Math.min(old.end, old.start + 4 + length)));
  }
  return null;
}
