import { describe, expect, it, vi } from 'vitest';
import { describeError } from '../../addon/notify/errors.js';
import { brokerFromConfig } from '../../addon/notify/mqtt/broker.js';
import type { JobService } from '../../addon/jobs/job-service.js';
import type { AppEvents } from '../../addon/events/app-events.js';
import { silentLogger } from '../../addon/platform/logger.js';
import type { MqttLink } from '../../addon/notify/mqtt/client.js';
import { MqttCommands, parseAction, parseAdd, parseSwitch } from '../../addon/notify/mqtt/commands.js';
import { deviceDiscovery, deviceName, jobDiscovery, jobIdFromConfigTopic } from '../../addon/notify/mqtt/discovery.js';
import { entitySlug, mqttTopics, nodeIdOf, shortJobId } from '../../addon/notify/mqtt/topics.js';
import { KeyedThrottle } from '../../addon/notify/mqtt/throttle.js';

const topics = mqttTopics('m3u_downloader', 'homeassistant');
const ctx = { topics, version: '1.2.3' };

describe('topics', () => {
  it('puts everything under the base topic and discovery under the prefix', () => {
    expect(topics).toMatchObject({
      availability: 'm3u_downloader/availability',
      state: 'm3u_downloader/state',
      add: 'm3u_downloader/download/add',
      added: 'm3u_downloader/download/added',
      result: 'm3u_downloader/download/result',
      syncRun: 'm3u_downloader/sync/run',
      queuePauseSet: 'm3u_downloader/queue/pause/set',
      haStatus: 'homeassistant/status',
      deviceConfig: 'homeassistant/device/m3u_downloader/config',
      jobConfigWildcard: 'homeassistant/sensor/m3u_downloader/+/config',
    });
    expect(topics.action('cancel')).toBe('m3u_downloader/download/cancel');
    expect(topics.jobConfig('ab-12')).toBe('homeassistant/sensor/m3u_downloader/job_ab-12/config');
  });

  it.each([
    ['m3u_downloader', 'm3u_downloader'],
    ['home/m3u', 'home_m3u'],
    ['Downloads-NAS', 'Downloads-NAS'],
    ['a b.c', 'a_b_c'],
  ])('node id of %s is %s', (base, node) => expect(nodeIdOf(base)).toBe(node));

  it.each([
    ['Downloads-NAS_queue', 'downloads_nas_queue'],
    ['m3u__x', 'm3u_x'],
  ])('entity slug of %s is %s', (s, slug) => expect(entitySlug(s)).toBe(slug));

  it('finds the job id in a job sensor config topic, and nothing in others', () => {
    expect(jobIdFromConfigTopic(topics, topics.jobConfig('1f2e-aa'))).toBe('1f2e-aa');
    expect(jobIdFromConfigTopic(topics, 'homeassistant/sensor/other/job_1/config')).toBeNull();
    expect(jobIdFromConfigTopic(topics, 'homeassistant/sensor/m3u_downloader/queue/config')).toBeNull();
  });
});

