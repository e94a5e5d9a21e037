/** The kinds of source, by the key the API and the panel use. */
import type { SourceKind } from '../model.js';
import { m3uFileKind } from './m3u-file.js';
import { m3uUrlKind } from './m3u-url.js';
import type { SourceKindModule } from './types.js';
import { xtreamKind } from './xtream.js';

export const SOURCE_KIND_MODULES: Readonly<Record<SourceKind, SourceKindModule>> = Object.freeze({
  m3u: m3uUrlKind,
  file: m3uFileKind,
  xtream: xtreamKind,
});

export type { SourceEntry, SourceKindModule, FetchContext, SourceFetch } from './types.js';
