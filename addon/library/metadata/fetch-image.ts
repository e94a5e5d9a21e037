import type { Fetch } from '../../mediaservers/types.js';

/** GET an image with a timeout and a size cap; the body is read only if it fits. */
export function imageFetcher(fetch: Fetch, options: { timeoutMs?: number; maxBytes?: number } = {}): (url: string, signal?: AbortSignal) => Promise<Buffer> {
  const maxBytes = options.maxBytes ?? 15 * 1024 * 1024;
  return async (url, signal) => {
    const timeout = AbortSignal.timeout(options.timeoutMs ?? 30_000);
    const res = await fetch(url, { signal: signal ? AbortSignal.any([signal, timeout]) : timeout, headers: { accept: 'image/jpeg,image/png' } });
    if (!res.ok) {
      await res.body?.cancel().catch(() => undefined);
      throw new Error(`HTTP ${res.status} from ${new URL(url).host}`);
    }
    const length = Number(res.headers.get('content-length') ?? 0);
    if (length > maxBytes) {
      await res.body?.cancel().catch(() => undefined);
      throw new Error(`image of ${length} bytes is over the ${maxBytes}-byte limit`);
    }
    const chunks: Uint8Array[] = [];
    let size = 0;
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      size += chunk.length;
      if (size > maxBytes) throw new Error(`image is over the ${maxBytes}-byte limit`);
      chunks.push(chunk);
    }
    return Buffer.concat(chunks, size);
  };
}
