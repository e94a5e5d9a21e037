/**
 * A tiny origin for notifier tests: /movie.mp4 (a real 1 s MP4 padded to 64 KB; kept as it
 * is, no remux), /missing.mp4 (404: fails at once), /hang.mp4 (never answers: the job stays
 * downloading until cancelled or paused).
 */
import http from 'node:http';
import { mediaOfSize } from '../fixtures/tiny-mp4.js';
import type { AddressInfo, Socket } from 'node:net';

export interface MediaOrigin {
  url(path: string): string;
  close(): Promise<void>;
}

/** A real MP4 padded to 64 KB: the engine checks every finished file with ffmpeg. */
export const MOVIE_BYTES = mediaOfSize(64 * 1024);

export async function startMediaOrigin(): Promise<MediaOrigin> {
  const sockets = new Set<Socket>();
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/movie.mp4') {
      res.writeHead(200, { 'content-type': 'video/mp4', 'content-length': MOVIE_BYTES.length });
      res.end(MOVIE_BYTES);
    } else if (path === '/hang.mp4') {
      // never answers
    } else {
      res.writeHead(404).end();
    }
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: (p) => `${base}${p}`,
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
