/** A list at a URL (optionally with headers), streamed into the parser: never held whole. */
import { m3uFetch } from './m3u-common.js';
import type { SourceKindModule } from './types.js';

export const m3uUrlKind: SourceKindModule = {
  kind: 'm3u',
  async fetch(source, ctx) {
    if (!source.url) throw new Error('the source has no URL');
    const res = await ctx.http.get({ url: source.url, headers: source.headers, signal: ctx.signal });
    return m3uFetch(res.body);
  },
  downloadHeaders: (source) => source.headers,
  resolveUrl: (_source, url) => url,
};
