import { afterEach, describe, expect, it, vi } from 'vitest';
import type { AppEvents, DestinationStatusEvent } from '../../addon/events/app-events.js';
import { EventBus } from '../../addon/events/bus.js';
import type { Job } from '../../addon/jobs/model.js';
import { systemClock } from '../../addon/platform/clock.js';
import { silentLogger } from '../../addon/platform/logger.js';
import { NotificationDispatcher, notificationFor } from '../../addon/notify/dispatcher.js';
import type { NotificationDigest, NotificationEvent } from '../../addon/notify/notification-event.js';
import type { Notifier, NotifierStatus } from '../../addon/notify/notifier.js';
import { defaultRouting, type NotifierRouting } from '../../addon/notify/routing.js';

/** A notifier that records what it is handed; `behaviour` makes it throw, reject or hang. */
function recorder(id: string, behaviour: 'ok' | 'throw' | 'reject' | 'hang' = 'ok') {
  const got: (NotificationEvent | NotificationDigest)[] = [];
  const notifier: Notifier = {
    kind: 'test',
    id,
    start: () => undefined,
    stop: async () => undefined,
    status: () => ({ kind: 'test', id, enabled: true, state: 'ok', reason: null, sent: got.length, failed: 0, last_error: null, last_sent_at: null }) as NotifierStatus,
    test: async () => ({ ok: true }),
    handle(event) {
      got.push(event);
      if (behaviour === 'throw') throw new Error('synchronous boom');
      if (behaviour === 'reject') return Promise.reject(new Error('channel down'));
      if (behaviour === 'hang') return new Promise<void>(() => undefined);
      return Promise.resolve();
    },
  };
  return { notifier, got };
}

const job = (id: string, over: Partial<Job> = {}): Job =>
  ({ id, url: `http://x/${id}.m3u8`, title: `Episode ${id}`, status: 'completed', file_path: `TV/${id}.mp4`, source_id: null, updated_at: '2026-12-06T10:00:00.000Z', error: null, ...over }) as Job;

const routing = (over: Partial<NotifierRouting> = {}): NotifierRouting => ({ ...defaultRouting(), ...over });
const noDigest = (): NotifierRouting => routing({ digest: { enabled: false, window_s: 60 } });

let dispatchers: NotificationDispatcher[] = [];
function setup(sourceBusy?: (id: string) => boolean) {
  const bus = new EventBus<AppEvents>(silentLogger());
  const d = new NotificationDispatcher({ bus, clock: systemClock, logger: silentLogger(), sourceBusy, stopWaitMs: 200 });
  dispatchers.push(d);
  return { bus, d };
}
afterEach(async () => {
  vi.useRealTimers();
  await Promise.all(dispatchers.splice(0).map((d) => d.stop()));
});

const dest = (status: DestinationStatusEvent['status'], previous: DestinationStatusEvent['previous']): DestinationStatusEvent => ({
  id: 'nas',
  name: 'NAS',
  kind: 'smb',
  status,
  previous,
  message: status === 'online' ? null : 'connection refused',
  code: null,
  checked_at: '2026-12-06T10:00:00.000Z',
});

