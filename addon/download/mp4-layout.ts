import { open } from 'node:fs/promises';

/**
 * The shape of a finished MP4, read from its box headers and its index only (a few reads at the
 * front, never the media): what the cheap check of a remuxed file needs to call it complete.
 */
export interface Mp4Layout {
  /** Top-level boxes in order. */
  boxes: Array<{ type: string; offset: number; size: number }>;
  /** Handler types of the tracks in the index: 'vide', 'soun', 'text', 'sbtl', ... */
  tracks: string[];
}

/** Why a remuxed MP4 is not complete and playable from the start, or null when it is. */
export function mp4Problem(layout: Mp4Layout, fileSize: number): string | null {
  const types = layout.boxes.map((b) => b.type);
  if (types[0] !== 'ftyp') return 'it does not start with an ftyp box';
  const moov = types.indexOf('moov');
  const mdat = types.indexOf('mdat');
  if (moov < 0) return 'it has no index (moov box)';
  if (mdat < 0) return 'it has no media data (mdat box)';
  if (moov > mdat) return 'its index (moov) comes after the media: players would have to read the end first';
  const end = layout.boxes.at(-1)!;
  if (end.offset + end.size !== fileSize) return `its boxes end at byte ${end.offset + end.size}, the file at ${fileSize}`;
  if (!layout.tracks.some((t) => t === 'vide' || t === 'soun')) return 'its index lists no audio or video track';
  return null;
}

const MAX_MOOV = 256 * 1024 * 1024;

/** Reads the top-level boxes and the moov's track handlers; throws on a file that is not MP4 boxes. */
export async function readMp4Layout(file: string): Promise<Mp4Layout & { fileSize: number }> {
  const fh = await open(file, 'r');
  try {
    const { size: fileSize } = await fh.stat();
    const boxes: Mp4Layout['boxes'] = [];
    let tracks: string[] = [];
    const head = Buffer.alloc(16);
    let pos = 0;
    while (pos < fileSize && boxes.length < 10_000) {
      const { bytesRead } = await fh.read(head, 0, 16, pos);
      if (bytesRead < 8) throw new Error(`a box header is cut off at byte ${pos}`);
      let size = head.readUInt32BE(0);
      const type = head.toString('latin1', 4, 8);
      let headerLength = 8;
      if (size === 1) {
        if (bytesRead < 16) throw new Error(`a box header is cut off at byte ${pos}`);
        size = Number(head.readBigUInt64BE(8));
        headerLength = 16;
      } else if (size === 0) {
        size = fileSize - pos;
      }
      if (size < headerLength) throw new Error(`a broken ${JSON.stringify(type)} box at byte ${pos}`);
      boxes.push({ type, offset: pos, size });
      if (type === 'moov' && size <= MAX_MOOV) {
        const moov = Buffer.alloc(size - headerLength);
        await fh.read(moov, 0, moov.length, pos + headerLength);
        tracks = trackHandlers(moov);
      }
      pos += size;
    }
    return { boxes, tracks, fileSize };
  } finally {
    await fh.close();
  }
}

/** moov > trak > mdia > hdlr's handler_type, for every trak. */
function trackHandlers(moov: Buffer): string[] {
  const handlers: string[] = [];
  for (const trak of children(moov, 'trak')) {
    for (const mdia of children(trak, 'mdia')) {
      for (const hdlr of children(mdia, 'hdlr')) {
        // version/flags (4), pre_defined (4), handler_type (4)
        if (hdlr.length >= 12) handlers.push(hdlr.toString('latin1', 8, 12));
      }
    }
  }
  return handlers;
}

function children(parent: Buffer, type: string): Buffer[] {
  const found: Buffer[] = [];
  let pos = 0;
  while (pos + 8 <= parent.length) {
    let size = parent.readUInt32BE(pos);
    let header = 8;
    if (size === 1 && pos + 16 <= parent.length) {
      size = Number(parent.readBigUInt64BE(pos + 8));
      header = 16;
    } else if (size === 0) {
      size = parent.length - pos;
    }
    if (size < header || pos + size > parent.length) break;
    if (parent.toString('latin1', pos + 4, pos + 8) === type) found.push(parent.subarray(pos + header, pos + size));
    pos += size;
  }
  return found;
}
