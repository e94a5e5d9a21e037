/**
 * A video site in small, for the browser-extension tests: pages whose script plays an HLS master
 * (fetches the master, one variant, its segments) from an origin that answers 403 unless the
 * page's Referer and the player's token header come with every request, as real sites do.
 *
 *   /watch         plays /media/master.m3u8 (three qualities: 720p, 480p, 360p; 2 s; audio)
 *   /watch-dash    fetches /media/manifest.mpd (DASH)
 *   /watch-drm     plays /media/drm.m3u8 (FairPlay SAMPLE-AES)
 *   /links         links to /files/clip.mp4 (403 unless Referer is this page)
 *   /media/...     403 unless Referer = <base>/watch or /watch-dash and X-Player-Token = TOKEN
 *
 * Media is generated with ffmpeg into a temporary directory (about 2 s of work).
 */
import { DASH_MANIFEST } from './dash-manifest.js';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import http, { type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { ffmpeg } from '../helpers/media-check.js';

export const PLAYER_TOKEN = 'let-me-in-42';
export const PAGE_TITLE = 'The Protected Match';
export const QUALITIES = [
  { height: 720, width: 1280, bandwidth: 2_400_000 },
  { height: 480, width: 854, bandwidth: 1_200_000 },
  { height: 360, width: 640, bandwidth: 700_000 },
] as const;

export interface SeenRequest {
  path: string;
  headers: IncomingHttpHeaders;
  status: number;
}

export interface ProtectedPlayer {
  baseUrl: string;
  url(p: string): string;
  requests: SeenRequest[];
  close(): Promise<void>;
}

async function generate(dir: string): Promise<void> {
  const common = ['-hide_banner', '-loglevel', 'error', '-y'];
  await Promise.all(
    QUALITIES.map(async (q) => {
      await mkdir(path.join(dir, `v${q.height}`), { recursive: true });
      await ffmpeg([
        ...common, '-f', 'lavfi', '-i', `testsrc2=size=${q.width}x${q.height}:rate=25`, '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000',
        '-t', '2', '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '25', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-b:a', '64k',
        '-f', 'hls', '-hls_time', '1', '-hls_playlist_type', 'vod', '-hls_segment_filename', path.join(dir, `v${q.height}`, 'seg%03d.ts'), path.join(dir, `v${q.height}`, 'index.m3u8'),
      ]);
    }),
  );
  const master = ['#EXTM3U', '#EXT-X-VERSION:3'];
  // Lowest first, as many sites list them: the extension must not depend on the order.
  for (const q of [...QUALITIES].reverse()) master.push(`#EXT-X-STREAM-INF:BANDWIDTH=${q.bandwidth},RESOLUTION=${q.width}x${q.height},CODECS="avc1.640028,mp4a.40.2"`, `v${q.height}/index.m3u8`);
  await writeFile(path.join(dir, 'master.m3u8'), `${master.join('\n')}\n`);
  // FairPlay-protected: the segments are the plain ones (the player never gets that far in real life).
  await writeFile(
    path.join(dir, 'drm.m3u8'),
    ['#EXTM3U', '#EXT-X-VERSION:5', '#EXT-X-TARGETDURATION:1', '#EXT-X-PLAYLIST-TYPE:VOD', '#EXT-X-KEY:METHOD=SAMPLE-AES,URI="skd://key-1",KEYFORMAT="com.apple.streamingkeydelivery",KEYFORMATVERSIONS="1"', '#EXTINF:1.0,', 'v360/seg000.ts', '#EXT-X-ENDLIST', ''].join('\n'),
  );
  await writeFile(path.join(dir, 'manifest.mpd'), DASH_MANIFEST);
  await ffmpeg([...common, '-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=25', '-t', '1', '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-movflags', '+faststart', path.join(dir, 'clip.mp4')]);
}

const PLAYER_SCRIPT = (source: string) => `
  (async () => {
    const headers = { 'X-Player-Token': '${PLAYER_TOKEN}' };
    const get = async (u) => { const r = await fetch(u, { headers }); if (!r.ok) throw new Error(r.status + ' ' + u); return r; };
    const source = new URL('${source}', location.href);
    if (source.pathname.endsWith('.m3u8')) {
      const uris = (text) => text.split('\\n').filter((l) => l && !l.startsWith('#'));
      let mediaUrl = source;
      let media = await (await get(source)).text();
      if (media.includes('#EXT-X-STREAM-INF')) {
        mediaUrl = new URL(uris(media)[0], source);
        media = await (await get(mediaUrl)).text();
      }
      for (const line of uris(media)) await (await get(new URL(line, mediaUrl))).arrayBuffer();
    } else {
      await (await get(source)).text();
    }
    document.body.dataset.played = 'yes';
  })().catch((e) => { document.body.dataset.played = 'error: ' + e.message; });`;

function page(title: string, body: string): string {
  return `<!doctype html><html><head><meta charset="utf-8"><title>${title} | VideoSite</title><meta property="og:title" content="${title}"></head><body>${body}</body></html>`;
}

const TYPES: Record<string, string> = { '.m3u8': 'application/vnd.apple.mpegurl', '.ts': 'video/mp2t', '.mpd': 'application/dash+xml', '.mp4': 'video/mp4' };

export async function startProtectedPlayer(): Promise<ProtectedPlayer> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'm3udl-player-'));
  await generate(dir);
  const requests: SeenRequest[] = [];
  let base = '';
  const server = http.createServer((req, res) => {
    void (async () => {
      const p = new URL(req.url ?? '/', 'http://x').pathname;
      const record: SeenRequest = { path: p, headers: req.headers, status: 0 };
      requests.push(record);
      const send = (status: number, type: string, body: string | Buffer): void => {
        record.status = status;
        res.writeHead(status, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body), 'Cache-Control': 'no-store' }).end(body);
      };
      if (p === '/watch') return send(200, 'text/html; charset=utf-8', page(PAGE_TITLE, `<h1>${PAGE_TITLE}</h1><script>${PLAYER_SCRIPT('/media/master.m3u8')}</script>`));
      if (p === '/watch-drm') return send(200, 'text/html; charset=utf-8', page('A Locked Film', `<script>${PLAYER_SCRIPT('/media/drm.m3u8')}</script>`));
      if (p === '/watch-dash') return send(200, 'text/html; charset=utf-8', page('A DASH Show', `<script>${PLAYER_SCRIPT('/media/manifest.mpd')}</script>`));
      if (p === '/links') return send(200, 'text/html; charset=utf-8', page('Clips', '<a id="clip" href="/files/clip.mp4">The clip</a>'));
      const media = /^\/media\/([\w/.-]+)$/.exec(p)?.[1];
      const file = /^\/files\/([\w.-]+)$/.exec(p)?.[1];
      if (media) {
        const refererOk = ['/watch', '/watch-dash', '/watch-drm'].some((page) => req.headers.referer === `${base}${page}`);
        if (!refererOk || req.headers['x-player-token'] !== PLAYER_TOKEN) return send(403, 'text/plain', 'forbidden\n');
      } else if (file) {
        if (req.headers.referer !== `${base}/links`) return send(403, 'text/plain', 'forbidden\n');
      } else {
        return send(404, 'text/plain', 'not found\n');
      }
      const rel = (media ?? file)!;
      if (rel.includes('..')) return send(404, 'text/plain', 'not found\n');
      try {
        const body = await readFile(path.join(dir, rel));
        return send(200, TYPES[path.extname(rel)] ?? 'application/octet-stream', body);
      } catch {
        return send(404, 'text/plain', 'not found\n');
      }
    })();
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    baseUrl: base,
    url: (p) => `${base}${p}`,
    requests,
    async close() {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      await rm(dir, { recursive: true, force: true });
    },
  };
}