describe('bus events -> notification events', () => {
  it.each([
    ['job.status completed', 'job.status', { job: job('a'), previous: 'transferring' }, 'download.completed'],
    ['job.status failed', 'job.status', { job: job('a', { status: 'failed' }), previous: 'downloading' }, 'download.failed'],
    ['job.status same status (a refresh)', 'job.status', { job: job('a'), previous: 'completed' }, null],
    ['job.status downloading', 'job.status', { job: job('a', { status: 'downloading' }), previous: 'pending' }, null],
    ['destination goes down', 'destination.status', dest('offline', 'online'), 'destination.down'],
    ['destination first check fails', 'destination.status', dest('error', 'unknown'), 'destination.down'],
    ['destination offline -> error (still down)', 'destination.status', dest('error', 'offline'), null],
    ['destination comes back', 'destination.status', dest('online', 'offline'), 'destination.up'],
    ['destination first check ok (start-up, not a recovery)', 'destination.status', dest('online', 'unknown'), null],
    ['disk full hold', 'queue.held', { reason: 'disk_full', held: true, detail: '1 GB free', since: '2026-12-06T10:00:00.000Z' }, 'disk.full'],
    ['disk hold released', 'queue.held', { reason: 'disk_full', held: false, detail: null, since: '2026-12-06T10:00:00.000Z' }, null],
    ['another hold', 'queue.held', { reason: 'maintenance', held: true, detail: null, since: '2026-12-06T10:00:00.000Z' }, null],
    ['queue paused', 'queue.state', { paused: true }, null],
  ] as const)('%s', (_what, name, payload, expected) => {
    expect(notificationFor(name as keyof AppEvents, payload as never)?.type ?? null).toBe(expected);
  });

  it('maps syncs, recordings and alerts', () => {
    const alert = { id: 'disk_low:nas', rule: 'disk_low', severity: 'warning' as const, message: 'NAS has 4 % free', value: 4, threshold: 5, raised_at: 'x', resolved_at: null };
    expect(notificationFor('sync.completed', { source: { id: 's', name: 'S' }, new_items: 1, updated_items: 0, removed_items: 0, total_items: 1, queued: 0, duration_ms: 1, error: null, new_titles: [] })?.type).toBe('sync.finished');
    expect(notificationFor('recording.started', { job: job('r') })?.type).toBe('recording.started');
    expect(notificationFor('recording.finished', { job: job('r') })?.type).toBe('recording.finished');
    expect(notificationFor('alert.raised', alert)).toEqual({ type: 'alert.raised', alert });
    expect(notificationFor('alert.resolved', alert)?.type).toBe('alert.resolved');
  });
});

