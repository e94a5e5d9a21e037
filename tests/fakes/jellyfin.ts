/**
 * A loopback Jellyfin (or Emby) for the media-server tests, checking what their APIs demand.
 * Relied on: Jellyfin LibraryController.cs (`POST /Library/Media/Updated` [Authorize], body
 * `{"Updates":[{"Path","UpdateType"}]}`, a null Path throws; `POST /Library/Refresh`
 * RequiresElevation, no body; both 204), SystemController (`GET /System/Info`, authorised),
 * AuthorizationContext.cs (`Authorization: MediaBrowser Token="…"`); Emby's REST reference
 * (dev.emby.media LibraryService postLibraryMediaUpdated: 200 empty; `X-Emby-Token` header).
 * Anything else gets the status a real server gives: 401 without the key, 404 for an unknown
 * route, 400 for a malformed body, and the test sees it fail.
 */
import { sendJson, startFakeHttp, type FakeHttp, type RecordedRequest } from './media-server-common.js';

export interface FakeJellyfin extends FakeHttp {
  apiKey: string;
  flavour: 'jellyfin' | 'emby';
  libraries: Array<{ Name: string; Locations: string[] }>;
  /** Paths of every accepted POST /Library/Media/Updated, in order (one array per request). */
  updates: string[][];
  fullRefreshes: number;
  /** Answer POST /Library/Media/Updated with this status instead (e.g. 404 for a server without it). */
  mediaUpdatedStatus: number | null;
  /** Errors the fake found in requests (a test asserts this stays empty). */
  protocolErrors: string[];
}

export async function startFakeJellyfin(flavour: 'jellyfin' | 'emby' = 'jellyfin'): Promise<FakeJellyfin> {
  const ok = flavour === 'jellyfin' ? 204 : 200;
  const state = {
    apiKey: 'f3c1a9d2b7e84c05a1d2e3f4a5b6c7d8',
    flavour,
    libraries: [
      { Name: 'Movies', Locations: ['/data/movies'] },
      { Name: 'Shows', Locations: ['/data/tv'] },
    ],
    updates: [] as string[][],
    fullRefreshes: 0,
    mediaUpdatedStatus: null as number | null,
    protocolErrors: [] as string[],
  };
  const authorised = (req: RecordedRequest): boolean =>
    flavour === 'jellyfin' ? req.headers.authorization === `MediaBrowser Token="${fake.apiKey}"` : req.headers['x-emby-token'] === fake.apiKey;
  // eslint-disable-next-line prefer-const -- the handler needs the object the test mutates
  let fake: FakeJellyfin;
  const http = await startFakeHttp((req, res) => {
    if (!authorised(req)) {
      if (req.headers.authorization || req.headers['x-emby-token'] || req.headers['x-mediabrowser-token']) {
        if (flavour === 'jellyfin' && !req.headers.authorization?.startsWith('MediaBrowser ')) fake.protocolErrors.push(`unexpected auth headers on ${req.path}`);
      }
      res.writeHead(401).end();
      return;
    }
    const route = `${req.method} ${req.path}`;
    switch (route) {
      case 'GET /System/Info':
        sendJson(res, 200, { ServerName: 'living-room', Version: flavour === 'jellyfin' ? '10.10.7' : '4.8.10.0', ProductName: flavour === 'jellyfin' ? 'Jellyfin Server' : 'Emby Server', Id: 'abc', OperatingSystem: 'Linux' });
        return;
      case 'GET /Library/VirtualFolders':
        sendJson(res, 200, fake.libraries.map((l) => ({ ...l, CollectionType: 'movies', ItemId: '1' })));
        return;
      case 'POST /Library/Media/Updated': {
        if (fake.mediaUpdatedStatus !== null) {
          res.writeHead(fake.mediaUpdatedStatus).end();
          return;
        }
        if (!String(req.headers['content-type']).startsWith('application/json')) {
          fake.protocolErrors.push(`Media/Updated without a JSON content type: ${req.headers['content-type']}`);
          res.writeHead(415).end();
          return;
        }
        let body: { Updates?: Array<{ Path?: unknown; UpdateType?: unknown }> };
        try {
          body = JSON.parse(req.body);
        } catch {
          res.writeHead(400).end();
          return;
        }
        const updates = body.Updates;
        const bad =
          !Array.isArray(updates) ||
          updates.length === 0 ||
          updates.some((u) => typeof u.Path !== 'string' || !u.Path.startsWith('/') || !['Created', 'Modified', 'Deleted', undefined, null].includes(u.UpdateType as string));
        if (bad) {
          fake.protocolErrors.push(`bad Media/Updated body: ${req.body}`);
          res.writeHead(400).end();
          return;
        }
        fake.updates.push(updates.map((u) => u.Path as string));
        res.writeHead(ok).end();
        return;
      }
      case 'POST /Library/Refresh':
        if (req.body !== '') fake.protocolErrors.push(`Library/Refresh with a body: ${req.body}`);
        fake.fullRefreshes++;
        res.writeHead(ok).end();
        return;
      default:
        res.writeHead(404).end();
    }
  });
  fake = Object.assign(http, state);
  return fake;
}
