/**
 * The Matroska/WebM title (Segment > Info > Title) from the first bytes: real files made by
 * ffmpeg with `-metadata title=` (seekable and piped, where the Segment's size is unknown), a
 * WebM, a file without a title, and hand-built files where Info sits after the media data and
 * only the SeekHead says where (one bounded read more).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { mediaTitleOf } from '../../addon/titles/media-title.js';
import { scanMkvAt, scanMkvHead } from '../../addon/titles/mkv-title.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'mkv-title-'));

/** A real 1 s file by ffmpeg; `piped` writes to a pipe (no seeking back: unknown sizes). */
function encode(format: 'matroska' | 'webm', title: string | null, piped = false): Buffer {
  const codec = format === 'webm' ? ['-c:v', 'libvpx', '-deadline', 'realtime', '-b:v', '200k'] : ['-c:v', 'libx264', '-preset', 'ultrafast'];
  const args = ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=size=160x120:rate=10', '-t', '1', ...codec, ...(title ? ['-metadata', `title=${title}`] : []), '-f', format];
  if (piped) return execFileSync('ffmpeg', [...args, 'pipe:1'], { maxBuffer: 64 * 1024 * 1024 });
  const out = path.join(dir, `${Math.random().toString(36).slice(2)}.${format === 'webm' ? 'webm' : 'mkv'}`);
  execFileSync('ffmpeg', [...args, out]);
  return readFileSync(out);
}

// Hand-built EBML: an element is its ID bytes, a size (8-byte vint, or unknown) and its payload.
const el = (id: number, payload: Buffer, unknownSize = false): Buffer => {
  const idBytes = Buffer.from(id.toString(16).padStart(id > 0xffffff ? 8 : id > 0xffff ? 6 : id > 0xff ? 4 : 2, '0'), 'hex');
  const size = Buffer.alloc(8);
  if (unknownSize) size.fill(0xff, 0, 8).writeUInt8(0x01, 0);
  else size.writeBigUInt64BE(BigInt(payload.length) | (1n << 56n));
  return Buffer.concat([idBytes, size, payload]);
};
const uint = (n: number): Buffer => Buffer.from([n >> 24, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff]);
const EBML_HEADER = el(0x1a45dfa3, el(0x4282, Buffer.from('matroska')));
const info = (title: string | null): Buffer => el(0x1549a966, Buffer.concat([el(0x2ad7b1, uint(1_000_000)), ...(title ? [el(0x7ba9, Buffer.from(title))] : []), el(0x4d80, Buffer.from('hand'))]));
const cluster = (bytes: number): Buffer => el(0x1f43b675, Buffer.concat([el(0xe7, uint(0)), el(0xa3, Buffer.alloc(bytes, 7))]));

/** EBML header, then a Segment whose SeekHead points to an Info placed after a Cluster of `clusterBytes`. */
function infoAfterMedia(title: string, clusterBytes: number): Buffer {
  const seekHeadSize = el(0x114d9b74, el(0x4dbb, Buffer.concat([el(0x53ab, uint(0x1549a966)), el(0x53ac, uint(0))]))).length;
  const media = cluster(clusterBytes);
  const seekHead = el(0x114d9b74, el(0x4dbb, Buffer.concat([el(0x53ab, uint(0x1549a966)), el(0x53ac, uint(seekHeadSize + media.length))])));
  return Buffer.concat([EBML_HEADER, el(0x18538067, Buffer.concat([seekHead, media, info(title)]))]);
}

/** A reader over a buffer that counts what it was asked for. */
function readerOf(file: Buffer): { read: (offset: number, length: number) => Promise<Buffer>; reads: Array<[number, number]> } {
  const reads: Array<[number, number]> = [];
  return { reads, read: async (offset, length) => (reads.push([offset, length]), file.subarray(offset, offset + length)) };
}

