import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../addon/config/load.js';

const none = '/nonexistent/options.json';

function problems(env: Record<string, string>): string[] {
  try {
    loadConfig({ env, optionsPath: none });
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
}

describe('notification options', () => {
  it('has defaults that keep everything off but MQTT discovery of a broker', () => {
    const c = loadConfig({ env: {}, optionsPath: none });
    expect(c).toMatchObject({
      mqtt_enabled: true,
      mqtt_tls: false,
      mqtt_base_topic: 'm3u_downloader',
      mqtt_discovery: true,
      mqtt_discovery_prefix: 'homeassistant',
      supervisor_url: 'http://supervisor',
      homeassistant_events: true,
      telegram_chat_ids: [],
      telegram_commands: false,
      telegram_api_url: 'https://api.telegram.org',
    });
    expect(c.mqtt_url).toBeUndefined();
    expect(c.supervisor_token).toBeUndefined();
    expect(c.telegram_bot_token).toBeUndefined();
  });

  it('reads booleans and lists from the environment', () => {
    const c = loadConfig({
      env: { MQTT_TLS: 'yes', MQTT_DISCOVERY: 'off', TELEGRAM_COMMANDS: '1', TELEGRAM_BOT_TOKEN: '123:abcdefghijklmnopqrstuvwxyz', TELEGRAM_CHAT_IDS: '111, -100222;@my_channel', SUPERVISOR_URL: 'http://127.0.0.1:4000/' },
      optionsPath: none,
    });
    expect([c.mqtt_tls, c.mqtt_discovery, c.telegram_commands]).toEqual([true, false, true]);
    expect(c.telegram_chat_ids).toEqual(['111', '-100222', '@my_channel']);
    expect(c.supervisor_url).toBe('http://127.0.0.1:4000');
  });

  it('reads lists and numbers from options.json', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'cfg-'));
    const file = path.join(dir, 'options.json');
    await writeFile(file, JSON.stringify({ mqtt_host: 'core-mosquitto', mqtt_port: 1884, telegram_bot_token: '1:abcdefghijklmnopqrstuvwxyz', telegram_chat_ids: [111, '-100222'], homeassistant_notify_service: 'notify.mobile_app_phone' }));
    const c = loadConfig({ env: {}, optionsPath: file });
    expect([c.mqtt_host, c.mqtt_port, c.telegram_chat_ids, c.homeassistant_notify_service]).toEqual(['core-mosquitto', 1884, ['111', '-100222'], 'notify.mobile_app_phone']);
  });

  it('lists every problem at once and never prints a secret', () => {
    const found = problems({
      MQTT_BASE_TOPIC: 'homeassistant',
      MQTT_URL: 'http://user:MqttSecret1@broker',
      MQTT_TLS: 'maybe',
      TELEGRAM_BOT_TOKEN: 'not-a-token-secret',
      TELEGRAM_CHAT_IDS: 'abc',
      HOMEASSISTANT_NOTIFY_SERVICE: 'Notify Me',
    }).join('\n');
    expect(found).toMatch(/mqtt_url=\[redacted\]: must be a URL starting with mqtt:\/\//);
    expect(found).toMatch(/mqtt_tls="maybe": must be true or false/);
    expect(found).toMatch(/telegram_bot_token=\[redacted\]: must look like/);
    expect(found).toMatch(/telegram_chat_ids.0="abc": must be numeric chat ids/);
    expect(found).toMatch(/homeassistant_notify_service="Notify Me": must be a service/);
    expect(found).not.toContain('MqttSecret1');
    expect(found).not.toContain('not-a-token-secret');
  });

  it.each([
    [{ MQTT_BASE_TOPIC: 'homeassistant' }, /mqtt_base_topic="homeassistant": must differ from mqtt_discovery_prefix/],
    [{ MQTT_BASE_TOPIC: 'ha/m3u', MQTT_DISCOVERY_PREFIX: 'ha' }, /must differ from mqtt_discovery_prefix/],
    [{ MQTT_BASE_TOPIC: 'm3u/#' }, /must not contain spaces, \+ or #/],
    [{ MQTT_BASE_TOPIC: '/m3u' }, /must not start or end with \//],
    [{ TELEGRAM_BOT_TOKEN: '123:abcdefghijklmnopqrstuvwxyz' }, /telegram_chat_ids.*is required when telegram_bot_token is set/],
  ])('refuses %j', (env, message) => expect(problems(env).join('\n')).toMatch(message));
});
