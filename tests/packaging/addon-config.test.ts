import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { z } from 'zod';
import { loadConfig } from '../../addon/config/load.js';
import { configSchema, ENV_ONLY_KEYS, SECRET_KEYS } from '../../addon/config/schema.js';
import { describeZod, haNodeProblems, schemaNodeProblems, suggestHaType, typeProblems, type HaSchemaNode } from '../helpers/addon-schema.js';

/**
 * config.yaml (the Home Assistant app manifest) against the loader's schema, key by key. When
 * an option is added to addon/config/schema.ts these tests say exactly what config.yaml and
 * translations/en.yaml need (or that the key belongs in ENV_ONLY_KEYS).
 */
const root = path.resolve(import.meta.dirname, '../..');
const readYaml = async (file: string): Promise<any> => parse(await readFile(path.join(root, file), 'utf8')); // eslint-disable-line @typescript-eslint/no-explicit-any

const manifest = await readYaml('config.yaml');
const translations = await readYaml('translations/en.yaml');
const pkg = JSON.parse(await readFile(path.join(root, 'package.json'), 'utf8')) as { version: string };
const shape = configSchema.shape as Record<string, z.ZodType>;
const loaderKeys = Object.keys(shape).filter((k) => !ENV_ONLY_KEYS.has(k));
const schema = manifest.schema as Record<string, HaSchemaNode>;
const options = manifest.options as Record<string, unknown>;

describe('config.yaml options and schema', () => {
  it('has an option and a schema entry for every setting of addon/config/schema.ts', () => {
    const problems: string[] = [];
    for (const key of loaderKeys) {
      const d = describeZod(shape[key]!);
      const type = suggestHaType(d, SECRET_KEYS.has(key));
      if (!(key in schema)) {
        problems.push(
          `"${key}" is in addon/config/schema.ts but missing from config.yaml's schema: add \`${key}: ${JSON.stringify(type)}\`` +
            `${d.hasDefault ? ` and under options \`${key}: ${JSON.stringify(d.defaultValue)}\`` : ' (optional, so no options entry)'}` +
            `, and a name and description in translations/en.yaml — or, if it is not for app users (a path, a test hook), list it in ENV_ONLY_KEYS in addon/config/schema.ts`,
        );
      } else if (d.hasDefault && !(key in options)) {
        problems.push(`"${key}" has a default in addon/config/schema.ts but no value under config.yaml's options: add \`${key}: ${JSON.stringify(d.defaultValue)}\``);
      }
    }
    expect(problems).toEqual([]);
  });

  it('has no option the loader does not know', () => {
    const unknown = [...new Set([...Object.keys(schema), ...Object.keys(options)])]
      .filter((k) => !loaderKeys.includes(k))
      .map((k) => (ENV_ONLY_KEYS.has(k) ? `"${k}" is in config.yaml but listed in ENV_ONLY_KEYS` : `"${k}" is in config.yaml but not in addon/config/schema.ts: the app would ignore it`));
    expect(unknown).toEqual([]);
    const optionsWithoutSchema = Object.keys(options).filter((k) => !(k in schema));
    expect(optionsWithoutSchema, 'every option needs a schema entry').toEqual([]);
  });

  it('uses only valid add-on schema types', () => {
    expect(Object.entries(schema).flatMap(([k, node]) => schemaNodeProblems(node, k))).toEqual([]);
  });

  it('gives defaults that satisfy their schema, and omits options whose type is optional', () => {
    const problems = Object.entries(options).flatMap(([k, v]) => (k in schema ? haNodeProblems(schema[k]!, v, k) : []));
    for (const [k, node] of Object.entries(schema)) {
      const optional = typeof node === 'string' ? node.endsWith('?') : Array.isArray(node) && typeof node[0] === 'string' && node[0].endsWith('?');
      if (!optional && !(k in options)) problems.push(`${k}: required by the schema but no value under options`);
      if (optional && typeof node === 'string' && k in options) problems.push(`${k}: optional (?) types take no default in options`);
    }
    expect(problems).toEqual([]);
  });

  it("agrees with the loader's types, ranges, enums and secrets", () => {
    const problems = loaderKeys.filter((k) => k in schema).flatMap((k) => typeProblems(k, describeZod(shape[k]!), schema[k]!, SECRET_KEYS.has(k)));
    expect(problems).toEqual([]);
  });

  it("has the loader's defaults, and the loader accepts config.yaml's options as an options.json", async () => {
    const problems: string[] = [];
    for (const key of loaderKeys) {
      const d = describeZod(shape[key]!);
      if (!d.hasDefault || !(key in options)) continue;
      const fromYaml = shape[key]!.safeParse(options[key]);
      const fromZod = shape[key]!.parse(undefined);
      if (!fromYaml.success) problems.push(`${key}: the loader rejects config.yaml's default ${JSON.stringify(options[key])}: ${fromYaml.error.issues[0]?.message}`);
      else if (JSON.stringify(fromYaml.data) !== JSON.stringify(fromZod)) problems.push(`${key}: config.yaml's default ${JSON.stringify(options[key])} differs from the loader's ${JSON.stringify(fromZod)}`);
    }
    expect(problems).toEqual([]);
    const dir = await mkdtemp(path.join(os.tmpdir(), 'm3udl-options-'));
    await writeFile(path.join(dir, 'options.json'), JSON.stringify(options));
    const config = loadConfig({ env: { SUPERVISOR_TOKEN: 'x', DATA_DIR: dir, MEDIA_DIR: dir }, optionsPath: path.join(dir, 'options.json') });
    expect(config.options_path).toBe(path.join(dir, 'options.json'));
    expect(config.mode).toBe('addon');
    expect(config.trusted_proxies).toEqual(['172.30.32.2']);
  });

  it('has a translation (name and description) for every option, and none for unknown ones', () => {
    const fields = (translations.configuration ?? {}) as Record<string, { name?: string; description?: string }>;
    const problems: string[] = [];
    for (const key of Object.keys(schema)) {
      const t = fields[key];
      if (!t) problems.push(`translations/en.yaml has no entry for "${key}": add configuration.${key}.name and .description`);
      else {
        if (!t.name?.trim()) problems.push(`translations/en.yaml: configuration.${key}.name is empty`);
        if (!t.description?.trim()) problems.push(`translations/en.yaml: configuration.${key}.description is empty`);
      }
    }
    for (const key of Object.keys(fields)) if (!(key in schema)) problems.push(`translations/en.yaml names "${key}", which config.yaml's schema does not have`);
    for (const port of Object.keys(manifest.ports ?? {})) if (!translations.network?.[port]) problems.push(`translations/en.yaml has no network description for ${port}`);
    expect(problems).toEqual([]);
  });
});

