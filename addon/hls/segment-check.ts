import { open, stat, unlink } from 'node:fs/promises';
import type { FetchToFileResult } from '../download/fetch-to-file.js';
import { sniff } from '../download/sniff.js';
import type { Segment } from './playlist.js';

/**
 * Whether a fetched segment is whole, for VOD (hls-download.ts) and the live recorder
 * (live/recorder.ts) alike: the same checks, so a cut segment is never appended silently.
 *
 * Whether a fetched segment ends where its container says it should. A body cut short without a
 * Content-Length looks like a clean end to HTTP; only the bytes tell: an MPEG-TS stream is whole
 * 188-byte packets, fMP4 is whole boxes, ADTS audio is whole frames. Catching it here names the
 * segment and retries it, instead of ffmpeg failing at the merge without saying which one.
 */
export class TruncatedSegmentError extends Error {
  /** Classified as a network error: the segment is fetched again. */
  readonly code = 'ERR_TRUNCATED_BODY';
  constructor(message: string) {
    super(message);
    this.name = 'TruncatedSegmentError';
  }
}

const TS_PACKET = 188;
const MAX_WALK = 64 * 1024 * 1024;

/** An HTML page where media should be (a CDN's error or login page answered with 200). */
const RX_HTML = /^\s*<(?:!doctype\s+html|html|head|body|title)\b/i;

/**
 * A problem description, or null when the body ends on a container boundary. The body is a file,
 * or a Buffer when it is still in memory on its way to the part file.
 */
export async function segmentProblem(file: string | Buffer, expectedLength: number | null): Promise<string | null> {
  const size = typeof file === 'string' ? (await stat(file)).size : file.length;
  if (expectedLength !== null && size !== expectedLength) return `got ${size} of the ${expectedLength} bytes its byte range names`;
  if (size === 0) return 'the body is empty';
  const fh = typeof file === 'string' ? await open(file, 'r') : null;
  try {
    const read = async (position: number, length: number): Promise<Buffer> => {
      const n = Math.max(0, Math.min(length, size - position));
      if (typeof file !== 'string') return file.subarray(position, position + n);
      const buf = Buffer.alloc(n);
      if (buf.length > 0) await fh!.read(buf, 0, buf.length, position);
      return buf;
    };
    const head = await read(0, 64 * 1024);
    const kind = sniff(head);
    // WebVTT is text too and fine; a web page never is.
    if (kind.kind === 'text' && RX_HTML.test(head.toString('utf8', 0, Math.min(head.length, 256)).replace(/^\uFEFF/, ''))) {
      return 'the body is a web page (HTML), not media: an error or login page served with 200?';
    }
    if (kind.kind === 'ts') {
      const payload = size - kind.skip;
      if (payload % TS_PACKET !== 0) return `its MPEG-TS data ends mid-packet (${payload} bytes is not a whole number of 188-byte packets)`;
      const last = await read(size - TS_PACKET, 1);
      if (last[0] !== 0x47) return 'its last MPEG-TS packet has no sync byte';
      return null;
    }
    if (kind.kind === 'mp4') {
      // Top-level boxes must tile the file exactly.
      let pos = 0;
      for (let boxes = 0; pos < size && boxes < 100_000; boxes++) {
        const h = await read(pos, 16);
        if (h.length < 8) return `its MP4 data ends inside a box header at byte ${pos}`;
        let boxSize = h.readUInt32BE(0);
        if (boxSize === 1) {
          if (h.length < 16) return `its MP4 data ends inside a box header at byte ${pos}`;
          boxSize = Number(h.readBigUInt64BE(8));
        } else if (boxSize === 0) {
          return null; // "to the end of the file"
        }
        if (boxSize < 8) return `its MP4 data has a broken box at byte ${pos}`;
        if (pos + boxSize > size) return `its MP4 "${h.toString('latin1', 4, 8)}" box needs ${pos + boxSize} bytes but the body ends at ${size}`;
        pos += boxSize;
      }
      return null;
    }
    if (kind.kind === 'aac' && size <= MAX_WALK) {
      const data = await read(0, size);
      let pos = 0;
      if (data.toString('latin1', 0, 3) === 'ID3' && data.length >= 10) {
        pos = 10 + (((data[6]! & 0x7f) << 21) | ((data[7]! & 0x7f) << 14) | ((data[8]! & 0x7f) << 7) | (data[9]! & 0x7f));
      }
      while (pos < data.length) {
        if (pos + 7 > data.length) return `its ADTS audio ends inside a frame header at byte ${pos}`;
        if (data[pos] !== 0xff || (data[pos + 1]! & 0xf0) !== 0xf0) return null; // not ADTS past here (ID3 trailer, etc.): no opinion
        const frame = ((data[pos + 3]! & 0x03) << 11) | (data[pos + 4]! << 3) | ((data[pos + 5]! & 0xe0) >> 5);
        if (frame < 7) return `its ADTS audio has a broken frame at byte ${pos}`;
        if (pos + frame > data.length) return `its ADTS audio frame at byte ${pos} needs ${frame} bytes but the body ends at ${data.length}`;
        pos += frame;
      }
      return null;
    }
    return null;
  } finally {
    await fh?.close();
  }
}

