/**
 * A loopback Plex Media Server. Relied on (developer.plex.tv/pms, Sonarr's Plex/Server client):
 * any `X-Plex-*` value may be a header or a query argument; answers are XML unless
 * `Accept: application/json`; `GET /identity`, `GET /library/sections` (Directory with
 * Location paths), `GET /library/sections/{key}/refresh[?path=]` answering 200 with an empty
 * body; 401 without a valid token. The fake also refuses (400) a `path` outside the section's
 * locations, which a real server would silently ignore, so a wrong section choice fails the test.
 */
import { sendJson, startFakeHttp, type FakeHttp } from './media-server-common.js';

export interface FakePlex extends FakeHttp {
  token: string;
  sections: Array<{ key: string; type: 'movie' | 'show' | 'artist'; title: string; locations: string[] }>;
  /** Every accepted refresh: the section key and the decoded path (null: whole section). */
  refreshes: Array<{ section: string; path: string | null }>;
  protocolErrors: string[];
}

const xmlEscape = (s: string): string => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');

export async function startFakePlex(): Promise<FakePlex> {
  const state = {
    token: 'pLx-9zQ2wE7rT4yU1iO0',
    sections: [
      { key: '1', type: 'movie' as const, title: 'Movies', locations: ['/data/movies'] },
      { key: '2', type: 'show' as const, title: 'TV Shows', locations: ['/data/tv', '/mnt/extra/tv'] },
      { key: '3', type: 'artist' as const, title: 'Music', locations: ['/data/music'] },
    ],
    refreshes: [] as Array<{ section: string; path: string | null }>,
    protocolErrors: [] as string[],
  };
  // eslint-disable-next-line prefer-const -- the handler needs the object the test mutates
  let fake: FakePlex;
  const http = await startFakeHttp((req, res) => {
    if (req.method !== 'GET') {
      fake.protocolErrors.push(`${req.method} ${req.path}: Plex's library calls are GETs`);
      res.writeHead(405).end();
      return;
    }
    const token = req.headers['x-plex-token'] ?? req.query['X-Plex-Token'];
    if (req.path !== '/identity' && token !== fake.token) {
      res.writeHead(401, { 'content-type': 'text/html' }).end('<html><head><title>Unauthorized</title></head><body><h1>401 Unauthorized</h1></body></html>');
      return;
    }
    const json = String(req.headers.accept ?? '').includes('application/json');
    if (req.path === '/identity') {
      if (json) sendJson(res, 200, { MediaContainer: { size: 0, claimed: true, machineIdentifier: 'f00dfeed', version: '1.41.3.9314-a0bfb8370' } });
      else res.writeHead(200, { 'content-type': 'text/xml' }).end('<?xml version="1.0" encoding="UTF-8"?>\n<MediaContainer size="0" claimed="1" machineIdentifier="f00dfeed" version="1.41.3.9314-a0bfb8370"/>');
      return;
    }
    if (req.path === '/library/sections') {
      if (json) {
        sendJson(res, 200, {
          MediaContainer: {
            size: fake.sections.length,
            allowSync: false,
            Directory: fake.sections.map((s) => ({ key: s.key, type: s.type, title: s.title, agent: 'tv.plex.agents.movie', Location: s.locations.map((p, i) => ({ id: Number(s.key) * 10 + i, path: p })) })),
          },
        });
      } else {
        const dirs = fake.sections.map((s) => `<Directory key="${s.key}" type="${s.type}" title="${xmlEscape(s.title)}">${s.locations.map((p) => `<Location path="${xmlEscape(p)}"/>`).join('')}</Directory>`).join('');
        res.writeHead(200, { 'content-type': 'text/xml' }).end(`<?xml version="1.0" encoding="UTF-8"?>\n<MediaContainer size="${fake.sections.length}">${dirs}</MediaContainer>`);
      }
      return;
    }
    const m = /^\/library\/sections\/(\d+)\/refresh$/.exec(req.path);
    if (m) {
      const section = fake.sections.find((s) => s.key === m[1]);
      if (!section) {
        res.writeHead(404).end();
        return;
      }
      const p = req.query.path ?? null;
      if (p !== null && !section.locations.some((loc) => p === loc || p.startsWith(`${loc}/`))) {
        fake.protocolErrors.push(`refresh of section ${section.key} with a path outside it: ${p}`);
        res.writeHead(400).end();
        return;
      }
      fake.refreshes.push({ section: section.key, path: p });
      res.writeHead(200).end();
      return;
    }
    res.writeHead(404).end();
  });
  fake = Object.assign(http, state);
  return fake;
}