describe('config.yaml manifest', () => {
  it('follows the 2025-2026 app conventions', () => {
    expect(manifest).toMatchObject({
      name: expect.any(String),
      slug: expect.stringMatching(/^[a-z0-9_]+$/),
      description: expect.any(String),
      url: expect.stringMatching(/^https:\/\//),
      startup: 'application',
      boot: 'auto',
      ingress: true,
      panel_icon: expect.stringMatching(/^mdi:[a-z0-9-]+$/),
      panel_title: expect.any(String),
      homeassistant_api: true,
    });
    expect(manifest.version).toBe(pkg.version);
    expect([...manifest.arch].sort()).toEqual(['aarch64', 'amd64']);
    expect(manifest.services).toContain('mqtt:want');
    expect(manifest.watchdog, 'watchdog is discouraged: the image has a HEALTHCHECK').toBeUndefined();
    // The same port serves ingress; the loader's default port is the one the image listens on.
    expect(manifest.ingress_port).toBe(shape.port!.parse(undefined));
    const map = manifest.map as { type: string; read_only?: boolean }[];
    expect(map.find((m) => m.type === 'media')).toMatchObject({ read_only: false });
    expect(map.find((m) => m.type === 'share')).toMatchObject({ read_only: false });
    expect(map.some((m) => m.type === 'app_config')).toBe(true);
    expect(map.some((m) => ['addon_config', 'config'].includes(m.type)), 'use app_config, not the legacy names').toBe(false);
    // What the Supervisor's app-config validation (2026) logs as deprecated: the add-on-named map
    // types (addons, all_addon_configs, addon_config -> local_apps, all_app_configs, app_config),
    // codenotary, snapshot* (now backup*), auto_uart, startup before/after, and the retired arches.
    expect(map.filter((m) => ['addons', 'all_addon_configs', 'addon_config', 'config'].includes(m.type))).toEqual([]);
    expect(Object.keys(manifest).filter((k) => k === 'codenotary' || k.startsWith('snapshot') || k === 'auto_uart')).toEqual([]);
    expect(['before', 'after']).not.toContain(manifest.startup);
    expect(manifest.arch.filter((a: string) => ['armhf', 'armv7', 'i386'].includes(a))).toEqual([]);
    expect(manifest.backup_exclude).toContain('tmp/*');
    // The Supervisor's own limits (supervisor/addons/validate.py).
    expect(manifest.timeout).toBeGreaterThanOrEqual(10);
    expect(manifest.timeout).toBeLessThanOrEqual(300);
  });

  it('is the only app manifest in the repository (the Supervisor takes every config.yaml/json it finds)', () => {
    let tracked: string[];
    try {
      tracked = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard'], { cwd: root, encoding: 'utf8' }).split('\n');
    } catch {
      // Not a git checkout: walk the tree, skipping what git would ignore.
      const skip = new Set(['node_modules', 'dist', 'data', 'media', 'test-artifacts', 'coverage']);
      tracked = readdirSync(root, { recursive: true, withFileTypes: true })
        .filter((e) => e.isFile())
        .map((e) => path.relative(root, path.join(e.parentPath, e.name)))
        .filter((f) => !f.split(path.sep).some((part) => skip.has(part)));
    }
    const manifests = tracked.filter((f) => /(^|\/)config\.(ya?ml|json)$/.test(f) && !f.split('/').some((part) => part.startsWith('.') || part === 'rootfs'));
    expect(manifests).toEqual(['config.yaml']);
  });

  it('has repository.yaml, DOCS.md, CHANGELOG.md and the images', async () => {
    const repo = await readYaml('repository.yaml');
    expect(repo).toMatchObject({ name: expect.any(String), url: manifest.url, maintainer: expect.any(String) });
    const docs = await readFile(path.join(root, 'DOCS.md'), 'utf8');
    for (const key of Object.keys(schema)) expect(docs, `DOCS.md should explain ${key}`).toContain(`\`${key}\``);
    const changelog = await readFile(path.join(root, 'CHANGELOG.md'), 'utf8');
    expect(changelog).toContain(`## ${pkg.version}`);
    const png = async (file: string) => {
      const buf = await readFile(path.join(root, file));
      expect(buf.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])), `${file} is a PNG`).toBe(true);
      expect(buf.subarray(12, 16).toString('ascii')).toBe('IHDR');
      return { width: buf.readUInt32BE(16), height: buf.readUInt32BE(20) };
    };
    expect(await png('icon.png')).toEqual({ width: 128, height: 128 });
    const logo = await png('logo.png');
    expect(logo.width).toBeGreaterThanOrEqual(logo.height);
  });
});
