/**
 * A loopback IPTV provider: an M3U list (as bytes, so BOM/CRLF/broken lines are exact), an
 * Xtream Codes player_api.php over a mutable data model, and media files at the Xtream stream
 * paths (small MP4-looking bodies, optionally paced, with the number of connections open at once
 * recorded so per-source connection limits can be checked).
 */
import { mediaOfSize } from '../fixtures/tiny-mp4.js';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

export interface XtreamModel {
  username: string;
  password: string;
  vodCategories: Array<Record<string, unknown>>;
  vodStreams: Array<Record<string, unknown>>;
  seriesCategories: Array<Record<string, unknown>>;
  series: Array<Record<string, unknown>>;
  /** series_id -> get_series_info answer. */
  seriesInfo: Record<string, unknown>;
}

export interface FakeProvider {
  baseUrl: string;
  /** Bytes served at /list.m3u. */
  list: Buffer | string;
  /** While set, /list.m3u waits for it before answering. */
  holdList: Promise<void> | null;
  /** When set, /list.m3u needs this User-Agent (403 otherwise). */
  requiredUserAgent: string | null;
  xtream: XtreamModel;
  /** Requests per path (and per player_api action as `api:<action>`). */
  hits: Map<string, number>;
  /** Media: bytes per file, and ms to wait between 16 KB chunks. */
  media: { bytes: number; chunkDelayMs: number };
  /** Media connections open now, and the most seen at once. */
  openMedia: number;
  peakMedia: number;
  /** Full URLs requested (for secret checks). */
  urls: string[];
  close(): Promise<void>;
}

export function emptyXtream(): XtreamModel {
  return { username: 'cliente', password: 's3cr3t-P4ss', vodCategories: [], vodStreams: [], seriesCategories: [], series: [], seriesInfo: {} };
}


export async function startFakeProvider(): Promise<FakeProvider> {
  const provider: FakeProvider = {
    baseUrl: '',
    list: '#EXTM3U\n',
    requiredUserAgent: null,
    holdList: null,
    xtream: emptyXtream(),
    hits: new Map(),
    media: { bytes: 64 * 1024, chunkDelayMs: 0 },
    openMedia: 0,
    peakMedia: 0,
    urls: [],
    close: async () => undefined,
  };
  const hit = (key: string): void => {
    provider.hits.set(key, (provider.hits.get(key) ?? 0) + 1);
  };
  const json = (res: ServerResponse, body: unknown): void => {
    const text = JSON.stringify(body);
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  };

  const server = http.createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://x');
    provider.urls.push(url.toString());
    hit(url.pathname);
    if (url.pathname === '/list.m3u') {
      if (provider.requiredUserAgent && req.headers['user-agent'] !== provider.requiredUserAgent) {
        res.writeHead(403).end('forbidden');
        return;
      }
      void serveList(res);
      return;
    }
    if (url.pathname === '/player_api.php') {
      const x = provider.xtream;
      const action = url.searchParams.get('action') ?? '';
      hit(`api:${action}`);
      if (url.searchParams.get('username') !== x.username || url.searchParams.get('password') !== x.password) {
        json(res, { user_info: { auth: 0 } });
        return;
      }
      switch (action) {
        case '':
          json(res, {
            user_info: { username: x.username, password: x.password, auth: 1, status: 'Active', exp_date: '1893456000', max_connections: '2', active_cons: '0' },
            server_info: { url: '127.0.0.1', port: '80', timezone: 'America/Sao_Paulo' },
          });
          return;
        case 'get_vod_categories':
          json(res, x.vodCategories);
          return;
        case 'get_vod_streams':
          json(res, x.vodStreams);
          return;
        case 'get_series_categories':
          json(res, x.seriesCategories);
          return;
        case 'get_series':
          json(res, x.series);
          return;
        case 'get_series_info':
          json(res, x.seriesInfo[url.searchParams.get('series_id') ?? ''] ?? { seasons: [], info: [], episodes: [] });
          return;
        default:
          json(res, []);
          return;
      }
    }
    if (/^\/(movie|series)\/[^/]+\/[^/]+\/\d+\.\w+$/.test(url.pathname)) {
      void serveMedia(req, res);
      return;
    }
    res.writeHead(404).end('not found');
  });

  async function serveList(res: ServerResponse): Promise<void> {
    if (provider.holdList) await provider.holdList;
    const body = Buffer.isBuffer(provider.list) ? provider.list : Buffer.from(provider.list);
    res.writeHead(200, { 'content-type': 'audio/x-mpegurl', 'content-length': body.length });
    // Two writes: the parser must join a line split across chunks.
    const cut = Math.floor(body.length / 2);
    res.write(body.subarray(0, cut));
    res.end(body.subarray(cut));
  }

  async function serveMedia(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const total = provider.media.bytes;
    // Real media padded to the size asked for: the engine checks every finished file with ffmpeg.
    const body = mediaOfSize(total);
    let start = 0;
    let end = total - 1;
    const range = /bytes=(\d+)-(\d*)/.exec(req.headers.range ?? '');
    if (range) {
      start = Number(range[1]);
      end = range[2] ? Math.min(Number(range[2]), total - 1) : total - 1;
      res.writeHead(206, { 'content-type': 'video/mp4', 'accept-ranges': 'bytes', 'content-range': `bytes ${start}-${end}/${total}`, 'content-length': end - start + 1 });
    } else {
      res.writeHead(200, { 'content-type': 'video/mp4', 'accept-ranges': 'bytes', 'content-length': total });
    }
    provider.openMedia++;
    provider.peakMedia = Math.max(provider.peakMedia, provider.openMedia);
    try {
      for (let p = start; p <= end && !res.destroyed; p += 16 * 1024) {
        if (provider.media.chunkDelayMs > 0) await sleep(provider.media.chunkDelayMs);
        res.write(body.subarray(p, Math.min(end + 1, p + 16 * 1024)));
      }
      res.end();
    } finally {
      provider.openMedia--;
    }
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  provider.baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  provider.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return provider;
}
