/**
 * What the panel tests share: a built panel, Debian's Chromium driven by playwright-core, an
 * ingress-like proxy that can answer some API paths itself (the 50,000-row review check).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import type { AppOverrides } from '../../addon/app.js';
import { makeTestApp, type TestApp } from '../helpers/app.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const PANEL_DIR = path.join(ROOT, 'dist/panel');
export const ARTIFACTS = path.join(ROOT, 'test-artifacts');
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

function newestMtime(dir: string): number {
  let newest = 0;
  for (const name of readdirSync(dir)) {
    const p = path.join(dir, name);
    const s = statSync(p);
    newest = Math.max(newest, s.isDirectory() ? newestMtime(p) : s.mtimeMs);
  }
  return newest;
}

/** `npm test` builds the panel first; running vitest alone rebuilds it when the sources are newer. */
export function ensurePanelBuilt(): void {
  const index = path.join(PANEL_DIR, 'index.html');
  const sources = Math.max(newestMtime(path.join(ROOT, 'ui/src')), statSync(path.join(ROOT, 'ui/index.html')).mtimeMs);
  if (existsSync(index) && statSync(index).mtimeMs >= sources) return;
  const r = spawnSync(process.execPath, [path.join(ROOT, 'node_modules/vite/bin/vite.js'), 'build', '--config', 'ui/vite.config.ts', '--logLevel', 'warn'], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`panel build failed:\n${r.stdout}\n${r.stderr}`);
}

export interface LaunchedBrowser {
  browser: Browser;
  close(): Promise<void>;
}

/**
 * Debian's Chromium, headless, with the flags a root CI needs. playwright-core gives every launch
 * a fresh temporary profile (its own --user-data-dir, removed on close).
 */
export async function launchChromium(): Promise<LaunchedBrowser> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install chromium (.ci/run does)`);
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-dev-shm-usage',
    ],
  });
  return {
    browser,
    async close() {
      await browser.close().catch(() => undefined);
    },
  };
}

export async function artifactPath(name: string): Promise<string> {
  await mkdir(ARTIFACTS, { recursive: true });
  return path.join(ARTIFACTS, name);
}

export interface IngressProxy {
  /** e.g. http://127.0.0.1:1234/api/hassio_ingress/abc123 (no trailing slash). */
  prefixUrl: string;
  prefix: string;
  /** Paths (with query) of every request the proxy saw. */
  seen: string[];
  /** Requests that did not start with the prefix: each one would 404 behind Home Assistant. */
  escaped: string[];
  close(): Promise<void>;
}

function forward(req: IncomingMessage, res: ServerResponse, target: URL, pathAndQuery: string, headers: Record<string, string>): void {
  const upstream = http.request(
    { host: target.hostname, port: target.port, method: req.method, path: pathAndQuery, headers: { ...req.headers, host: target.host, ...headers } },
    (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    },
  );
  upstream.on('error', () => res.destroy());
  req.pipe(upstream);
  res.on('close', () => upstream.destroy());
}

/** Answers a request itself (true) or lets it through to the app (false). */
export type Intercept = (req: IncomingMessage, res: ServerResponse, pathAndQuery: string) => boolean | Promise<boolean>;

/**
 * Home Assistant's ingress, in small: only paths under the prefix are forwarded (prefix stripped,
 * X-Ingress-Path added); anything else is 404 and recorded as escaped. Streams both ways, so
 * server-sent events pass through. `intercept` can answer some API paths itself (fake APIs).
 */
export async function startIngressProxy(targetBase: string, options: { token?: string; intercept?: Intercept } = {}): Promise<IngressProxy> {
  const prefix = `/api/hassio_ingress/${options.token ?? 'a1B2c3D4e5'}`;
  const target = new URL(targetBase);
  const seen: string[] = [];
  const escaped: string[] = [];
  const server = http.createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = req.url ?? '/';
    seen.push(url);
    if (url !== prefix && !url.startsWith(`${prefix}/`) && !url.startsWith(`${prefix}?`)) {
      escaped.push(url);
      res.writeHead(404, { 'content-type': 'text/plain' }).end('outside the ingress prefix');
      return;
    }
    let rest = url.slice(prefix.length) || '/';
    if (!rest.startsWith('/')) rest = `/${rest}`;
    void (async () => {
      if (options.intercept && (await options.intercept(req, res, rest))) return;
      forward(req, res, target, rest, { 'x-ingress-path': prefix, 'x-remote-user-name': 'tester' });
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    prefixUrl: `http://127.0.0.1:${port}${prefix}`,
    prefix,
    seen,
    escaped,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A test app listening on loopback for a browser, with its base URL (the panel is at `/`). */
export async function startPanelApp(env: Record<string, string> = {}, overrides: AppOverrides = {}): Promise<{ app: TestApp; baseUrl: string }> {
  const app = await makeTestApp(env, overrides);
  const server = await app.listen(0, '127.0.0.1');
  return { app, baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}
