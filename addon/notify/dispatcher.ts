import type { AppEvents, DestinationStatusEvent } from '../events/app-events.js';
import type { EventBus } from '../events/bus.js';
import { errorMessage } from '../errors.js';
import type { Clock } from '../platform/clock.js';
import type { Logger } from '../platform/logger.js';
import type { NotificationDigest, NotificationEvent, NotificationEventType } from './notification-event.js';
import type { Notifier } from './notifier.js';
import type { NotifierRouting } from './routing.js';

export interface DispatcherDeps {
  bus: EventBus<AppEvents>;
  clock: Clock;
  logger: Logger;
  /**
   * True while a playlist source still has downloads waiting or running: their completions are
   * held in one digest until the source's batch is done.
   */
  sourceBusy?: ((sourceId: string) => boolean) | undefined;
  /** A digest is sent after this long even if its source is still busy (6 h). */
  maxHoldMs?: number;
  /** How long stop() waits for deliveries in flight before the notifiers are stopped (5 s). */
  stopWaitMs?: number;
}

interface Pending {
  type: NotificationEventType;
  sourceId: string | null;
  events: NotificationEvent[];
  firstAt: number;
  timer: NodeJS.Timeout;
}

interface Target {
  notifier: Notifier;
  routing: NotifierRouting;
  /** Digest groups being collected, by event type (and source, for a sync's downloads). */
  pending: Map<string, Pending>;
  /** When a message of each type last went out: a second one within the window starts a group. */
  lastSentAt: Map<NotificationEventType, number>;
}

const DOWN: ReadonlySet<DestinationStatusEvent['status']> = new Set(['offline', 'error']);

/** The notification a bus event means, if any. Pure. */
export function notificationFor<K extends keyof AppEvents>(name: K, payload: AppEvents[K]): NotificationEvent | null {
  switch (name) {
    case 'job.status': {
      const { job, previous } = payload as AppEvents['job.status'];
      if (job.status === previous) return null;
      if (job.status === 'completed') return { type: 'download.completed', job };
      if (job.status === 'failed') return { type: 'download.failed', job };
      return null;
    }
    case 'sync.completed':
      return { type: 'sync.finished', summary: payload as AppEvents['sync.completed'] };
    case 'recording.started':
      return { type: 'recording.started', job: (payload as AppEvents['recording.started']).job };
    case 'recording.finished':
      return { type: 'recording.finished', job: (payload as AppEvents['recording.finished']).job };
    case 'destination.status': {
      const d = payload as AppEvents['destination.status'];
      if (DOWN.has(d.status) && !DOWN.has(d.previous)) return { type: 'destination.down', destination: d };
      // `unknown -> online` is a start-up check, not a recovery.
      if (d.status === 'online' && DOWN.has(d.previous)) return { type: 'destination.up', destination: d };
      return null;
    }
    case 'queue.held': {
      const h = payload as AppEvents['queue.held'];
      return h.held && h.reason === 'disk_full' ? { type: 'disk.full', reason: h.reason, detail: h.detail, since: h.since } : null;
    }
    case 'alert.raised':
      return { type: 'alert.raised', alert: payload as AppEvents['alert.raised'] };
    case 'alert.resolved':
      return { type: 'alert.resolved', alert: payload as AppEvents['alert.resolved'] };
    default:
      return null;
  }
}

const SUBSCRIBED = ['job.status', 'sync.completed', 'recording.started', 'recording.finished', 'destination.status', 'queue.held', 'alert.raised', 'alert.resolved'] as const;

/** A download a playlist sync queued: its completion waits for the rest of the sync's batch. */
function batchSource(event: NotificationEvent): string | null {
  if (event.type !== 'download.completed' && event.type !== 'download.failed') return null;
  return event.job.source_id ?? null;
}

/**
 * The one bus subscriber for notifications. It turns bus events into NotificationEvents and,
 * for each notifier, applies its event filter and digest setting and calls `handle`. Each
 * notifier's delivery runs on its own: one that throws, rejects or hangs never delays or breaks
 * another, nor the publisher (the notifier counts its own failures in its status).
 *
 * Digest: a second event of one type within `window_s` of the last message of that type starts
 * a group, sent as one NotificationDigest after `window_s` without another. Downloads from a
 * playlist source are held while the source has downloads waiting or running and sent together
 * when its last one ends (at the latest after `maxHoldMs`), so a sync queueing 40 episodes sends
 * one message; a lone download from a source goes out at once.
 */
export class NotificationDispatcher {
  private readonly targets = new Map<string, Target>();
  private readonly inflight = new Set<Promise<void>>();
  private offs: (() => void)[] = [];

  constructor(private readonly deps: DispatcherDeps) {}

  /** Adds a notifier, or replaces the one with the same id (its collected groups are sent first). */
  set(notifier: Notifier, routing: NotifierRouting): void {
    void this.remove(notifier.id);
    this.targets.set(notifier.id, { notifier, routing, pending: new Map(), lastSentAt: new Map() });
  }

