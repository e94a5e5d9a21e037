import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { send } from '@koa/send';
import type { Context, Middleware } from 'koa';

/**
 * Serves the built panel (dist/panel, made by `npm run build:ui`) at /.
 *
 * - Hashed files under assets/ are cached for a year (immutable); everything else revalidates.
 * - Any other GET that is not under /api and does not name a file gets index.html (the panel
 *   routes with the URL hash, so this is only a safety net for reloads and deep links).
 * - index.html gets a `<base href>`: the Home Assistant ingress prefix from X-Ingress-Path when
 *   the request carries one, else a relative path back to the app's root. The panel resolves
 *   every asset and API URL against it, so nothing escapes a proxy prefix.
 */
export interface PanelOptions {
  /** The built panel; defaults to dist/panel under the project root. */
  dir?: string | undefined;
}

const ASSET_MAX_AGE_MS = 365 * 24 * 3600 * 1000;
const INGRESS_PATH = /^\/[A-Za-z0-9._~\-/]*$/;
const BASE_MARKER = '<!--panel-base-->';

export function defaultPanelDir(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, 'package.json'))) {
    const parent = path.dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  return path.join(dir, 'dist', 'panel');
}

/** The `<base href>` for one request: the ingress prefix, or "../" back to the app's root. */
export function baseHref(ingressPath: string | undefined, requestPath: string): string {
  if (ingressPath && INGRESS_PATH.test(ingressPath) && !ingressPath.includes('//') && !ingressPath.split('/').includes('..')) {
    return ingressPath.endsWith('/') ? ingressPath : `${ingressPath}/`;
  }
  const depth = Math.max(0, requestPath.split('/').length - 2);
  return depth === 0 ? './' : '../'.repeat(depth);
}

const escapeAttr = (s: string): string => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');

export const PANEL_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  // Posters and logos come from playlist providers.
  'img-src * data: blob:',
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
].join('; ');

/** Returns null when the panel has not been built (the API still works; / answers JSON). */
export function panelMiddleware(options: PanelOptions = {}): Middleware | null {
  const dir = path.resolve(options.dir ?? defaultPanelDir());
  const indexFile = path.join(dir, 'index.html');
  if (!existsSync(indexFile)) return null;

  // index.html is tiny; re-read it when a rebuild changes it (dev loop), not on every request.
  let cached: { mtimeMs: number; html: string } | null = null;
  const indexHtml = (): string => {
    const { mtimeMs } = statSync(indexFile);
    if (!cached || cached.mtimeMs !== mtimeMs) cached = { mtimeMs, html: readFileSync(indexFile, 'utf8') };
    return cached.html;
  };

  const serveIndex = (ctx: Context): void => {
    const base = baseHref(ctx.get('x-ingress-path') || undefined, ctx.path);
    const tag = `<base href="${escapeAttr(base)}">`;
    const source = indexHtml();
    const html = source.includes(BASE_MARKER) ? source.replace(BASE_MARKER, tag) : source.replace('<head>', `<head>${tag}`);
    ctx.set('Cache-Control', 'no-cache');
    ctx.set('Vary', 'X-Ingress-Path');
    ctx.set('Content-Security-Policy', PANEL_CSP);
    ctx.set('X-Content-Type-Options', 'nosniff');
    ctx.set('Referrer-Policy', 'same-origin');
    ctx.type = 'html';
    ctx.etag = `"${createHash('sha1').update(html).digest('base64url').slice(0, 22)}"`;
    ctx.status = 200;
    if (ctx.fresh) {
      ctx.status = 304;
      return;
    }
    ctx.body = html;
  };

  return async (ctx, next) => {
    if ((ctx.method !== 'GET' && ctx.method !== 'HEAD') || ctx.path === '/api' || ctx.path.startsWith('/api/')) return next();
    if (ctx.path === '/' || ctx.path === '/index.html') return serveIndex(ctx);

    const isAsset = ctx.path.startsWith('/assets/');
    try {
      ctx.set('X-Content-Type-Options', 'nosniff');
      ctx.set('Vary', 'Accept-Encoding');
      const served = await send(ctx, ctx.path, {
        root: dir,
        index: false,
        format: false,
        ...(isAsset ? { maxage: ASSET_MAX_AGE_MS, immutable: true } : {}),
        setHeaders: (res) => {
          if (!isAsset) res.setHeader('Cache-Control', 'no-cache');
        },
      });
      if (served) {
        ctx.status = 200;
        if (ctx.fresh) {
          (ctx.body as NodeJS.ReadableStream & { destroy?: () => void } | null)?.destroy?.();
          ctx.status = 304;
          ctx.body = null;
        }
        return;
      }
    } catch (err) {
      const status = (err as { status?: number }).status;
      if (status !== 404 && status !== 400) throw err;
    }
    ctx.remove('Vary');
    // A missing file with an extension (or under assets/) is a real 404; anything else is a
    // panel URL and gets the panel.
    if (isAsset || path.posix.extname(ctx.path) !== '') {
      ctx.status = 404;
      ctx.type = 'text';
      ctx.body = 'not found';
      return;
    }
    return serveIndex(ctx);
  };
}
