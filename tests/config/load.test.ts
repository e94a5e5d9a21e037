import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../addon/config/load.js';

const none = '/nonexistent/options.json';

describe('loadConfig', () => {
  it('has embedded defaults', () => {
    const c = loadConfig({ env: {}, optionsPath: none });
    expect(c.port).toBe(8099);
    expect(c.data_dir).toBe(path.resolve('data'));
    expect(c.media_dir).toBe(path.resolve('media'));
    expect(c.tmp_dir).toBe(path.resolve('data/tmp'));
    expect(c.max_concurrent_downloads).toBe(3);
    expect(c.segment_concurrency).toBe(10);
    expect(c.api_key).toBeUndefined();
    expect(Object.isFrozen(c)).toBe(true);
  });

  it('reads options.json, and the environment wins over it', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'cfg-'));
    const file = path.join(dir, 'options.json');
    await writeFile(file, JSON.stringify({ port: 9000, segment_concurrency: 4, log_level: 'debug' }));
    const c = loadConfig({ env: { SEGMENT_CONCURRENCY: '6', DATA_DIR: dir }, optionsPath: file });
    expect([c.port, c.segment_concurrency, c.log_level, c.options_path]).toEqual([9000, 6, 'debug', file]);
    expect(c.tmp_dir).toBe(path.join(dir, 'tmp'));
  });

  it('lists every problem at once and never prints a secret', () => {
    const TOKEN = 'not-a-bot-token-Secret-Qz81';
    const MQTT = 'ftp://media:mqtt-Secret-Pw44@broker.local';
    try {
      loadConfig({ env: { PORT: 'eighty', MAX_CONCURRENT_DOWNLOADS: '0', LOG_LEVEL: 'loud', API_KEY: 'api-Secret-Key-19', TELEGRAM_BOT_TOKEN: TOKEN, MQTT_URL: MQTT }, optionsPath: none });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      const problems = (err as ConfigError).problems;
      const text = `${problems.join('\n')}\n${(err as Error).message}\n${String((err as Error).stack)}`;
      expect(problems.join('\n')).toMatch(/port="eighty"/);
      expect(problems.join('\n')).toMatch(/max_concurrent_downloads="0"/);
      expect(problems.join('\n')).toMatch(/log_level="loud"/);
      // The invalid secrets are named, their values never appear.
      expect(problems.join('\n')).toMatch(/telegram_bot_token=\[redacted\]/);
      expect(problems.join('\n')).toMatch(/mqtt_url=\[redacted\]/);
      for (const secret of [TOKEN, 'mqtt-Secret-Pw44', 'api-Secret-Key-19']) expect(text).not.toContain(secret);
    }
  });

  it('reports a broken options file instead of ignoring it', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'cfg-'));
    const file = path.join(dir, 'options.json');
    await writeFile(file, '{ not json');
    expect(() => loadConfig({ env: {}, optionsPath: file })).toThrow(/options\.json/);
  });
});
