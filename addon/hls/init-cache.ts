import path from 'node:path';
import { limitedRequest, type DownloadContext } from '../download/context.js';
import { fetchToFile } from '../download/fetch-to-file.js';
import { initKey } from './parts.js';
import type { InitSection } from './playlist.js';

/**
 * fMP4 init sections (EXT-X-MAP) of one job: each distinct map (URI and byte range) is fetched
 * once into the work dir, however many segments share it; a failed fetch is forgotten so the
 * next segment tries again. Used by the VOD download and the live recorder alike.
 */
export class InitCache {
  private readonly files = new Map<string, Promise<string>>();
  private count = 0;

  constructor(
    private readonly ctx: DownloadContext,
    private readonly signal: AbortSignal = ctx.signal,
  ) {}

  file(init: InitSection): Promise<string> {
    const key = initKey(init);
    let pending = this.files.get(key);
    if (!pending) {
      const dest = path.join(this.ctx.workDir, `init-${this.count++}.mp4`);
      pending = limitedRequest(
        this.ctx,
        init.uri,
        'init segment',
        (s) => fetchToFile(this.ctx.http, { url: init.uri, headers: this.ctx.headers, byteRange: init.byteRange, signal: s, dest }),
        this.signal,
      ).then(() => dest);
      pending.catch(() => this.files.delete(key));
      this.files.set(key, pending);
    }
    return pending;
  }
}
