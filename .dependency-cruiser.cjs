/**
 * The dependency rules of addon/ (CONTRIBUTING.md "Dependency rules"), checked by `npm test`:
 *   depcruise addon --validate .dependency-cruiser.cjs
 * Type-only imports count (tsPreCompilationDeps): a type import still couples two modules.
 */

/** The pure core: parsing, classification, diffing, naming, discovery payloads, ffmpeg arguments. */
const PURE_CORE = [
  '^addon/domain/',
  '^addon/titles/',
  '^addon/hls/playlist[.]ts$',
  '^addon/hls/merge-args[.]ts$',
  '^addon/tracks/(languages|selection|webvtt|track-meta)[.]ts$',
  '^addon/dash/(mpd|sidx|probe)[.]ts$',
  '^addon/sources/(m3u-parser|classify|diff|identity|rules|normalize|quality|quality-filter)[.]ts$',
  '^addon/library/(naming|sanitize)[.]ts$',
  '^addon/notify/mqtt/discovery[.]ts$',
];

/** Modules that do I/O. */
const IO_MODULES = ['^(node:)?(fs|fs/promises|net|tls|dgram|child_process|http|https|http2)$', '^addon/platform/', '^addon/store/'];

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'Import cycles make modules impossible to understand, test or replace one at a time.',
      from: {},
      to: {
        circular: true,
      },
    },
    {
      name: 'library-does-not-depend-on-jobs',
      severity: 'error',
      comment: 'jobs/ uses the library (naming, destinations, transfers); the library names and moves files without knowing jobs (transfer-service takes a TransferJob).',
      from: { path: '^addon/library/' },
      to: { path: '^addon/jobs/' },
    },
    {
      name: 'notify-does-not-depend-on-http',
      severity: 'error',
      comment: 'http/ serves the notifiers\' status; notifiers share request shapes through jobs/ and domain/, never through http/.',
      from: { path: '^addon/notify/' },
      to: { path: '^addon/http/' },
    },
    {
      name: 'domain-is-a-leaf',
      severity: 'error',
      comment: 'addon/domain/ is the shared vocabulary every layer imports; it imports nothing of ours.',
      from: { path: '^addon/domain/' },
      to: { path: '^addon/', pathNot: '^addon/domain/' },
    },
    {
      name: 'pure-core-does-no-io',
      severity: 'error',
      comment: 'The pure core is table-tested without fakes: it must not reach the file system, the network, processes or the store.',
      from: { path: PURE_CORE },
      to: { path: IO_MODULES, reachable: true },
    },
    {
      name: 'routes-use-services',
      severity: 'error',
      comment: 'HTTP routes call services; only services talk to repositories and the store.',
      from: { path: '^addon/http/' },
      to: { path: ['^addon/store/', '-repository[.]ts$'] },
    },
    {
      name: 'only-repositories-touch-the-store',
      severity: 'error',
      comment:
        'db.json is read and written by repositories only (one per collection: jobs/job-repository, auth/auth-repository, ops/settings-repository, library/destination-repository, ...); services get a repository, app.ts wires them.',
      from: { path: '^addon/', pathNot: ['^addon/store/', '(^|/|-)repository[.]ts$', '^addon/app[.]ts$'] },
      to: { path: '^addon/store/db[.]ts$' },
    },
    {
      name: 'not-to-unresolvable',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default', 'types'], extensions: ['.ts', '.js'] },
    moduleSystems: ['es6', 'cjs'],
  },
};
