import v8 from 'node:v8';
import vm from 'node:vm';

/**
 * Every socket read hands out a freshly allocated buffer, and V8 frees a dead buffer only when
 * it collects its small JS wrapper. Wrappers fill the young generation so slowly that a fast
 * download leaves tens of MB of dead socket buffers in RSS before any collection comes (V8
 * collects for external memory only after about 64 MB of growth). A young-generation
 * collection after every MB received frees them, at a fraction of a millisecond each; every
 * 256th is a full collection (deferred, but still a stop-the-world mark-compact of the whole
 * heap), for what those promote to the old generation.
 * Measured by bench/finish.ts: server VmHWM on a 1 GB stream 196 -> 144 MB.
 * A full one every 32 MB instead of every 256 MB kept VmHWM the same (144-147 MB) but cost
 * ~1.6 CPU s per GB, a quarter of the engine's CPU (bench/cpu.ts gb).
 */
export const COLLECT_EVERY_BYTES = 1024 * 1024;
export const MAJOR_EVERY = 256;

export type Collect = (options: { type: 'minor' | 'major'; execution?: 'async' }) => void;

/** Counts bytes: a young collection once per `every` bytes, a concurrent full one every `majorEvery`-th time. */
export function youngCollector(collect: Collect | null, every = COLLECT_EVERY_BYTES, majorEvery = MAJOR_EVERY): (bytes: number) => void {
  let since = 0;
  let rounds = 0;
  return (bytes) => {
    since += bytes;
    if (since < every) return;
    since = 0;
    if (++rounds % majorEvery === 0) collect?.({ type: 'major', execution: 'async' });
    else collect?.({ type: 'minor' });
  };
}

/** V8's own collector: the `gc` of a new context once --expose-gc is set (the main context is left as it was). */
function v8Collector(): Collect | null {
  const exposed = (globalThis as { gc?: Collect }).gc;
  if (typeof exposed === 'function') return exposed;
  try {
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as unknown;
    return typeof gc === 'function' ? (gc as Collect) : null;
  } catch {
    return null;
  }
}

let shared: ((bytes: number) => void) | null = null;

/** `bytes` came off a socket (any download of the process): see above. */
export function receivedBytes(bytes: number): void {
  shared ??= youngCollector(v8Collector());
  shared(bytes);
}
