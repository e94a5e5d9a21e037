import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { configSchema, ENV_ONLY_KEYS } from '../../addon/config/schema.js';

/**
 * The image as far as it can be checked without a Docker engine: the Dockerfile, config.yaml
 * and docker-compose.yml agree (build.yaml is retired, see below), and every program the code starts is installed in
 * the runtime stage.
 */
const root = path.resolve(import.meta.dirname, '../..');
const read = (file: string): Promise<string> => readFile(path.join(root, file), 'utf8');

interface Instruction {
  op: string;
  args: string;
  line: number;
}
interface Stage {
  from: string;
  name: string | null;
  instructions: Instruction[];
}

/** Instructions with continuation lines joined and comments dropped, split into stages. */
function parseDockerfile(text: string): { globalArgs: Map<string, string>; stages: Stage[] } {
  const instructions: Instruction[] = [];
  let current = '';
  let start = 0;
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (!current && (line === '' || line.startsWith('#'))) return;
    if (current && line.startsWith('#')) return;
    if (!current) start = i + 1;
    current += (current ? ' ' : '') + line.replace(/\\$/, '').trim();
    if (!line.endsWith('\\')) {
      const [op, ...rest] = current.split(/\s+/);
      instructions.push({ op: op!.toUpperCase(), args: rest.join(' '), line: start });
      current = '';
    }
  });
  const globalArgs = new Map<string, string>();
  const stages: Stage[] = [];
  for (const ins of instructions) {
    if (ins.op === 'FROM') {
      const m = /^(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?$/i.exec(ins.args)!;
      stages.push({ from: m[1]!, name: m[2] ?? null, instructions: [] });
    } else if (stages.length === 0 && ins.op === 'ARG') {
      const [k, v] = ins.args.split('=');
      globalArgs.set(k!, v ?? '');
    } else {
      stages.at(-1)?.instructions.push(ins);
    }
  }
  return { globalArgs, stages };
}

