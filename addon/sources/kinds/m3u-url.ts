/** A list at a URL (optionally with headers), streamed into the parser: never held whole. */
import { z } from 'zod';
import { httpUrl } from '../../domain/validators.js';
import { m3uFetch } from './m3u-common.js';
import { defineSourceKind } from './types.js';

export const m3uUrlKind = defineSourceKind({
  kind: 'm3u',
  label: 'M3U list at a URL',
  help: 'A playlist your provider gives as a link (get.php?... or .m3u); the request headers go with it.',
  settings: z.object({ url: httpUrl.meta({ title: 'List URL' }) }),
  secrets: [],
  defaults: {},
  create: (settings, { source }) => ({
    async fetch(ctx) {
      if (!settings.url) throw new Error('the source has no URL');
      const res = await ctx.http.get({ url: settings.url, headers: source.headers, signal: ctx.signal });
      return m3uFetch(res.body);
    },
    downloadHeaders: () => source.headers,
    resolveUrl: (url) => url,
  }),
});
