import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { configSchema, SECRET_KEYS, SUPERVISOR_ADDRESS, type Config } from './schema.js';

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

export interface ConfigSources {
  env: Record<string, string | undefined>;
  /** The add-on's options file; read when it exists. */
  optionsPath?: string;
}

const DEFAULT_OPTIONS_PATH = '/data/options.json';

/**
 * The only reader of the environment and of options.json. Precedence: defaults, then
 * options.json, then environment variables. Every problem is reported at once.
 */
export function loadConfig(sources: ConfigSources): Config {
  const optionsPath = sources.optionsPath ?? sources.env.OPTIONS_PATH ?? DEFAULT_OPTIONS_PATH;
  const problems: string[] = [];
  const raw: Record<string, unknown> = {};

  let usedOptions: string | null = null;
  if (existsSync(optionsPath)) {
    try {
      const parsed: unknown = JSON.parse(readFileSync(optionsPath, 'utf8'));
      if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) {
        Object.assign(raw, parsed);
        usedOptions = optionsPath;
      } else {
        problems.push(`${optionsPath}: must hold a JSON object`);
      }
    } catch (err) {
      problems.push(`${optionsPath}: ${(err as Error).message}`);
    }
  }

  for (const key of Object.keys(configSchema.shape)) {
    const value = sources.env[key.toUpperCase()];
    if (value !== undefined && value !== '') raw[key] = value;
  }

  const result = configSchema.safeParse(raw);
  if (!result.success) {
    for (const issue of result.error.issues) {
      const key = issue.path.join('.');
      // A list item's issue (telegram_chat_ids.0) shows the option it belongs to.
      const option = String(issue.path[0] ?? '');
      const value = SECRET_KEYS.has(option) ? '[redacted]' : JSON.stringify(raw[option]);
      problems.push(`${key}=${value}: ${issue.message}`);
    }
  }
  if (problems.length > 0 || !result.success) throw new ConfigError(problems);

  const data = result.data;
  const dataDir = path.resolve(data.data_dir);
  return Object.freeze({
    ...data,
    data_dir: dataDir,
    media_dir: path.resolve(data.media_dir),
    tmp_dir: path.resolve(data.tmp_dir ?? path.join(dataDir, 'tmp')),
    options_path: usedOptions,
    mode: data.supervisor_token ? 'addon' : 'standalone',
    trusted_proxies: data.trusted_proxies ?? (data.supervisor_token ? [SUPERVISOR_ADDRESS] : []),
  });
}