describe('the Matroska title tag', () => {
  it('reads the title ffmpeg writes into a seekable MKV from its first 64 KB', () => {
    const file = encode('matroska', "Sintel — Director's Cut");
    expect(scanMkvHead(file.subarray(0, 64 * 1024))).toEqual({ found: 'title', title: "Sintel — Director's Cut" });
  });

  it('reads it from a piped MKV, whose Segment has an unknown size', () => {
    const file = encode('matroska', 'Tears of Steel', true);
    // The Segment's size field is all ones (unknown): the fixture really is the case under test.
    const segmentAt = file.indexOf(Buffer.from([0x18, 0x53, 0x80, 0x67]));
    expect(file[segmentAt + 4]).toBe(0x01);
    expect(file.subarray(segmentAt + 5, segmentAt + 12).every((b) => b === 0xff)).toBe(true);
    expect(scanMkvHead(file.subarray(0, 64 * 1024))).toEqual({ found: 'title', title: 'Tears of Steel' });
  });

  it('reads a WebM title', () => {
    expect(scanMkvHead(encode('webm', 'Big Buck Bunny').subarray(0, 64 * 1024))).toEqual({ found: 'title', title: 'Big Buck Bunny' });
  });

  it('says there is no title when Info has none, and nothing for bytes that are not Matroska', async () => {
    expect(scanMkvHead(encode('matroska', null).subarray(0, 64 * 1024))).toEqual({ found: 'title', title: null });
    expect(scanMkvHead(Buffer.from('<!doctype html><html>'))).toEqual({ found: 'none' });
    expect(scanMkvHead(Buffer.alloc(0))).toEqual({ found: 'none' });
    expect(await mediaTitleOf(info('x'), null, null)).toBeNull();
  });

  it('follows the SeekHead to an Info placed after the media data: one bounded read, never the whole file', async () => {
    const file = infoAfterMedia('Cosmos Laundromat', 300_000);
    const head = file.subarray(0, 64 * 1024);
    const scan = scanMkvHead(head);
    expect(scan.found).toBe('elsewhere');
    const infoAt = file.indexOf(Buffer.from([0x15, 0x49, 0xa9, 0x66]), 100);
    expect(scan.found === 'elsewhere' && scan.offset).toBe(infoAt);
    const { read, reads } = readerOf(file);
    expect(await mediaTitleOf(head, read, file.length)).toBe('Cosmos Laundromat');
    expect(reads).toEqual([[infoAt, 64 * 1024]]);
    // Without a reader (a download's first response), the head alone has no title.
    expect(await mediaTitleOf(head, null, file.length)).toBeNull();
  });

  it('steps over a big element before Info without reading it, and gives up after two reads', async () => {
    // No SeekHead: a Cluster is media, so nothing after it is looked for.
    const noSeek = Buffer.concat([EBML_HEADER, el(0x18538067, Buffer.concat([cluster(200_000), info('Lost')]))]);
    expect(scanMkvHead(noSeek.subarray(0, 64 * 1024))).toEqual({ found: 'none' });
    // Tags (a level-1 element) bigger than the head before Info: the next read starts after it.
    const tags = el(0x1254c367, Buffer.alloc(100_000));
    const file = Buffer.concat([EBML_HEADER, el(0x18538067, Buffer.concat([tags, info('Spring')]))]);
    const head = file.subarray(0, 64 * 1024);
    const { read, reads } = readerOf(file);
    expect(await mediaTitleOf(head, read, file.length)).toBe('Spring');
    expect(reads).toHaveLength(1);
    expect(reads[0]![0]).toBe(EBML_HEADER.length + 12 + tags.length);
    // Three big elements in a row: two reads, then it stops.
    const far = Buffer.concat([EBML_HEADER, el(0x18538067, Buffer.concat([tags, tags, tags, info('Too far')]))]);
    const counted = readerOf(far);
    expect(await mediaTitleOf(far.subarray(0, 64 * 1024), counted.read, far.length)).toBeNull();
    expect(counted.reads).toHaveLength(2);
  });

  it('reads an Info of unknown size up to the next Segment child, and survives truncated and corrupt bytes', () => {
    const unknownInfo = el(0x1549a966, Buffer.concat([el(0x7ba9, Buffer.from('Agent 327'))]), true);
    expect(scanMkvAt(Buffer.concat([unknownInfo, cluster(10)]), 0)).toEqual({ found: 'title', title: 'Agent 327' });
    const file = encode('matroska', 'Elephants Dream');
    for (const cut of [3, 10, 40, 60, 90, 200]) expect(() => scanMkvHead(file.subarray(0, cut))).not.toThrow();
    const corrupt = Buffer.from(file.subarray(0, 4096));
    corrupt.fill(0, 50, 80);
    expect(() => scanMkvHead(corrupt)).not.toThrow();
    // A title ffmpeg pads with NULs is trimmed.
    expect(scanMkvAt(info('Padded\u0000\u0000'), 0)).toEqual({ found: 'title', title: 'Padded' });
  });
});
