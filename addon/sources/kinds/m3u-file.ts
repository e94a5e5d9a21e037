/** An uploaded list, kept under DATA_DIR/uploads/ and streamed from disk at every sync. */
import { createReadStream } from 'node:fs';
import { access } from 'node:fs/promises';
import { z } from 'zod';
import { AppError } from '../../errors.js';
import { m3uFetch } from './m3u-common.js';
import { defineSourceKind } from './types.js';

export const m3uFileKind = defineSourceKind({
  kind: 'file',
  label: 'Uploaded M3U file',
  help: 'A playlist file you upload (PUT /api/sources/:id/file); every sync reads it again.',
  settings: z.object({}),
  secrets: [],
  defaults: {},
  create: (_settings, { source }) => ({
    async fetch(ctx) {
      try {
        await access(ctx.uploadPath);
      } catch {
        throw new AppError('no_file', 'no list has been uploaded to this source yet', { httpStatus: 409 });
      }
      const stream = createReadStream(ctx.uploadPath, { highWaterMark: 256 * 1024, signal: ctx.signal });
      return m3uFetch(stream);
    },
    downloadHeaders: () => source.headers,
    resolveUrl: (url) => url,
  }),
});
