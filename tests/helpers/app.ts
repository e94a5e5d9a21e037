import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createApp, type App, type AppOverrides } from '../../addon/app.js';
import { loadConfig } from '../../addon/config/load.js';
import type { RetryPolicy } from '../../addon/download/retry.js';
import { silentLogger, type Logger } from '../../addon/platform/logger.js';

export const TEST_SCRYPT = { N: 1024, r: 8, p: 1 };

/** Retries as in production, but in milliseconds rather than seconds. */
export const FAST_RETRY: RetryPolicy = { networkRetries: 3, serverRetries: 2, baseDelayMs: 20, jitter: 0.2 };

export interface TestApp extends App {
  root: string;
  dispose(): Promise<void>;
}

/** A fully wired app on temp dirs; `env` uses the same names as the real environment. */
export async function makeTestApp(env: Record<string, string> = {}, overrides: AppOverrides & { logger?: Logger } = {}): Promise<TestApp> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'm3udl-test-'));
  const config = loadConfig({
    // No free-space floor unless a test sets one: a nearly full CI disk must not hold every download.
    env: { DATA_DIR: path.join(root, 'data'), MEDIA_DIR: path.join(root, 'media'), MIN_FREE_SPACE_MB: '0', ...env },
    optionsPath: path.join(root, 'no-options.json'),
  });
  // Cheap password hashing: route tests sign in often; the scrypt cost is tested on its own.
  const app = await createApp(config, overrides.logger ?? silentLogger(), { retry: FAST_RETRY, scrypt: TEST_SCRYPT, ...overrides });
  await app.start();
  return Object.assign(app, {
    root,
    async dispose() {
      await app.stop();
      await rm(root, { recursive: true, force: true });
    },
  });
}

/** Polls until `check` returns a value (not undefined) or the time runs out. */
export async function waitFor<T>(check: () => T | undefined | Promise<T | undefined>, timeoutMs = 30_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
