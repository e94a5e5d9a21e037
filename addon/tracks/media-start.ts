import { open } from 'node:fs/promises';

/**
 * The first presentation timestamp of a downloaded media file, in seconds: where ffmpeg's remux
 * starts the finished file (it shifts each input to begin at 0), and so the zero of the
 * subtitle timeline. MPEG-TS: the lowest first PES PTS of its streams (90 kHz). Fragmented MP4:
 * the first fragment's decode time over its track's timescale. Null when neither is found.
 */
export async function mediaStartSeconds(file: string, maxBytes = 4 * 1024 * 1024): Promise<number | null> {
  const fh = await open(file, 'r');
  try {
    const buf = Buffer.alloc(maxBytes);
    const { bytesRead } = await fh.read(buf, 0, maxBytes, 0);
    return startOf(buf.subarray(0, bytesRead));
  } finally {
    await fh.close();
  }
}

export function startOf(head: Buffer): number | null {
  if (head.length >= 188 && head[0] === 0x47) return tsStart(head);
  if (head.length >= 8) return mp4Start(head);
  return null;
}

/** Lowest first PTS over the PES streams in the head of an MPEG-TS file. */
export function tsStart(buf: Buffer): number | null {
  const firstPts = new Map<number, number>();
  for (let off = 0; off + 188 <= buf.length; off += 188) {
    if (buf[off] !== 0x47) break;
    const pusi = (buf[off + 1]! & 0x40) !== 0;
    if (!pusi) continue;
    const pid = ((buf[off + 1]! & 0x1f) << 8) | buf[off + 2]!;
    if (firstPts.has(pid)) continue;
    const afc = (buf[off + 3]! >> 4) & 3;
    let p = off + 4;
    if (afc & 2) p += 1 + buf[p]!;
    if (!(afc & 1) || p + 14 > off + 188) continue;
    if (buf[p] !== 0 || buf[p + 1] !== 0 || buf[p + 2] !== 1) continue; // PSI, not PES
    const streamId = buf[p + 3]!;
    const isMedia = (streamId >= 0xc0 && streamId <= 0xef) || streamId === 0xbd;
    if (!isMedia || (buf[p + 7]! & 0x80) === 0) continue;
    const b = buf.subarray(p + 9, p + 14);
    const pts = ((b[0]! >> 1) & 0x07) * 2 ** 30 + (b[1]! << 22) + ((b[2]! >> 1) << 15) + (b[3]! << 7) + (b[4]! >> 1);
    firstPts.set(pid, pts);
  }
  if (firstPts.size === 0) return null;
  return Math.min(...firstPts.values()) / 90_000;
}

interface Box {
  type: string;
  start: number;
  end: number;
  body: number;
}

function* boxes(buf: Buffer, from: number, to: number): Generator<Box> {
  let off = from;
  while (off + 8 <= to) {
    let size = buf.readUInt32BE(off);
    let body = off + 8;
    if (size === 1 && off + 16 <= to) {
      size = Number(buf.readBigUInt64BE(off + 8));
      body = off + 16;
    } else if (size === 0) {
      size = to - off;
    }
    if (size < 8) return;
    yield { type: buf.toString('latin1', off + 4, off + 8), start: off, end: Math.min(off + size, to), body };
    off += size;
  }
}

function child(buf: Buffer, parent: Box, type: string): Box | undefined {
  for (const b of boxes(buf, parent.body, parent.end)) if (b.type === type) return b;
  return undefined;
}

/** First `tfdt` of the first `moof`, over the `mdhd` timescale of the first track. */
export function mp4Start(buf: Buffer): number | null {
  let timescale: number | null = null;
  for (const top of boxes(buf, 0, buf.length)) {
    if (top.type === 'moov') {
      const trak = child(buf, top, 'trak');
      const mdia = trak && child(buf, trak, 'mdia');
      const mdhd = mdia && child(buf, mdia, 'mdhd');
      if (mdhd) timescale = buf[mdhd.body] === 1 ? buf.readUInt32BE(mdhd.body + 20) : buf.readUInt32BE(mdhd.body + 12);
    }
    if (top.type === 'moof' && timescale) {
      const traf = child(buf, top, 'traf');
      const tfdt = traf && child(buf, traf, 'tfdt');
      if (!tfdt) return null;
      const time = buf[tfdt.body] === 1 ? Number(buf.readBigUInt64BE(tfdt.body + 4)) : buf.readUInt32BE(tfdt.body + 4);
      return time / timescale;
    }
  }
  return null;
}