/**
 * Without a Content-Length, a body cut exactly on a packet boundary still looks whole. Against the
 * track's own pattern (bytes per second of the segments so far), a segment far smaller than its
 * neighbours is fetched once more; if the second copy has the same size it is genuinely small.
 */
export class SizePattern {
  private readonly rates: number[] = [];
  private readonly suspected = new Map<number, number>();

  /** Adds a segment whose length the server vouched for (Content-Length) to the pattern. */
  record(bytes: number, durationS: number): void {
    if (durationS > 0 && this.rates.length < 50) this.rates.push(bytes / durationS);
  }

  /** A problem description when segment `index` looks cut short, else null (and it joins the pattern). */
  check(index: number, bytes: number, durationS: number): string | null {
    if (durationS <= 0) return null;
    const rate = bytes / durationS;
    if (this.rates.length >= 3) {
      const sorted = [...this.rates].sort((a, b) => a - b);
      const median = sorted[Math.floor(sorted.length / 2)]!;
      if (rate < median * 0.25 && this.suspected.get(index) !== bytes) {
        this.suspected.set(index, bytes);
        return `it is ${bytes} bytes, far fewer than the ${Math.round(median * durationS)} its neighbours suggest (a body cut short?)`;
      }
    }
    this.suspected.delete(index);
    if (this.rates.length < 50) this.rates.push(rate);
    return null;
  }
}

/**
 * The check every fetched media segment goes through before it is used: declared length,
 * byte range, container boundaries, HTML or empty bodies, and (without a Content-Length) the
 * size pattern of the track. On a problem the body is discarded (the file removed, or
 * `discard` for a body still in memory) and a TruncatedSegmentError is thrown, which
 * limitedRequest retries like a network error. Returns the body's size.
 *
 * `index` keys the size pattern's "seen this size once already" memory (a playlist index for
 * VOD, the media sequence number live).
 */
export async function checkFetchedSegment(
  body: string | Buffer,
  seg: Pick<Segment, 'byteRange' | 'duration'>,
  encrypted: boolean,
  got: Pick<FetchToFileResult, 'received' | 'declaredLength'>,
  sizes: SizePattern,
  index: number,
  label: string | (() => string),
  discard?: () => void,
): Promise<number> {
  let problem: string | null = null;
  // A body that ended before its Content-Length (no content-encoding: declaredLength is null then).
  if (got.declaredLength !== null && !seg.byteRange && got.received !== got.declaredLength) {
    problem = `got ${got.received} of the ${got.declaredLength} bytes its Content-Length declares`;
  }
  problem ??= await segmentProblem(body, seg.byteRange && !encrypted ? seg.byteRange.length : null);
  const size = typeof body === 'string' ? await stat(body).then((s) => s.size, () => 0) : body.length;
  if (!problem && got.declaredLength === null && !seg.byteRange) problem = sizes.check(index, size, seg.duration);
  else if (!problem) sizes.record(size, seg.duration);
  if (problem) {
    if (typeof body === 'string') await unlink(body).catch(() => undefined);
    else discard?.();
    throw new TruncatedSegmentError(`${typeof label === 'function' ? label() : label}: ${problem}`);
  }
  return size;
}
