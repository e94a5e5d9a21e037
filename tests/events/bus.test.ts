import { describe, expect, it } from 'vitest';
import { EventBus } from '../../addon/events/bus.js';
import { captureLogger } from '../helpers/log-capture.js';

interface TestEvents {
  'job.done': { id: string };
  'job.other': { n: number };
}

describe('EventBus', () => {
  it('delivers a payload to every subscriber of that event only, in subscription order', () => {
    const bus = new EventBus<TestEvents>(captureLogger().logger);
    const seen: string[] = [];
    bus.on('job.done', (p) => void seen.push(`a:${p.id}`));
    bus.on('job.done', (p) => void seen.push(`b:${p.id}`));
    bus.on('job.other', (p) => void seen.push(`other:${p.n}`));
    bus.emit('job.done', { id: 'x' });
    expect(seen).toEqual(['a:x', 'b:x']);
    expect(bus.listenerCount('job.done')).toBe(2);
  });

  it('stops delivering after unsubscribe, also when a handler unsubscribes itself mid-emit', () => {
    const bus = new EventBus<TestEvents>(captureLogger().logger);
    const seen: string[] = [];
    const off = bus.on('job.done', () => {
      seen.push('once');
      off();
    });
    bus.on('job.done', () => void seen.push('always'));
    bus.emit('job.done', { id: '1' });
    bus.emit('job.done', { id: '2' });
    expect(seen).toEqual(['once', 'always', 'always']);
    expect(bus.listenerCount('job.done')).toBe(1);
  });

  it('a subscriber that throws or rejects is logged and never stops the publisher or the others', async () => {
    const log = captureLogger();
    const bus = new EventBus<TestEvents>(log.logger);
    const seen: string[] = [];
    bus.on('job.done', () => {
      throw new Error('mqtt is down');
    });
    let settled!: () => void;
    const rejectedHandled = new Promise<void>((resolve) => (settled = resolve));
    bus.on('job.done', async () => {
      await Promise.resolve();
      queueMicrotask(settled);
      throw new Error('telegram timed out');
    });
    bus.on('job.done', (p) => void seen.push(p.id));
    expect(() => bus.emit('job.done', { id: 'ok' })).not.toThrow();
    expect(seen).toEqual(['ok']);
    await rejectedHandled;
    await new Promise((r) => setImmediate(r));
    const errors = log.lines.map((l) => JSON.parse(l) as { msg: string; event: string; err?: { message: string } }).filter((l) => l.msg === 'event subscriber failed');
    expect(errors.map((e) => [e.event, e.err?.message])).toEqual([
      ['job.done', 'mqtt is down'],
      ['job.done', 'telegram timed out'],
    ]);
  });

  it('emitting an event nobody listens to is a no-op', () => {
    const bus = new EventBus<TestEvents>(captureLogger().logger);
    expect(() => bus.emit('job.other', { n: 1 })).not.toThrow();
    expect(bus.listenerCount('job.other')).toBe(0);
  });
});