describe('discovery payloads', () => {
  const { topic, payload } = deviceDiscovery(ctx);
  const cmps = payload.cmps as Record<string, Record<string, unknown>>;

  it('is one device-based config with device, origin, availability and QoS 1', () => {
    expect(topic).toBe('homeassistant/device/m3u_downloader/config');
    expect(payload).toMatchObject({
      dev: { ids: ['m3u_downloader'], name: 'M3U Downloader', sw: '1.2.3' },
      o: { name: 'm3u-downloader', sw: '1.2.3' },
      availability_topic: 'm3u_downloader/availability',
      payload_available: 'online',
      payload_not_available: 'offline',
      qos: 1,
    });
  });

  it.each([
    ['queue_length', 'sensor', { state_topic: 'm3u_downloader/state', value_template: '{{ value_json.queue_length }}', state_class: 'measurement' }],
    ['active_downloads', 'sensor', { value_template: '{{ value_json.active }}' }],
    ['total_speed', 'sensor', { device_class: 'data_rate', unit_of_measurement: 'B/s', value_template: '{{ value_json.speed }}' }],
    ['free_space', 'sensor', { device_class: 'data_size', unit_of_measurement: 'B', entity_category: 'diagnostic' }],
    ['last_completed', 'sensor', { state_topic: 'm3u_downloader/last_completed', json_attributes_topic: 'm3u_downloader/last_completed' }],
    ['last_failed', 'sensor', { state_topic: 'm3u_downloader/last_failed', json_attributes_topic: 'm3u_downloader/last_failed' }],
    ['downloading', 'binary_sensor', { device_class: 'running', value_template: "{{ 'ON' if value_json.active > 0 else 'OFF' }}" }],
    ['sync_all', 'button', { name: 'Sync all sources', command_topic: 'm3u_downloader/sync/run', payload_press: 'PRESS' }],
    ['pause_queue', 'switch', { name: 'Pause queue', command_topic: 'm3u_downloader/queue/pause/set', state_topic: 'm3u_downloader/state' }],
    ['download_url', 'text', { command_topic: 'm3u_downloader/download/add', max: 255 }],
    ['limit_speed', 'switch', { name: 'Limit speed', command_topic: 'm3u_downloader/speed/limit/set', state_topic: 'm3u_downloader/state' }],
    ['speed_limit', 'number', { name: 'Speed limit', command_topic: 'm3u_downloader/speed/limit_kbps/set', unit_of_measurement: 'KiB/s', min: 8 }],
    ['alert_disk_low', 'binary_sensor', { device_class: 'problem', state_topic: 'm3u_downloader/state', entity_category: 'diagnostic' }],
    ['alert_failure_rate', 'binary_sensor', { device_class: 'problem' }],
    ['alert_queue_long', 'binary_sensor', { device_class: 'problem' }],
    ['alert_destination_down', 'binary_sensor', { device_class: 'problem' }],
    ['alert_job_stalled', 'binary_sensor', { device_class: 'problem' }],
  ])('%s is a %s with a stable unique id and default_entity_id', (key, platform, fields) => {
    expect(cmps[key]).toMatchObject({ p: platform, unique_id: `m3u_downloader_${key}`, default_entity_id: `${platform}.m3u_downloader_${key}`, ...fields });
    expect(cmps[key]).not.toHaveProperty('object_id');
  });

  it('has unique ids that are distinct across instances and stable across calls', () => {
    const again = deviceDiscovery(ctx).payload.cmps as Record<string, Record<string, unknown>>;
    const other = deviceDiscovery({ topics: mqttTopics('nas2', 'homeassistant'), version: '1' }).payload.cmps as Record<string, Record<string, unknown>>;
    const ids = (c: Record<string, Record<string, unknown>>) => Object.values(c).map((x) => x.unique_id);
    expect(ids(again)).toEqual(ids(cmps));
    expect(new Set([...ids(cmps), ...ids(other)]).size).toBe(ids(cmps).length * 2);
    expect(deviceName('nas2')).toBe('M3U Downloader (nas2)');
  });

  it('gives a job a per-entity progress sensor linked to the device, keyed and named by its short id', () => {
    const id = '9b1c77e0-4f1a-4c2b-9d3e-0a1b2c3d4e5f';
    const job = jobDiscovery(ctx, { id, shortId: shortJobId(id) });
    expect(job.topic).toBe('homeassistant/sensor/m3u_downloader/job_9b1c77e0/config');
    expect(job.payload).toMatchObject({
      name: 'Download 9b1c77e0',
      unique_id: 'm3u_downloader_job_9b1c77e0',
      default_entity_id: 'sensor.m3u_downloader_job_9b1c77e0',
      state_topic: `m3u_downloader/job/${id}`,
      json_attributes_topic: `m3u_downloader/job/${id}`,
      value_template: '{{ value_json.progress }}',
      unit_of_measurement: '%',
      device: { identifiers: ['m3u_downloader'] },
      origin: { name: 'm3u-downloader' },
      availability_topic: 'm3u_downloader/availability',
      qos: 1,
    });
  });

  it('derives short ids from the UUID: 8 hex digits, longer on request, other ids kept whole', () => {
    expect(shortJobId('3F2A9C1E-0000-4000-8000-000000000001')).toBe('3f2a9c1e');
    expect(shortJobId('3f2a9c1e-0000-4000-8000-000000000001', 12)).toBe('3f2a9c1e0000');
    expect(shortJobId('3f2a9c1e-0000-4000-8000-000000000001', 4)).toBe('3f2a9c1e');
    expect(shortJobId('job 1')).toBe('job_1');
  });
});

