import { readFile } from 'node:fs/promises';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A tiny loopback origin whose every path is a handler the test writes: for faults the shared
 * HLS origin does not model (bodies without Content-Length cut short, expiring signed URLs,
 * garbage served as a playlist). Records every request's path and query.
 */
export type Handler = (req: IncomingMessage, res: ServerResponse, url: URL) => void | Promise<void>;

export interface FaultOrigin {
  baseUrl: string;
  port: number;
  route(path: string, handler: Handler): void;
  requests: Array<{ path: string; query: URLSearchParams; at: number }>;
  close(): Promise<void>;
}

export async function startFaultOrigin(): Promise<FaultOrigin> {
  const routes = new Map<string, Handler>();
  const requests: FaultOrigin['requests'] = [];
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    requests.push({ path: url.pathname, query: url.searchParams, at: Date.now() });
    const handler = routes.get(url.pathname);
    if (!handler) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    Promise.resolve(handler(req, res, url)).catch((err: unknown) => {
      if (!res.headersSent) res.writeHead(500).end(String(err));
      else res.destroy();
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    port,
    route: (path, handler) => void routes.set(path, handler),
    requests,
    async close() {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}

/** Serves a file's bytes with Content-Length. */
export const fileBody = (file: string, type = 'video/mp2t'): Handler => async (_req, res) => {
  const body = await readFile(file);
  res.writeHead(200, { 'content-type': type, 'content-length': body.length }).end(body);
};

/** Serves text as an HLS playlist. */
export const playlistBody = (text: () => string): Handler => (_req, res) => {
  const body = Buffer.from(text());
  res.writeHead(200, { 'content-type': 'application/vnd.apple.mpegurl', 'content-length': body.length }).end(body);
};
