/** The alert binary sensors: the state on `<base>/state` follows alert.raised / alert.resolved. */
import { describe, expect, it } from 'vitest';
import type { AlertEvent, AppEvents } from '../../addon/events/app-events.js';
import { EventBus } from '../../addon/events/bus.js';
import type { JobService } from '../../addon/jobs/job-service.js';
import type { MqttLink } from '../../addon/notify/mqtt/client.js';
import { MqttPublisher } from '../../addon/notify/mqtt/publisher.js';
import { mqttTopics } from '../../addon/notify/mqtt/topics.js';
import { systemClock } from '../../addon/platform/clock.js';
import { silentLogger } from '../../addon/platform/logger.js';

const alert = (over: Partial<AlertEvent>): AlertEvent => ({ id: 'queue_long', rule: 'queue_long', severity: 'warning', message: '60 downloads are waiting in the queue', value: 60, threshold: 50, raised_at: '2026-12-06T20:00:00.000Z', resolved_at: null, ...over });

describe('MQTT alert sensors', () => {
  it('each rule is on while one of its alerts holds, with the messages beside', () => {
    const bus = new EventBus<AppEvents>(silentLogger());
    const link = { onConnect: () => undefined, onMessage: () => undefined, subscribe: () => undefined, publish: () => undefined } as unknown as MqttLink;
    const jobs = {
      stats: () => ({ by_status: { pending: 0, downloading: 0, merging: 0, transferring: 0, completed: 0, failed: 0, paused: 0, cancelled: 0 }, queue_length: 0, active: 0, speed: 0, queue_paused: false, queue_holds: [], bytes_today: 0 }),
      list: () => ({ items: [], total: 0 }),
    } as unknown as JobService;
    const publisher = new MqttPublisher({ link, topics: mqttTopics('m3u_downloader', 'homeassistant'), discovery: true, version: '1', jobs, bus, clock: systemClock, logger: silentLogger(), mediaDir: '/tmp', freeBytes: async () => null, fileSize: async () => null, refreshMs: 3600_000 });
    publisher.start();
    try {
      expect(publisher.state().alerts).toEqual({ disk_low: false, failure_rate: false, queue_long: false, destination_down: false, job_stalled: false });
      bus.emit('alert.raised', alert({}));
      bus.emit('alert.raised', alert({ id: 'disk_low:nas', rule: 'disk_low', message: 'NAS has 4.0 % free' }));
      expect(publisher.state()).toMatchObject({ alerts: { queue_long: true, disk_low: true, job_stalled: false }, alert_messages: ['60 downloads are waiting in the queue', 'NAS has 4.0 % free'] });
      bus.emit('alert.resolved', alert({ resolved_at: '2026-12-06T20:05:00.000Z' }));
      expect(publisher.state()).toMatchObject({ alerts: { queue_long: false, disk_low: true }, alert_messages: ['NAS has 4.0 % free'] });
    } finally {
      publisher.stop();
    }
  });
});

describe('MQTT speed limit entities', () => {
  it('the switch and the number set the manual limit and answer on speed/result; bad numbers are refused', async () => {
    const { MqttCommands } = await import('../../addon/notify/mqtt/commands.js');
    const topics = mqttTopics('m3u_downloader', 'homeassistant');
    const answers: Array<[string, unknown]> = [];
    const link = { onMessage: () => undefined, subscribe: () => undefined, publish: async (topic: string, body: string) => void answers.push([topic, JSON.parse(body)]) } as unknown as MqttLink;
    const changes: unknown[] = [];
    const commands = new MqttCommands({ link, topics, jobs: {} as JobService, logger: silentLogger(), speed: { setManual: async (c) => void changes.push(c) } });
    await commands.handle({ topic: topics.speedLimitSet, payload: Buffer.from('ON'), retain: false });
    await commands.handle({ topic: topics.speedLimitKbpsSet, payload: Buffer.from('2048.0'), retain: false });
    await commands.handle({ topic: topics.speedLimitKbpsSet, payload: Buffer.from('fast'), retain: false });
    expect(changes).toEqual([{ enabled: true }, { limit_kbps: 2048 }]);
    expect(answers.map(([t]) => t)).toEqual(['m3u_downloader/speed/result', 'm3u_downloader/speed/result', 'm3u_downloader/speed/result']);
    expect(answers[2]![1]).toMatchObject({ ok: false, error: { code: 'invalid_request' } });
  });
});