/** LABEL k="v" k2=v2 … -> map. */
function labels(stage: Stage): Map<string, string> {
  const out = new Map<string, string>();
  for (const ins of stage.instructions.filter((i) => i.op === 'LABEL')) {
    for (const m of ins.args.matchAll(/([\w.-]+)=("([^"]*)"|(\S+))/g)) out.set(m[1]!, m[3] ?? m[4]!);
  }
  return out;
}

/** Packages named by `apk add` in a stage's RUN lines. */
function apkPackages(stage: Stage): Set<string> {
  const out = new Set<string>();
  for (const ins of stage.instructions.filter((i) => i.op === 'RUN')) {
    for (const cmd of ins.args.split(/&&|;/)) {
      const m = /\bapk\s+add\b(.*)$/.exec(cmd);
      if (!m) continue;
      for (const word of m[1]!.trim().split(/\s+/)) if (word && !word.startsWith('-')) out.add(word.replace(/[=<>~].*$/, ''));
    }
  }
  return out;
}

async function sourceFiles(dir: string): Promise<string[]> {
  const entries = await readdir(path.join(root, dir), { withFileTypes: true, recursive: true });
  return entries.filter((e) => e.isFile() && e.name.endsWith('.ts')).map((e) => path.relative(root, path.join(e.parentPath, e.name)));
}

/** Where a program comes from in the runtime image (Alpine). */
const PACKAGE_OF: Record<string, string> = {
  node: 'nodejs',
  ffmpeg: 'ffmpeg',
  ffprobe: 'ffmpeg',
  smbclient: 'samba-client',
  rsync: 'rsync',
  ssh: 'openssh-client',
  'ssh-keyscan': 'openssh-keyscan',
  sftp: 'openssh-client',
  scp: 'openssh-client',
  setpriv: 'setpriv',
};
/** Programs busybox provides in every Alpine image. */
const BUSYBOX = new Set(['mkfifo', 'wget', 'sh', 'mkdir', 'rm', 'mv', 'cat']);
/**
 * Spawns whose program is a variable: what it holds. A new one fails the test until it is
 * listed here (and its program installed).
 */
const DYNAMIC_TARGETS: Record<string, string[]> = {
  'addon/platform/ffmpeg.ts binary': ['ffmpeg'],
  // ffmpeg started through setpriv --pdeathsig (parentDeathLauncher), and that launcher's own check.
  'addon/platform/ffmpeg.ts command': ['setpriv', 'ffmpeg'],
  'addon/platform/ffmpeg.ts launcher': ['setpriv'],
  // The generic runner: its callers name the programs, and are scanned themselves.
  'addon/library/destinations/run.ts program': [],
  'addon/library/destinations/smb.ts this.smbclient': ['smbclient'],
  'addon/library/destinations/rsync.ts this.rsync': ['rsync'],
  'addon/library/destinations/rsync.ts this.keyscanProgram': ['ssh-keyscan'],
};
const SPAWN = /\b(?:spawn|spawnSync|execFile|execFileSync|fork|runProgram)\(\s*(?:(['"`])([^'"`]+)\1|([A-Za-z_$][\w$.]*))/g;
/** `deps.programs?.smbclient ?? 'smbclient'`: a program's default name. */
const DEFAULT_PROGRAM = /programs\?\.\w+\s*\?\?\s*'([^']+)'/g;
const FIND_ON_PATH = /findOnPath\(\s*'([^']+)'/g;

async function spawnedPrograms(): Promise<{ programs: Map<string, string[]>; unknown: string[] }> {
  const programs = new Map<string, string[]>();
  const unknown: string[] = [];
  const add = (program: string, where: string): void => void programs.set(program, [...(programs.get(program) ?? []), where]);
  for (const file of await sourceFiles('addon')) {
    const text = (await read(file)).replace(/^\s*(\/\/|\*).*$/gm, '');
    for (const m of text.matchAll(SPAWN)) {
      if (m[2]) add(m[2], file);
      else if (m[3] && `${file} ${m[3]}` in DYNAMIC_TARGETS) DYNAMIC_TARGETS[`${file} ${m[3]}`]!.forEach((p) => add(p, file));
      else if (m[3]) unknown.push(`${file}: spawns \`${m[3]}\`; list it in DYNAMIC_TARGETS in tests/packaging/docker.test.ts with the program(s) it runs`);
    }
    for (const m of text.matchAll(DEFAULT_PROGRAM)) add(m[1]!, file);
    for (const m of text.matchAll(FIND_ON_PATH)) add(m[1]!, file);
  }
  return { programs, unknown };
}

const dockerfile = parseDockerfile(await read('Dockerfile'));
const runtime = dockerfile.stages.at(-1)!;
const manifest = parse(await read('config.yaml')) as { arch: string[]; version: string; ingress_port: number };
const configKeys = new Set(Object.keys(configSchema.shape).map((k) => k.toUpperCase()));

describe('Dockerfile', () => {
  it('pins one base image: ARG BUILD_FROM=<image:tag> in the Dockerfile, the only build file', async () => {
    const pinned = dockerfile.globalArgs.get('BUILD_FROM');
    expect(pinned, 'ARG BUILD_FROM=<image:tag> before the first FROM').toMatch(/^[\w./-]+:[\w.-]+(@sha256:[0-9a-f]{64})?$/);
    expect(pinned).not.toMatch(/:latest$/);
    for (const stage of dockerfile.stages) expect(stage.from, `every stage builds FROM \${BUILD_FROM}`).toBe('${BUILD_FROM}');
    // developers.home-assistant.io "App configuration" and the 2026-04-02 builder-migration post:
    // build.yaml is no longer used by the builder, Supervisor 2026.04+ warns when it finds one and
    // no longer passes BUILD_FROM; base image, labels and args belong in the Dockerfile.
    const files = await readdir(root);
    expect(files.filter((f) => /^build\.(ya?ml|json)$/.test(f)), 'build.yaml is retired: put build_from, labels and args in the Dockerfile').toEqual([]);
  });

  it('is multi-stage: backend and panel built apart from the runtime, which copies their output', () => {
    expect(dockerfile.stages.map((s) => s.name)).toEqual(['backend', 'panel', null]);
    const copies = runtime.instructions.filter((i) => i.op === 'COPY').map((i) => i.args);
    expect(copies.some((c) => c.startsWith('--from=backend') && c.includes('dist/addon'))).toBe(true);
    expect(copies.some((c) => c.startsWith('--from=panel') && c.includes('dist'))).toBe(true);
    expect(copies.some((c) => c.includes('node_modules'))).toBe(true);
    expect(apkPackages(runtime).has('npm'), 'the runtime needs no npm').toBe(false);
    // The panel stage builds the UI when there is one, and tolerates none.
    const panelRun = dockerfile.stages[1]!.instructions.filter((i) => i.op === 'RUN').map((i) => i.args).join(' ');
    expect(panelRun).toMatch(/ui\/package\.json/);
    expect(panelRun).toMatch(/build:ui/);
    expect(panelRun).toMatch(/mkdir -p dist/);
  });

  it('has a HEALTHCHECK on /api/health and starts the built server', () => {
    const health = runtime.instructions.find((i) => i.op === 'HEALTHCHECK');
    expect(health?.args).toMatch(/CMD .*\/api\/health/);
    expect(health?.args).toMatch(/\$\{PORT\}|8099/);
    const cmd = runtime.instructions.find((i) => i.op === 'CMD')!.args;
    expect(JSON.parse(cmd)).toEqual(['node', '--max-semi-space-size=4', '/app/dist/addon/main.js']);
    const expose = runtime.instructions.find((i) => i.op === 'EXPOSE')!.args;
    expect(expose).toBe(String(manifest.ingress_port));
  });

  it('carries the io.hass labels, consistent with config.yaml', () => {
    const l = labels(runtime);
    // "app" since the add-on -> app rename (developers.home-assistant.io docs/apps/configuration.md,
    // "App Dockerfile": io.hass.type="app"); the legacy builder used to add io.hass.type, name,
    // description and url itself, the new build actions do not, so all four are set here.
    expect(l.get('io.hass.type')).toBe('app');
    expect(l.get('io.hass.url')).toMatch(/^https:\/\//);
    expect(l.get('io.hass.arch')?.split('|').sort()).toEqual([...manifest.arch].sort());
    expect(l.get('io.hass.version')).toBe('${BUILD_VERSION}');
    expect(l.get('io.hass.name')).toBeTruthy();
    expect(l.get('io.hass.description')).toBeTruthy();
    const versionArg = runtime.instructions.find((i) => i.op === 'ARG' && i.args.startsWith('BUILD_VERSION'))!.args;
    expect(versionArg).toBe(`BUILD_VERSION=${manifest.version}`);
    expect(l.get('org.opencontainers.image.source')).toBe(l.get('io.hass.url'));
  });

  it('sets only environment variables the app reads', () => {
    const env = runtime.instructions.filter((i) => i.op === 'ENV').flatMap((i) => [...i.args.matchAll(/(\w+)=/g)].map((m) => m[1]!));
    const unknown = env.filter((k) => !configKeys.has(k) && !['NODE_ENV', 'OPTIONS_PATH'].includes(k));
    expect(unknown).toEqual([]);
    expect(env).toEqual(expect.arrayContaining(['DATA_DIR', 'MEDIA_DIR', 'PORT']));
  });

  it('installs every program the code starts in the runtime stage', async () => {
    const { programs, unknown } = await spawnedPrograms();
    expect(unknown).toEqual([]);
    expect([...programs.keys()]).toEqual(expect.arrayContaining(['ffmpeg', 'smbclient', 'rsync', 'ssh']));
    const installed = apkPackages(runtime);
    const missing: string[] = [];
    for (const [program, where] of programs) {
      if (BUSYBOX.has(program)) continue;
      const pkg = PACKAGE_OF[program];
      if (!pkg) missing.push(`${program} (started in ${[...new Set(where)].join(', ')}): add its Alpine package to the runtime stage's apk add and to PACKAGE_OF in tests/packaging/docker.test.ts`);
      else if (!installed.has(pkg)) missing.push(`${program}: the runtime stage must apk add ${pkg} (started in ${[...new Set(where)].join(', ')})`);
    }
    // The HEALTHCHECK's wget is busybox's; node runs the app.
    if (!installed.has(PACKAGE_OF.node!)) missing.push('node: apk add nodejs');
    expect(missing).toEqual([]);
  });

  it('keeps the build context small (.dockerignore)', async () => {
    const ignore = (await read('.dockerignore')).split('\n').map((l) => l.trim());
    for (const p of ['node_modules', 'dist', 'data', 'media', '.git']) expect(ignore).toContain(p);
  });
});

describe('docker-compose.yml (plain Docker on a NAS)', () => {
  it('mounts data and media, honours PUID/PGID/UMASK, and sets only variables the app reads', async () => {
    const compose = parse(await read('docker-compose.yml')) as { services: Record<string, Record<string, unknown>> };
    const [service] = Object.values(compose.services);
    expect(service).toBeDefined();
    const volumes = (service!.volumes as string[]).map((v) => v.split(':')[1]);
    expect(volumes).toEqual(expect.arrayContaining(['/data', '/media/m3u-downloader']));
    expect(service!.init).toBe(true);
    const env = service!.environment as Record<string, string>;
    expect(Object.keys(env)).toEqual(expect.arrayContaining(['PUID', 'PGID', 'UMASK']));
    const unknown = Object.keys(env).filter((k) => !configKeys.has(k) && k !== 'TZ');
    expect(unknown).toEqual([]);
    for (const k of ['puid', 'pgid', 'umask']) expect(ENV_ONLY_KEYS.has(k)).toBe(true);
    expect((service!.ports as string[])[0]).toMatch(new RegExp(`:${manifest.ingress_port}$`));
  });
});
