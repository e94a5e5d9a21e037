import { cpSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { zipSync } from 'fflate';
import { build, defineConfig, type Plugin } from 'vite';
import { buildManifest, type Target } from './manifest.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');
const outBase = path.join(root, 'dist/extension');
const chromiumDir = path.join(outBase, 'chromium');
const version = (JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string }).version;

function filesUnder(dir: string, prefix = ''): Array<[string, string]> {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    const rel = prefix ? `${prefix}/${name}` : name;
    return statSync(full).isDirectory() ? filesUnder(full, rel) : [[rel, full] as [string, string]];
  });
}

function zipDir(dir: string, file: string): void {
  const entries: Record<string, Uint8Array> = {};
  for (const [rel, full] of filesUnder(dir).sort(([a], [b]) => a.localeCompare(b))) entries[rel] = readFileSync(full);
  // A fixed timestamp: the same sources give the same .zip.
  writeFileSync(file, zipSync(entries, { level: 9, mtime: new Date('2026-01-01T00:00:00Z') }));
}

/**
 * After the pages are built: the background script as one classic file (a Firefox event page
 * cannot be a module everywhere, and a worker needs no chunks), then each target's manifest,
 * the Firefox copy, and a .zip of each.
 */
function packageExtension(): Plugin {
  return {
    name: 'package-extension',
    apply: 'build',
    async closeBundle() {
      await build({
        configFile: false,
        logLevel: 'warn',
        build: {
          outDir: chromiumDir,
          emptyOutDir: false,
          target: 'es2022',
          minify: false,
          lib: { entry: path.join(here, 'src/background.ts'), formats: ['iife'], name: 'm3udlBackground', fileName: () => 'background.js' },
        },
      });
      const firefoxDir = path.join(outBase, 'firefox');
      rmSync(firefoxDir, { recursive: true, force: true });
      cpSync(chromiumDir, firefoxDir, { recursive: true });
      const targets: Array<[Target, string]> = [['chromium', chromiumDir], ['firefox', firefoxDir]];
      for (const [target, dir] of targets) {
        writeFileSync(path.join(dir, 'manifest.json'), `${JSON.stringify(buildManifest(target, version), null, 2)}\n`);
        zipDir(dir, path.join(outBase, `m3u-downloader-${target}-${version}.zip`));
      }
    },
  };
}

export default defineConfig({
  root: path.join(here, 'src'),
  base: './',
  publicDir: path.join(here, 'public'),
  plugins: [packageExtension()],
  build: {
    outDir: chromiumDir,
    emptyOutDir: true,
    target: 'es2022',
    // Extension pages forbid inline scripts; no preload polyfill, readable output for reviewers.
    modulePreload: false,
    minify: false,
    assetsInlineLimit: 0,
    rollupOptions: { input: { popup: path.join(here, 'src/popup.html'), options: path.join(here, 'src/options.html') } },
  },
});
