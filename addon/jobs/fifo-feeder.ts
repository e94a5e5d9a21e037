import { spawnSync } from 'node:child_process';
import { closeSync, constants, openSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { Worker } from 'node:worker_threads';

/**
 * The feeding loop, run in its own thread: blocking reads of the part file and blocking writes
 * into the FIFO ffmpeg reads, so feeding never waits for the main event loop (busy with the
 * download) and a full pipe simply blocks this thread. Plain JavaScript: it is evaluated as is.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const fs = require('node:fs');
const { file, fifo } = workerData;
const stopFlag = new Int32Array(workerData.stop);
const buf = Buffer.allocUnsafe(1024 * 1024);
let size = workerData.size, ended = false, fed = 0, out = -1, inp = -1, finished = false;
function close() {
  if (out >= 0) { try { fs.closeSync(out); } catch {} out = -1; }
  if (inp >= 0) { try { fs.closeSync(inp); } catch {} inp = -1; }
}
// Never block in open(): until ffmpeg has the FIFO open for reading, try without blocking (and
// give up when told to stop); once it has, a blocking open returns at once.
function openFifo() {
  for (;;) {
    if (Atomics.load(stopFlag, 0) === 1) throw new Error('stopped before ffmpeg opened its input');
    try {
      const probe = fs.openSync(fifo, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK);
      const fd = fs.openSync(fifo, fs.constants.O_WRONLY);
      fs.closeSync(probe);
      return fd;
    } catch (err) {
      if (!err || err.code !== 'ENXIO') throw err;
      Atomics.wait(stopFlag, 0, 0, 5);
    }
  }
}
function pump() {
  if (finished) return;
  try {
    if (out < 0) out = openFifo();
    while (fed < size) {
      if (inp < 0) inp = fs.openSync(file, 'r');
      const n = fs.readSync(inp, buf, 0, Math.min(buf.length, size - fed), fed);
      if (n === 0) throw new Error(file + ' is shorter than its journal says (' + fed + ' of ' + size + ' bytes)');
      let off = 0;
      while (off < n) off += fs.writeSync(out, buf, off, n - off);
      fed += n;
    }
    if (ended) { finished = true; close(); parentPort.postMessage({ done: fed }); }
  } catch (err) {
    finished = true;
    close();
    parentPort.postMessage({ error: String(err && err.message || err), fed });
  }
}
parentPort.on('message', (m) => {
  if (m.size > size) size = m.size;
  if (m.end) ended = true;
  pump();
});
`;

/** Growth told to the feeding thread at a time (see grow()). */
export const GROW_STEP_BYTES = 256 * 1024;

/**
 * Feeds one growing part file into a named pipe (FIFO) that ffmpeg opens as an input. The
 * writes happen in a worker thread, so they neither wait on nor block the download's event loop.
 */
export class FifoFeeder {
  private readonly worker: Worker;
  private readonly stopFlag = new Int32Array(new SharedArrayBuffer(4));
  private readonly result: Promise<{ fed: number; error: string | null }>;

  private constructor(
    readonly fifo: string,
    file: string,
    initialSize: number,
  ) {
    this.worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { file, fifo, size: initialSize, stop: this.stopFlag.buffer } });
    // A thread must never keep the process alive (shutdown, tests).
    this.worker.unref();
    this.result = new Promise((resolve) => {
      this.worker.on('message', (m: { done?: number; error?: string; fed?: number }) => {
        if (m.error !== undefined) resolve({ fed: m.fed ?? 0, error: m.error });
        else if (m.done !== undefined) resolve({ fed: m.done, error: null });
      });
      this.worker.on('error', (err) => resolve({ fed: 0, error: err.message }));
      this.worker.on('exit', () => resolve({ fed: 0, error: 'the feeding thread ended early' }));
    });
    // Start at once: the FIFO opens when ffmpeg opens it, then the bytes already there flow.
    this.worker.postMessage({ size: initialSize });
    this.posted = initialSize;
  }

  /** A FIFO at `fifo` (mkfifo), or null where FIFOs cannot be made. */
  static create(fifo: string, file: string, initialSize: number): FifoFeeder | null {
    const made = spawnSync('mkfifo', ['-m', '600', fifo], { stdio: 'ignore' });
    if (made.status !== 0) return null;
    return new FifoFeeder(fifo, file, initialSize);
  }

  /** The size last told to the thread. */
  private posted = 0;

  /**
   * The part file holds `size` bytes now. Told to the thread in steps of GROW_STEP_BYTES: a
   * message per segment (10,000 of them for small segments) cost more CPU than the feeding, and
   * ffmpeg lagging a few hundred KB behind changes nothing (end() tells the final size).
   */
  grow(size: number): void {
    if (size - this.posted < GROW_STEP_BYTES) return;
    this.posted = size;
    this.worker.postMessage({ size });
  }

  end(size: number): void {
    this.posted = size;
    this.worker.postMessage({ size, end: true });
  }

  /** Bytes written into the FIFO and why it stopped early (null: everything up to end()). */
  async finished(): Promise<{ fed: number; error: string | null }> {
    return this.result;
  }

  /**
   * Ends the thread whatever it is doing: a thread waiting for ffmpeg to open the FIFO is
   * released by opening it here (then closing it, so its next write fails with EPIPE).
   */
  async stop(): Promise<void> {
    // An idle thread (everything fed) finishes on this; one waiting for ffmpeg to open the FIFO
    // sees the flag; one blocked in a write to a FIFO nobody reads any more fails with EPIPE.
    Atomics.store(this.stopFlag, 0, 1);
    Atomics.notify(this.stopFlag, 0);
    this.worker.postMessage({ end: true });
    try {
      closeSync(openSync(this.fifo, constants.O_RDONLY | constants.O_NONBLOCK));
    } catch {
      // already gone
    }
    await Promise.race([this.result, new Promise((r) => setTimeout(r, 2000).unref())]);
    await Promise.race([this.worker.terminate(), new Promise((r) => setTimeout(r, 2000).unref())]);
    await rm(this.fifo, { force: true });
  }
}
