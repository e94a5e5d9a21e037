/**
 * Jellyfin and Emby share one API lineage ("MediaBrowser"). What we rely on (Jellyfin
 * LibraryController / SystemController, Emby's REST reference dev.emby.media):
 *
 * - `GET /System/Info` (authenticated): `{ServerName, Version, ...}`; 401 for a bad key.
 * - `GET /Library/VirtualFolders` (admin): `[{Name, Locations: ["/data/movies", ...]}, ...]`.
 * - `POST /Library/Media/Updated` with `{"Updates":[{"Path":"/data/movies/X","UpdateType":"Created"}]}`:
 *   scans just those paths; Jellyfin answers 204, Emby 200 (empty).
 * - `POST /Library/Refresh`, no body: a scan of every library (the fallback), 204 / 200.
 *
 * Auth differs: Jellyfin wants `Authorization: MediaBrowser Token="<key>"` (the legacy
 * X-Emby-Token is off by default from Jellyfin 12), Emby takes `X-Emby-Token: <key>`.
 */
import { isWithin } from './path-map.js';
import { httpStatusOf, ServerHttp, trackStatus } from './http.js';
import type { MediaServer, MediaServerDeps, MediaServerTestOutcome, RefreshOutcome } from './types.js';

export interface MediaBrowserSettings {
  url: string;
  api_key: string;
}

interface SystemInfo {
  ServerName?: unknown;
  Version?: unknown;
  ProductName?: unknown;
}

interface VirtualFolder {
  Name?: unknown;
  Locations?: unknown;
}

export function createMediaBrowserServer(flavour: 'Jellyfin' | 'Emby', settings: MediaBrowserSettings, deps: MediaServerDeps): MediaServer {
  const http = new ServerHttp(deps, settings.url, flavour);
  const auth: Record<string, string> =
    flavour === 'Jellyfin' ? { authorization: `MediaBrowser Token="${settings.api_key}"` } : { 'x-emby-token': settings.api_key };

  async function libraries(signal?: AbortSignal): Promise<Array<{ name: string; locations: string[] }> | null> {
    try {
      const folders = await http.json<VirtualFolder[]>({ method: 'GET', path: '/Library/VirtualFolders', headers: auth, signal });
      if (!Array.isArray(folders)) return null;
      return folders.map((f) => ({
        name: typeof f.Name === 'string' ? f.Name : '?',
        locations: Array.isArray(f.Locations) ? f.Locations.filter((l): l is string => typeof l === 'string') : [],
      }));
    } catch (err) {
      // A key without admin rights cannot list libraries; refresh may still work.
      if (httpStatusOf(err) !== null) return null;
      throw err;
    }
  }

  return trackStatus(
    {
      async test(samplePath, signal): Promise<MediaServerTestOutcome> {
        const info = await http.json<SystemInfo>({ method: 'GET', path: '/System/Info', headers: auth, signal });
        const name = typeof info.ServerName === 'string' ? info.ServerName : null;
        const version = typeof info.Version === 'string' ? info.Version : null;
        const who = `${flavour}${name ? ` "${name}"` : ''}${version ? ` ${version}` : ''}`;
        const libs = await libraries(signal);
        if (libs === null) {
          return { message: `Connected to ${who}; it would be asked to scan ${samplePath} (the key cannot list libraries, so whether one contains it is unknown)`, server_name: name, version, library: null, covered: null };
        }
        const lib = libs.find((l) => l.locations.some((loc) => isWithin(samplePath, loc)));
        if (!lib) {
          const where = libs.flatMap((l) => l.locations).join(', ') || 'none';
          return {
            message: `Connected to ${who}, but no library contains ${samplePath} (library folders: ${where}): add a path_map entry from the add-on's folder to the server's`,
            server_name: name,
            version,
            library: null,
            covered: false,
          };
        }
        return { message: `Connected to ${who}; library "${lib.name}" contains ${samplePath}`, server_name: name, version, library: lib.name, covered: true };
      },

      async refresh(paths, signal): Promise<RefreshOutcome> {
        if (paths.length > 0) {
          try {
            await http.call({ method: 'POST', path: '/Library/Media/Updated', headers: auth, body: { Updates: paths.map((p) => ({ Path: p, UpdateType: 'Created' })) }, signal });
            return { method: 'path', message: `${flavour} scans ${paths.join(', ')}` };
          } catch (err) {
            // Auth and network problems are not solved by a wider scan; an older or stricter
            // server refusing the per-path call is.
            const status = httpStatusOf(err);
            if (status === null) throw err;
            deps.logger.info({ server: http.describe(), status }, 'per-path scan refused: asking for a full library scan');
          }
        }
        await http.call({ method: 'POST', path: '/Library/Refresh', headers: auth, signal });
        return { method: 'library', message: `${flavour} scans every library` };
      },
    },
    deps.now,
  );
}
