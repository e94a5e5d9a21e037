import { buildRegistry, type AnyProviderKind } from '../domain/provider.js';
import { embyKind } from './emby.js';
import { jellyfinKind } from './jellyfin.js';
import { kodiKind } from './kodi.js';
import { plexKind } from './plex.js';
import type { MediaServer, MediaServerDeps } from './types.js';

export type MediaServerKind = AnyProviderKind<MediaServer, MediaServerDeps>;

/** Every media-server kind; a new one is a file in this folder and a line here. */
export const MEDIA_SERVER_KINDS: readonly MediaServerKind[] = [jellyfinKind, embyKind, plexKind, kodiKind];

export const mediaServerRegistry = (): ReadonlyMap<string, MediaServerKind> => buildRegistry(MEDIA_SERVER_KINDS);
