#!/usr/bin/env node
/**
 * Bundles the compiled server (tsc's dist/addon/main.js and everything it imports, our modules and
 * the npm packages) into dist/addon/main.js plus a few `bundle-*.js` chunks next to it.
 *
 * Why: Node 20 pays per module loaded: resolving it, reading it, and for every CommonJS package
 * imported from ESM a lexer pass over its source. The server loads ~250 of our modules and ~400
 * package files; from one bundle it starts with about half the CPU time (README, benchmark:
 * "server start-up"). Node 20 has no compile cache for ES modules (module.enableCompileCache is
 * Node 22), so fewer, larger files is the lever here.
 *
 * In place on purpose: tsc writes dist/addon/main.js, this replaces it. Whatever ran last, the
 * entry is never stale: either tsc's output or the bundle of tsc's current output. The other
 * files of dist/addon stay (the benchmark and tests import them).
 *
 * Kept out of the bundle: node builtins; mqtt and ssh2 (loaded only when a broker or an SFTP
 * destination is configured; ssh2 has an optional native addon); @ffmpeg-installer (located at
 * run time with require.resolve). Dynamic imports (prom-client for /metrics) become their own
 * chunk, loaded only when used. Not minified: stack traces keep function names, and
 * `node --enable-source-maps dist/addon/main.js` maps them to the compiled modules in dist/addon/
 * (their own maps, from tsc, lead on to addon/*.ts).
 */
import { existsSync } from 'node:fs';
import { readdir, readFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'rolldown';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outDir = path.join(root, 'dist', 'addon');
const entry = path.join(outDir, 'main.js');
const BANNER = '// m3u-downloader server bundle (scripts/bundle-server.mjs): the sources are addon/*.ts';
const EXTERNAL = [/^node:/, /^mqtt(\/|$)/, /^ssh2(\/|$)/, /^@ffmpeg-installer\//];

async function main() {
  if (!existsSync(entry)) throw new Error(`${path.relative(root, entry)} is missing: compile first (tsc -p tsconfig.build.json)`);
  if ((await readFile(entry, 'utf8')).startsWith(BANNER)) {
    console.log('bundle-server: dist/addon/main.js is already the bundle of the current build');
    return;
  }
  const started = performance.now();
  const staging = path.join(root, 'dist', '.bundle-staging');
  await rm(staging, { recursive: true, force: true });
  await build({
    input: { main: entry },
    platform: 'node',
    external: EXTERNAL,
    logLevel: 'warn',
    // depd (a koa dependency) uses eval for its deprecation wrappers; it works bundled as it does unbundled.
    onLog: (level, log, handler) => (log.code === 'EVAL' ? undefined : handler(level, log)),
    output: {
      dir: staging,
      format: 'esm',
      entryFileNames: '[name].js',
      chunkFileNames: 'bundle-[name]-[hash].js',
      banner: BANNER,
      sourcemap: true,
      // ASCII only: V8 keeps a module's source in memory for its whole life, and one character
      // beyond Latin-1 anywhere (a comment's dash, iconv-lite's tables) makes it two bytes per
      // character for the whole file. JSDoc stays in addon/*.ts (and the source map); licences stay.
      charset: 'ascii',
      comments: { legal: true, annotation: false, jsdoc: false },
    },
  });
  // Swap in: old chunks out, the new entry and chunks into dist/addon.
  for (const name of await readdir(outDir)) if (/^bundle-.*\.js(\.map)?$/.test(name)) await rm(path.join(outDir, name));
  const written = await readdir(staging);
  for (const name of written) await rename(path.join(staging, name), path.join(outDir, name));
  await rm(staging, { recursive: true, force: true });
  console.log(`bundle-server: dist/addon/main.js and ${written.filter((n) => n.startsWith('bundle-') && n.endsWith('.js')).length} chunks in ${Math.round(performance.now() - started)} ms`);
}

main().catch((err) => {
  console.error(`bundle-server: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
