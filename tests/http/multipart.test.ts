/**
 * receiveUpload's cleanup of a failed upload's temp file. pipeline() settles on the first error
 * without waiting for the file's write stream to finish opening, so a slow open (a busy thread
 * pool, a slow disk) used to create `.upload-*` after the cleanup had already run: a file left
 * behind for good. Here every open of an upload's temp file waits for a gate the test opens.
 */
import fs from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import type { Context } from 'koa';
import { afterEach, describe, expect, it, vi } from 'vitest';

let openGate: Promise<void> = Promise.resolve();
let openRequested: () => void = () => undefined;

vi.mock('node:fs', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:fs')>();
  const slowOpen = (file: fs.PathLike, flags: fs.OpenMode, mode: fs.Mode | undefined | null, cb: (err: NodeJS.ErrnoException | null, fd: number) => void): void => {
    openRequested();
    void openGate.then(() => actual.open(file, flags, mode, cb));
  };
  const createWriteStream = ((file: fs.PathLike, options?: Parameters<typeof actual.createWriteStream>[1]) =>
    actual.createWriteStream(file, { ...(typeof options === 'object' ? options : {}), fs: { open: slowOpen, write: actual.write, writev: actual.writev, close: actual.close } })) as typeof actual.createWriteStream;
  return { ...actual, default: { ...actual, createWriteStream }, createWriteStream };
});

const { receiveUpload } = await import('../../addon/http/multipart.js');

const BOUNDARY = 'xBOUNDARYx';

/** The smallest Context receiveUpload reads: headers, `is`, `get`, `set` and the raw request. */
function contextFor(body: string): { ctx: Context; req: PassThrough } {
  const req = new PassThrough();
  const headers: Record<string, string> = { 'content-type': `multipart/form-data; boundary=${BOUNDARY}`, 'content-length': String(Buffer.byteLength(body)) };
  Object.assign(req, { headers });
  const ctx = {
    req,
    is: (type: string) => (headers['content-type']!.startsWith(type) ? type : false),
    get: (name: string) => headers[name.toLowerCase()] ?? '',
    set: () => undefined,
  } as unknown as Context;
  return { ctx, req };
}

const dirs: string[] = [];
afterEach(async () => {
  openGate = Promise.resolve();
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

describe('receiveUpload', () => {
  it('a body cut before its closing boundary leaves no temp file, even when the file opens late', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'm3udl-multipart-'));
    dirs.push(dir);
    let release!: () => void;
    openGate = new Promise<void>((resolve) => (release = resolve));
    const requested = new Promise<void>((resolve) => (openRequested = resolve));
    const body = `--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="list.m3u"\r\nContent-Type: audio/x-mpegurl\r\n\r\n#EXTM3U\r\n#EXTINF:-1,Film\r\nhttp://cdn.example/1.mp4\r\n`;
    const { ctx, req } = contextFor(body);
    const upload = receiveUpload(ctx, { maxBytes: 1024 * 1024, dir });
    const outcome = upload.then(
      () => 'resolved',
      (err: Error) => err.message,
    );
    req.end(body);
    await requested;
    // Let pipeline() see the failed form while the open is still pending, then let it open.
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    release();
    expect(await outcome).toMatch(/could not read the upload: Unexpected end of form/);
    // The late open has created and closed its file; whatever settled first, nothing is left.
    await new Promise((r) => setImmediate(r));
    expect((await readdir(dir)).filter((f) => f.startsWith('.upload-'))).toEqual([]);
  });
});