describe('MQTT command payloads', () => {
  it.each([
    ['https://cdn.example/a.m3u8', { input: { url: 'https://cdn.example/a.m3u8' } }],
    ['"https://cdn.example/a.m3u8"', { input: { url: 'https://cdn.example/a.m3u8' } }],
    ['{"url": "https://cdn.example/a.m3u8", "title": "T", "quality": "720P", "request_id": 5}', { input: { url: 'https://cdn.example/a.m3u8', title: 'T', quality: '720p' }, request_id: 5 }],
  ])('add %s', (text, expected) => expect(parseAdd(text)).toEqual(expected));

  it.each([
    ['', /empty payload/],
    ['{', /invalid JSON/],
    ['null', /url: must be an http\(s\) URL/],
    ['"not a url"', /url: must be an http\(s\) URL/],
    ['[]', /expected a JSON object/],
    ['{"title": "no url"}', /url/],
    ['javascript:alert(1)', /must be an http\(s\) URL/],
  ])('add rejects %j', (text, message) => {
    let error: unknown;
    try {
      parseAdd(text);
    } catch (err) {
      error = err;
    }
    expect(describeError(error).message).toMatch(message);
  });

  it.each([
    ['abc-123', { id: 'abc-123' }],
    ['{"id": "abc", "request_id": "r"}', { id: 'abc', request_id: 'r' }],
  ])('action %s', (text, expected) => expect(parseAction(text)).toEqual(expected));

  it.each(['', 'two words', '{"id": 1}', '{"id": "a", "extra": 1}', '{'])('action rejects %j', (text) => expect(() => parseAction(text)).toThrow());

  it.each([
    ['ON', true],
    ['on', true],
    ['true', true],
    ['pause', true],
    ['OFF', false],
    ['0', false],
    ['resume', false],
  ] as const)('switch %s is %s', (text, value) => expect(parseSwitch(text)).toBe(value));
  it('switch rejects anything else', () => expect(() => parseSwitch('maybe')).toThrow(/expected ON or OFF/));
});

describe('broker from the configuration', () => {
  const base = { mqtt_enabled: true, mqtt_tls: false };
  it.each([
    [{ mqtt_url: 'mqtt://u:p%40ss@broker.lan' }, { url: 'mqtt://broker.lan:1883', username: 'u', password: 'p@ss' }],
    [{ mqtt_url: 'mqtts://broker.lan', mqtt_username: 'x', mqtt_password: 'y' }, { url: 'mqtts://broker.lan:8883', username: 'x', password: 'y' }],
    [{ mqtt_url: 'tcp://10.0.0.2:1884' }, { url: 'mqtt://10.0.0.2:1884' }],
    [{ mqtt_url: 'wss://broker.lan/mqtt' }, { url: 'wss://broker.lan/mqtt' }],
    [{ mqtt_host: 'core-mosquitto', mqtt_username: 'a', mqtt_password: 'b' }, { url: 'mqtt://core-mosquitto:1883', username: 'a', password: 'b' }],
    [{ mqtt_host: 'broker', mqtt_tls: true }, { url: 'mqtts://broker:8883' }],
    [{ mqtt_host: 'fe80::1', mqtt_port: 1999 }, { url: 'mqtt://[fe80::1]:1999' }],
    [{ mqtt_url: 'mqtt://a:1', mqtt_host: 'ignored' }, { url: 'mqtt://a:1' }],
  ])('%j', (c, expected) => expect(brokerFromConfig({ ...base, ...c })).toMatchObject({ ...expected, source: 'config' }));
  it('is null without a URL or host', () => expect(brokerFromConfig(base)).toBeNull());
});