  /**
   * Removes a notifier; the groups it was collecting go out now. Resolves when they were
   * delivered (or failed), so a caller can stop the notifier without cutting them off.
   */
  remove(id: string): Promise<void> {
    const target = this.targets.get(id);
    if (!target) return Promise.resolve();
    const deliveries = [...target.pending.keys()].map((key) => this.flush(target, key));
    this.targets.delete(id);
    return Promise.all(deliveries).then(() => undefined);
  }

  start(): void {
    if (this.offs.length > 0) return;
    const { bus } = this.deps;
    this.offs = SUBSCRIBED.map((name) =>
      bus.on(name, (payload: AppEvents[typeof name]) => {
        const event = notificationFor(name, payload);
        if (event) this.publish(event);
      }),
    );
  }

  /**
   * Stops listening, sends every collected group now and waits for deliveries in flight, at most
   * `stopWaitMs`: a channel that never answers must not hold up shutdown (stopping the notifiers
   * afterwards aborts what is left).
   */
  async stop(): Promise<void> {
    for (const off of this.offs.splice(0)) off();
    for (const target of this.targets.values()) for (const key of [...target.pending.keys()]) void this.flush(target, key);
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, this.deps.stopWaitMs ?? 5000);
      timer.unref?.();
    });
    await Promise.race([this.idle(), deadline]);
    clearTimeout(timer);
  }

  /** Resolves when no delivery is in flight (tests use it to prove nothing more was sent). */
  async idle(): Promise<void> {
    while (this.inflight.size > 0) await Promise.allSettled([...this.inflight]);
  }

  /** Groups still being collected, per notifier id: for status and tests. */
  pendingCount(id: string): number {
    let n = 0;
    for (const p of this.targets.get(id)?.pending.values() ?? []) n += p.events.length;
    return n;
  }

  publish(event: NotificationEvent): void {
    for (const target of this.targets.values()) {
      if (!target.routing.events.includes(event.type)) continue;
      if (!target.routing.digest.enabled) {
        this.send(target, event);
        continue;
      }
      this.collect(target, event);
    }
  }

  private collect(target: Target, event: NotificationEvent): void {
    const now = this.deps.clock.now();
    const windowMs = target.routing.digest.window_s * 1000;
    const sourceId = batchSource(event);
    const key = sourceId ? `${event.type}\u0000${sourceId}` : event.type;
    const group = target.pending.get(key);
    if (sourceId) {
      // A sync's downloads: collected while the source has more to come, sent once it has none.
      if (group) group.events.push(event);
      else target.pending.set(key, { type: event.type, sourceId, events: [event], firstAt: now, timer: this.arm(target, key, windowMs) });
      if (!this.busy(sourceId)) this.flush(target, key);
      return;
    }
    if (group) {
      group.events.push(event);
      clearTimeout(group.timer);
      group.timer = this.arm(target, key, windowMs);
      return;
    }
    const last = target.lastSentAt.get(event.type);
    if (last === undefined || now - last >= windowMs) {
      // A lone event goes out at once; only a second one soon after starts waiting.
      target.lastSentAt.set(event.type, now);
      this.send(target, event);
      return;
    }
    target.pending.set(key, { type: event.type, sourceId, events: [event], firstAt: now, timer: this.arm(target, key, windowMs) });
  }

  private busy(sourceId: string): boolean {
    try {
      return this.deps.sourceBusy?.(sourceId) ?? false;
    } catch (err) {
      this.deps.logger.debug({ error: errorMessage(err) }, 'could not tell whether a source is still downloading');
      return false;
    }
  }

  private arm(target: Target, key: string, ms: number): NodeJS.Timeout {
    const timer = setTimeout(() => this.due(target, key, ms), ms);
    timer.unref?.();
    return timer;
  }

  private due(target: Target, key: string, windowMs: number): void {
    const group = target.pending.get(key);
    if (!group || this.targets.get(target.notifier.id) !== target) return;
    const held = this.deps.clock.now() - group.firstAt;
    const busy = group.sourceId !== null && this.busy(group.sourceId);
    if (busy && held < (this.deps.maxHoldMs ?? 6 * 3600_000)) {
      group.timer = this.arm(target, key, windowMs);
      return;
    }
    this.flush(target, key);
  }

  private flush(target: Target, key: string): Promise<void> {
    const group = target.pending.get(key);
    if (!group) return Promise.resolve();
    clearTimeout(group.timer);
    target.pending.delete(key);
    target.lastSentAt.set(group.type, this.deps.clock.now());
    return this.send(target, group.events.length === 1 ? group.events[0]! : { type: 'digest', events: group.events });
  }

  /** Starts one delivery; the promise settles when it is done and never rejects. */
  private send(target: Target, payload: NotificationEvent | NotificationDigest): Promise<void> {
    const { notifier } = target;
    const delivery = (async () => {
      try {
        await notifier.handle(payload);
      } catch (err) {
        // The notifier has counted and logged it; this line ties it to the event.
        this.deps.logger.debug({ notifier: notifier.id, event: payload.type, error: errorMessage(err) }, 'notifier did not deliver');
      }
    })();
    this.inflight.add(delivery);
    void delivery.finally(() => this.inflight.delete(delivery));
    return delivery;
  }
}