describe('the dispatcher', () => {
  it('gives each notifier only the events it asked for', async () => {
    const { bus, d } = setup();
    const failuresOnly = recorder('failures');
    const everything = recorder('all');
    d.set(failuresOnly.notifier, routing({ events: ['download.failed', 'disk.full'], digest: { enabled: false, window_s: 60 } }));
    d.set(everything.notifier, noDigest());
    d.start();
    bus.emit('job.status', { job: job('ok'), previous: 'transferring' });
    bus.emit('job.status', { job: job('bad', { status: 'failed' }), previous: 'downloading' });
    bus.emit('queue.held', { reason: 'disk_full', held: true, detail: null, since: 'now' });
    await d.idle();
    expect(failuresOnly.got.map((e) => e.type)).toEqual(['download.failed', 'disk.full']);
    expect(everything.got.map((e) => e.type)).toEqual(['download.completed', 'download.failed', 'disk.full']);
  });

  it('sends 40 completions from one sync as one digest, when the source has nothing left to download', async () => {
    let left = 40;
    const { bus, d } = setup((sourceId) => sourceId === 'src-1' && left > 0);
    const phone = recorder('phone');
    const machine = recorder('machine');
    d.set(phone.notifier, routing({ digest: { enabled: true, window_s: 60 } }));
    d.set(machine.notifier, noDigest());
    d.start();
    for (let i = 1; i <= 40; i++) {
      left--;
      bus.emit('job.status', { job: job(`e${i}`, { source_id: 'src-1' }), previous: 'transferring' });
    }
    await d.idle();
    expect(phone.got).toHaveLength(1);
    const digest = phone.got[0] as NotificationDigest;
    expect(digest.type).toBe('digest');
    expect(digest.events).toHaveLength(40);
    expect(digest.events.every((e) => e.type === 'download.completed')).toBe(true);
    // The same events, one by one, to a notifier without a digest.
    expect(machine.got).toHaveLength(40);
  });

  it('holds a sync\'s completions while the source is still downloading, then sends them together (fake timers)', async () => {
    vi.useFakeTimers();
    let busy = true;
    const { bus, d } = setup(() => busy);
    const phone = recorder('phone');
    d.set(phone.notifier, routing({ digest: { enabled: true, window_s: 30 } }));
    d.start();
    bus.emit('job.status', { job: job('e1', { source_id: 's' }), previous: 'transferring' });
    bus.emit('job.status', { job: job('e2', { source_id: 's' }), previous: 'transferring' });
    await vi.advanceTimersByTimeAsync(10 * 60_000); // ten minutes: the source still has downloads
    expect(phone.got).toHaveLength(0);
    expect(d.pendingCount('phone')).toBe(2);
    busy = false; // the last one was cancelled: no completion will come, the timer notices
    await vi.advanceTimersByTimeAsync(30_000);
    expect(phone.got).toHaveLength(1);
    expect((phone.got[0] as NotificationDigest).events.map((e) => (e as { job: Job }).job.id)).toEqual(['e1', 'e2']);
  });

  it('sends a lone event at once, and groups a burst after it into one digest after a quiet window (fake timers)', async () => {
    vi.useFakeTimers();
    const { bus, d } = setup(() => false);
    const phone = recorder('phone');
    d.set(phone.notifier, routing({ digest: { enabled: true, window_s: 60 } }));
    d.start();
    bus.emit('job.status', { job: job('hand-1'), previous: 'transferring' });
    await vi.advanceTimersByTimeAsync(0);
    expect(phone.got.map((e) => e.type)).toEqual(['download.completed']);
    for (let i = 2; i <= 6; i++) {
      await vi.advanceTimersByTimeAsync(20_000);
      bus.emit('job.status', { job: job(`hand-${i}`), previous: 'transferring' });
    }
    await vi.advanceTimersByTimeAsync(59_000);
    expect(phone.got).toHaveLength(1); // still collecting: the last one came 59 s ago
    await vi.advanceTimersByTimeAsync(1_000);
    expect(phone.got).toHaveLength(2);
    expect((phone.got[1] as NotificationDigest).events).toHaveLength(5);
    // Another type is its own group: a failure right now is sent at once.
    bus.emit('job.status', { job: job('x', { status: 'failed' }), previous: 'downloading' });
    await vi.advanceTimersByTimeAsync(0);
    expect(phone.got.map((e) => e.type)).toEqual(['download.completed', 'digest', 'download.failed']);
  });

  it('keeps delivering to the others when one notifier throws, rejects or never answers', async () => {
    const { bus, d } = setup();
    const throws = recorder('throws', 'throw');
    const rejects = recorder('rejects', 'reject');
    const hangs = recorder('hangs', 'hang');
    const fine = recorder('fine');
    for (const r of [throws, hangs, rejects, fine]) d.set(r.notifier, noDigest());
    d.start();
    for (let i = 0; i < 3; i++) bus.emit('job.status', { job: job(`j${i}`), previous: 'transferring' });
    // The publisher returned; the healthy notifier got all three although one notifier hangs forever.
    expect(fine.got).toHaveLength(3);
    expect(throws.got).toHaveLength(3);
    expect(rejects.got).toHaveLength(3);
    expect(hangs.got).toHaveLength(3);
    // Nor does it hold up shutdown: stop() gives deliveries in flight a bounded wait.
    await d.stop();
  });

  it('sends what it collected when stopped or when a notifier is removed', async () => {
    const { bus, d } = setup(() => true);
    const phone = recorder('phone');
    const other = recorder('other');
    d.set(phone.notifier, defaultRouting());
    d.set(other.notifier, defaultRouting());
    d.start();
    bus.emit('job.status', { job: job('a', { source_id: 's' }), previous: 'transferring' });
    bus.emit('job.status', { job: job('b', { source_id: 's' }), previous: 'transferring' });
    d.remove('other');
    expect(other.got).toHaveLength(1);
    expect(phone.got).toHaveLength(0);
    await d.stop();
    expect(phone.got).toHaveLength(1);
    expect((phone.got[0] as NotificationDigest).events).toHaveLength(2);
    bus.emit('job.status', { job: job('c'), previous: 'transferring' });
    expect(phone.got).toHaveLength(1); // stopped: no longer listening
    expect(bus.listenerCount('job.status')).toBe(0);
  });
});