describe('KeyedThrottle', () => {
  it('sends the first at once, keeps only the newest within the interval, spaces keys independently (fake timers)', async () => {
    vi.useFakeTimers();
    try {
      let now = 0;
      const sent: [string, number, number][] = [];
      const t = new KeyedThrottle<number>(40, (k, v) => sent.push([k, v, now]), () => now);
      t.push('a', 1);
      t.push('a', 2);
      t.push('a', 3);
      t.push('b', 9);
      expect(sent).toEqual([
        ['a', 1, 0],
        ['b', 9, 0],
      ]);
      await vi.advanceTimersByTimeAsync(39);
      expect(sent).toHaveLength(2); // not before the interval has passed
      now = 40;
      await vi.advanceTimersByTimeAsync(1);
      expect(sent[2]).toEqual(['a', 3, 40]);
      t.push('c', 1);
      t.drop('c');
      t.push('a', 4);
      t.stop();
      // Nothing is left to fire: the dropped and the stopped values are gone, not late.
      expect(vi.getTimerCount()).toBe(0);
      await vi.runAllTimersAsync();
      expect(sent.map((s) => s[1])).toEqual([1, 9, 3, 1]);
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('MqttCommands without a sync hook', () => {
  it('answers sync with not_available', async () => {
    const published: [string, string][] = [];
    const link: MqttLink = {
      connected: true,
      publish: async (topic, payload) => (published.push([topic, payload]), true),
      subscribe: () => undefined,
      onConnect: () => undefined,
      onMessage: () => undefined,
    };
    const commands = new MqttCommands({ link, topics, jobs: {} as JobService, logger: silentLogger() });
    expect(commands.subscriptions()).toEqual([
      'm3u_downloader/download/add',
      'm3u_downloader/download/pause',
      'm3u_downloader/download/resume',
      'm3u_downloader/download/cancel',
      'm3u_downloader/download/retry',
      'm3u_downloader/sync/run',
      'm3u_downloader/queue/pause/set',
      'm3u_downloader/record',
      'm3u_downloader/speed/limit/set',
      'm3u_downloader/speed/limit_kbps/set',
    ]);
    await commands.handle({ topic: topics.syncRun, payload: Buffer.from('PRESS'), retain: false });
    await commands.handle({ topic: 'm3u_downloader/other', payload: Buffer.from('x'), retain: false });
    expect(published).toHaveLength(1);
    expect(published[0]![0]).toBe('m3u_downloader/sync/result');
    expect(JSON.parse(published[0]![1])).toMatchObject({ ok: false, error: { code: 'not_available' } });
  });
});

describe('job sensor short ids in the publisher', () => {
  it('lengthens the short id of a live job whose first 8 hex digits another live job holds, and frees it when that job ends', async () => {
    const { EventBus } = await import('../../addon/events/bus.js');
    const { MqttPublisher } = await import('../../addon/notify/mqtt/publisher.js');
    const { systemClock } = await import('../../addon/platform/clock.js');
    type Job = import('../../addon/jobs/model.js').Job;
    const published: Array<{ topic: string; payload: string }> = [];
    const link = {
      onConnect: () => undefined,
      onMessage: () => undefined,
      subscribe: () => undefined,
      publish: async (topic: string, payload: string) => void published.push({ topic, payload }),
    } as unknown as MqttLink;
    const job = (id: string, status: Job['status']): Job =>
      ({ id, url: 'https://cdn.example/a.m3u8', title: id, status, referer: null, headers: {}, error: null, progress: 0, speed: 0, eta_s: null, bytes_done: 0, bytes_total: null, segments_done: 0, segments_total: 0, file_path: null }) as unknown as Job;
    const a = job('3f2a9c1e-aaaa-4000-8000-000000000001', 'downloading');
    const b = job('3f2a9c1e-bbbb-4000-8000-000000000002', 'downloading');
    const jobs = {
      stats: () => ({ by_status: { pending: 0, downloading: 2, merging: 0, transferring: 0, completed: 0, failed: 0, paused: 0, cancelled: 0 }, queue_length: 0, active: 2, speed: 0, queue_paused: false, queue_holds: [], bytes_today: 0 }),
      list: () => ({ items: [a, b], total: 2 }),
      get: (id: string) => [a, b].find((j) => j.id === id),
    } as unknown as JobService;
    const bus = new EventBus<AppEvents>(silentLogger());
    const publisher = new MqttPublisher({ link, topics, discovery: true, version: '1', jobs, bus, clock: systemClock, logger: silentLogger(), mediaDir: '/tmp', freeBytes: async () => null, fileSize: async () => null, refreshMs: 3600_000 });
    publisher.start();
    try {
      bus.emit('job.status', { job: a, previous: 'pending' } as unknown as AppEvents['job.status']);
      bus.emit('job.status', { job: b, previous: 'pending' } as unknown as AppEvents['job.status']);
      const configs = published.filter((m) => m.topic.endsWith('/config') && m.payload !== '').map((m) => [m.topic, (JSON.parse(m.payload) as { name: string }).name]);
      expect(configs).toEqual([
        ['homeassistant/sensor/m3u_downloader/job_3f2a9c1e/config', 'Download 3f2a9c1e'],
        ['homeassistant/sensor/m3u_downloader/job_3f2a9c1ebbbb/config', 'Download 3f2a9c1ebbbb'],
      ]);
      // a ends: its sensor goes; b keeps the name it was announced with.
      a.status = 'completed';
      bus.emit('job.status', { job: a, previous: 'downloading' } as unknown as AppEvents['job.status']);
      expect(published.filter((m) => m.payload === '').map((m) => m.topic)).toEqual(['homeassistant/sensor/m3u_downloader/job_3f2a9c1e/config']);
      bus.emit('job.progress', { id: b.id } as unknown as AppEvents['job.progress']);
      expect(published.filter((m) => m.topic.endsWith('/config') && m.payload !== '')).toHaveLength(2);
    } finally {
      publisher.stop();
    }
  });
});
