/**
 * Plex Media Server. What we rely on (developer.plex.tv/pms; Sonarr's Plex/Server client):
 *
 * - Any `X-Plex-*` value may be a header or a query argument; we send headers only, so the token
 *   is never part of a URL. Answers are XML unless `Accept: application/json`.
 * - `GET /identity` -> `{"MediaContainer":{"machineIdentifier":"…","version":"1.40.1…"}}`.
 * - `GET /library/sections` -> `{"MediaContainer":{"Directory":[{"key":"2","type":"show",
 *   "title":"TV","Location":[{"id":3,"path":"/data/tv"}]}]}}`; 401 for a bad token.
 * - `GET /library/sections/{key}/refresh?path=<folder>` scans that folder of the section (200,
 *   empty body); without `path` it scans the whole section (our fallback).
 */
import { z } from 'zod';
import type { ProviderKind } from '../domain/provider.js';
import { mediaServerError } from './errors.js';
import { secretText, serverUrl, ServerHttp, trackStatus } from './http.js';
import { isWithin } from './path-map.js';
import type { MediaServer, MediaServerDeps, MediaServerTestOutcome, RefreshOutcome } from './types.js';

export interface PlexSettings {
  url: string;
  token: string;
}

interface Section {
  key: string;
  type: string;
  title: string;
  locations: string[];
}

/** Stable per install of the add-on is nicer, but Plex only needs one per client kind for a scan. */
const CLIENT_ID = 'm3u-downloader';

function createPlexServer(settings: PlexSettings, deps: MediaServerDeps): MediaServer {
  const http = new ServerHttp(deps, settings.url, 'Plex');
  const headers = { 'x-plex-token': settings.token, 'x-plex-client-identifier': CLIENT_ID, 'x-plex-product': 'M3U Downloader' };

  async function sections(signal?: AbortSignal): Promise<Section[]> {
    const body = await http.json<{ MediaContainer?: { Directory?: unknown } }>({ method: 'GET', path: '/library/sections', headers, signal });
    const dirs = body?.MediaContainer?.Directory;
    if (body?.MediaContainer === undefined) throw mediaServerError('mediaserver_bad_response', `${http.describe()} did not answer /library/sections like Plex does`);
    if (!Array.isArray(dirs)) return [];
    return dirs
      .filter((d): d is Record<string, unknown> => !!d && typeof d === 'object')
      .map((d) => ({
        key: String(d.key ?? ''),
        type: typeof d.type === 'string' ? d.type : '',
        title: typeof d.title === 'string' ? d.title : '?',
        locations: Array.isArray(d.Location) ? (d.Location as Array<{ path?: unknown }>).map((l) => l?.path).filter((p): p is string => typeof p === 'string') : [],
      }))
      .filter((s) => /^\d+$/.test(s.key));
  }

  /** The section with the longest location containing the path (nested libraries exist). */
  function sectionFor(all: Section[], path: string): Section | null {
    let best: Section | null = null;
    let bestLen = -1;
    for (const s of all) for (const loc of s.locations) if (isWithin(path, loc) && loc.length > bestLen) [best, bestLen] = [s, loc.length];
    return best;
  }

  return trackStatus(
    {
      async test(samplePath, signal): Promise<MediaServerTestOutcome> {
        const identity = await http.json<{ MediaContainer?: { version?: unknown } }>({ method: 'GET', path: '/identity', headers, signal });
        const version = typeof identity?.MediaContainer?.version === 'string' ? identity.MediaContainer.version : null;
        const all = await sections(signal);
        if (all.length === 0) {
          throw mediaServerError('mediaserver_bad_response', `Plex${version ? ` ${version}` : ''} at ${settings.url} has no libraries: add one for the folder downloads go to`);
        }
        const s = sectionFor(all, samplePath);
        if (!s) {
          return {
            message: `Connected to Plex${version ? ` ${version}` : ''}, but no library contains ${samplePath} (library folders: ${all.flatMap((x) => x.locations).join(', ')}): add a path_map entry from the add-on's folder to the server's`,
            server_name: null,
            version,
            library: null,
            covered: false,
          };
        }
        return { message: `Connected to Plex${version ? ` ${version}` : ''}; library "${s.title}" contains ${samplePath}`, server_name: null, version, library: s.title, covered: true };
      },

      async refresh(paths, signal): Promise<RefreshOutcome> {
        const all = await sections(signal);
        const unmatched: string[] = [];
        const scanned: string[] = [];
        for (const p of paths) {
          const s = sectionFor(all, p);
          if (!s) {
            unmatched.push(p);
            continue;
          }
          await http.call({ method: 'GET', path: `/library/sections/${s.key}/refresh?path=${encodeURIComponent(p)}`, headers, signal });
          scanned.push(p);
        }
        if (unmatched.length === 0 && paths.length > 0) return { method: 'path', message: `Plex scans ${scanned.join(', ')}` };
        // No section contains the folder (a missing path_map entry, most likely): scan the
        // movie and show libraries whole, so the file still shows up.
        const video = all.filter((s) => s.type === 'movie' || s.type === 'show');
        for (const s of video) await http.call({ method: 'GET', path: `/library/sections/${s.key}/refresh`, headers, signal });
        deps.logger.info({ server: http.describe(), unmatched }, 'no Plex library contains these folders: scanned every movie and show library');
        return { method: 'library', message: `Plex scans ${video.map((s) => `"${s.title}"`).join(', ') || 'no library'} (no library contains ${unmatched.join(', ')})` };
      },
    },
    deps.now,
  );
}

/** Plex: an X-Plex-Token (Plex's support article "Finding an authentication token"). */
export const plexKind: ProviderKind<'plex', PlexSettings, MediaServer, MediaServerDeps> = {
  kind: 'plex',
  label: 'Plex',
  settings: z.strictObject({
    url: serverUrl.describe('Server URL, e.g. http://192.168.1.10:32400'),
    token: secretText('a Plex token').describe('X-Plex-Token'),
  }),
  secrets: ['token'],
  defaults: { url: 'http://localhost:32400' },
  create: createPlexServer,
};
