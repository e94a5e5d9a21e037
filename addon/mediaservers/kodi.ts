/**
 * Kodi over JSON-RPC (kodi.wiki JSON-RPC_API/v12, xbmc/interfaces/json-rpc): `POST /jsonrpc`,
 * `Content-Type: application/json`, HTTP Basic auth when the web server has a password.
 *
 * - `{"jsonrpc":"2.0","method":"JSONRPC.Ping","id":1}` -> `{"id":1,"jsonrpc":"2.0","result":"pong"}`.
 * - `Files.GetSources {"media":"video"}` -> `{"result":{"sources":[{"file":"/mnt/tv/","label":"TV"}]}}`.
 * - `VideoLibrary.Scan {"directory":"/mnt/tv/Show/","showdialogs":false}` -> `"result":"OK"`; the
 *   scan runs in the background. Kodi stores folders with a trailing separator, so the directory
 *   always ends with one. Without a directory it scans every source (our fallback).
 * - Failures: `{"error":{"code":-32602,"message":"Invalid params."}}`; a bad password: 401.
 */
import { z } from 'zod';
import type { ProviderKind } from '../domain/provider.js';
import { mediaServerError } from './errors.js';
import { serverUrl, ServerHttp, trackStatus } from './http.js';
import { isWithin, usesBackslash } from './path-map.js';
import type { MediaServer, MediaServerDeps, MediaServerTestOutcome, RefreshOutcome } from './types.js';

export interface KodiSettings {
  url: string;
  username?: string | undefined;
  password?: string | undefined;
}

interface RpcReply<T> {
  result?: T;
  error?: { code?: number; message?: string };
}

/** `/mnt/tv/Show` -> `/mnt/tv/Show/`; `smb://nas/tv/Show` -> `smb://nas/tv/Show/`; `D:\TV` -> `D:\TV\`. */
export const kodiDirectory = (p: string): string => {
  const sep = usesBackslash(p) ? '\\' : '/';
  return p.endsWith(sep) ? p : `${p}${sep}`;
};

function createKodiServer(settings: KodiSettings, deps: MediaServerDeps): MediaServer {
  const http = new ServerHttp(deps, settings.url, 'Kodi');
  const headers: Record<string, string> = {};
  // Kodi asks for a login only when its web server has a password set (the default user is kodi).
  if (settings.password) headers.authorization = `Basic ${Buffer.from(`${settings.username || 'kodi'}:${settings.password}`).toString('base64')}`;
  let nextId = 1;

  async function rpc<T>(method: string, params: Record<string, unknown> | undefined, signal?: AbortSignal): Promise<T> {
    const id = nextId++;
    const reply = await http.json<RpcReply<T>>({ method: 'POST', path: '/jsonrpc', headers, body: { jsonrpc: '2.0', method, ...(params ? { params } : {}), id }, signal });
    if (reply?.error) throw mediaServerError('mediaserver_http_error', `Kodi at ${settings.url} refused ${method}: ${reply.error.message ?? 'error'} (${reply.error.code ?? '?'})`);
    if (!reply || !('result' in reply)) throw mediaServerError('mediaserver_bad_response', `Kodi at ${settings.url} gave no JSON-RPC result for ${method}: is this Kodi's web server (Settings -> Services -> Control)?`);
    return reply.result as T;
  }

  return trackStatus(
    {
      async test(samplePath, signal): Promise<MediaServerTestOutcome> {
        const pong = await rpc<string>('JSONRPC.Ping', undefined, signal);
        if (pong !== 'pong') throw mediaServerError('mediaserver_bad_response', `Kodi at ${settings.url} answered JSONRPC.Ping with ${JSON.stringify(pong)}`);
        const got = await rpc<{ sources?: Array<{ file?: unknown; label?: unknown }> }>('Files.GetSources', { media: 'video' }, signal);
        const sources = (got?.sources ?? []).filter((s) => typeof s.file === 'string') as Array<{ file: string; label?: unknown }>;
        const source = sources.find((s) => isWithin(samplePath, s.file));
        if (!source) {
          return {
            message: `Connected to Kodi, but no video source contains ${samplePath} (sources: ${sources.map((s) => s.file).join(', ') || 'none'}): add a path_map entry from the add-on's folder to Kodi's`,
            server_name: null,
            version: null,
            library: null,
            covered: false,
          };
        }
        const label = typeof source.label === 'string' ? source.label : source.file;
        return { message: `Connected to Kodi; video source "${label}" contains ${samplePath}`, server_name: null, version: null, library: label, covered: true };
      },

      async refresh(paths, signal): Promise<RefreshOutcome> {
        try {
          for (const p of paths) await rpc<string>('VideoLibrary.Scan', { directory: kodiDirectory(p), showdialogs: false }, signal);
          if (paths.length > 0) return { method: 'path', message: `Kodi scans ${paths.map(kodiDirectory).join(', ')}` };
        } catch (err) {
          // Kodi refuses a directory outside its sources: scan them all instead.
          if ((err as { code?: string }).code !== 'mediaserver_http_error') throw err;
          deps.logger.info({ server: http.describe(), error: (err as Error).message }, 'Kodi refused the folder scan: scanning the whole video library');
        }
        await rpc<string>('VideoLibrary.Scan', { showdialogs: false }, signal);
        return { method: 'library', message: 'Kodi scans the whole video library' };
      },
    },
    deps.now,
  );
}

/** Kodi: its web server (Settings -> Services -> Control -> Allow remote control via HTTP). */
export const kodiKind: ProviderKind<'kodi', KodiSettings, MediaServer, MediaServerDeps> = {
  kind: 'kodi',
  label: 'Kodi',
  settings: z.strictObject({
    url: serverUrl.describe('Web server URL, e.g. http://192.168.1.20:8080'),
    username: z.string({ error: 'must be a string' }).trim().max(256).regex(/^[^:\r\n]*$/, 'must be one line without ":"').optional().describe('Web server username (kodi by default)'),
    password: z.string({ error: 'must be a string' }).min(1, 'must not be empty').max(512, 'is too long').optional().describe('Web server password'),
  }),
  secrets: ['password'],
  defaults: { url: 'http://localhost:8080', username: 'kodi' },
  create: createKodiServer,
};
