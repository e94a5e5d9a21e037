/** Building the extension and loading it into Debian's Chromium (persistent profile, new headless). */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Worker } from 'playwright-core';
import { CHROMIUM, ROOT } from '../ui/harness.js';

export const EXTENSION_DIST = path.join(ROOT, 'dist/extension');

function newestMtime(p: string): number {
  const s = statSync(p);
  if (!s.isDirectory()) return s.mtimeMs;
  return Math.max(0, ...readdirSync(p).map((name) => newestMtime(path.join(p, name))));
}

/** `npm test` builds the extension first; a vitest run alone rebuilds it when the sources are newer. */
export function ensureExtensionBuilt(): void {
  const marker = path.join(EXTENSION_DIST, 'firefox/manifest.json');
  const sources = Math.max(newestMtime(path.join(ROOT, 'extension')), statSync(path.join(ROOT, 'package.json')).mtimeMs);
  if (existsSync(marker) && statSync(marker).mtimeMs >= sources) return;
  const r = spawnSync(process.execPath, [path.join(ROOT, 'node_modules/vite/bin/vite.js'), 'build', '--config', 'extension/vite.config.ts', '--logLevel', 'warn'], { cwd: ROOT, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`extension build failed:\n${r.stdout}\n${r.stderr}`);
}

export interface LoadedExtension {
  context: BrowserContext;
  worker: Worker;
  id: string;
  close(): Promise<void>;
}

/** Extensions need a persistent profile; the temporary one is removed on close. */
export async function launchWithExtension(dir = path.join(EXTENSION_DIST, 'chromium')): Promise<LoadedExtension> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install chromium (.ci/run does)`);
  const profile = await mkdtemp(path.join(os.tmpdir(), 'm3udl-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless=new',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-dev-shm-usage',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      `--disable-extensions-except=${dir}`,
      `--load-extension=${dir}`,
    ],
  });
  const worker = context.serviceWorkers()[0] ?? (await context.waitForEvent('serviceworker', { timeout: 15_000 }));
  const id = new URL(worker.url()).host;
  return {
    context,
    worker,
    id,
    async close() {
      await context.close().catch(() => undefined);
      await rm(profile, { recursive: true, force: true });
    },
  };
}
