import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { findMoov, titleFromMoov } from '../../addon/titles/mp4-title.js';

/** Real MP4s made by ffmpeg with `-metadata title=`, with the moov box first and last. */
function mp4(title: string | null, faststart: boolean): Buffer {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mp4-title-'));
  const out = path.join(dir, 'a.mp4');
  execFileSync('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=size=160x120:rate=10', '-t', '1', '-c:v', 'libx264', '-preset', 'ultrafast', ...(title ? ['-metadata', `title=${title}`] : []), ...(faststart ? ['-movflags', '+faststart'] : []), out]);
  return readFileSync(out);
}

describe('the MP4 title tag', () => {
  it('reads ©nam when the moov box comes first', () => {
    const file = mp4('Caminandes: Llamigos — 2016', true);
    const scan = findMoov(file.subarray(0, 64 * 1024));
    expect(scan.found).toBe('moov');
    expect(scan.found === 'moov' && titleFromMoov(scan.moov)).toBe('Caminandes: Llamigos — 2016');
  });

  it('says where the moov box is when it follows the media data, and reads it from there', () => {
    const file = mp4('Moov At The End', false);
    const head = file.subarray(0, 2048);
    const scan = findMoov(head);
    expect(scan.found).toBe('elsewhere');
    if (scan.found !== 'elsewhere') return;
    const tail = file.subarray(scan.offset, scan.offset + (scan.length ?? 1 << 20));
    const again = findMoov(tail, scan.offset);
    expect(again.found === 'moov' && titleFromMoov(again.moov)).toBe('Moov At The End');
  });

  it('null without a title, and for bytes that are not an MP4', () => {
    const scan = findMoov(mp4(null, true));
    expect(scan.found === 'moov' && titleFromMoov(scan.moov)).toBeNull();
    expect(findMoov(Buffer.from('<!doctype html><html>')).found).toBe('none');
    expect(findMoov(Buffer.alloc(0)).found).toBe('elsewhere');
  });
});
