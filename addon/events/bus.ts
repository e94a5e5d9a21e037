import type { Logger } from '../platform/logger.js';

type Handler<P> = (payload: P) => void | Promise<void>;

/**
 * A typed publish/subscribe bus. A subscriber that throws or rejects is logged and never breaks
 * the publisher or the other subscribers: MQTT being down must not stop a download.
 */
export class EventBus<Events extends object> {
  private readonly handlers = new Map<keyof Events, Set<Handler<never>>>();

  constructor(private readonly logger: Logger) {}

  on<K extends keyof Events>(event: K, handler: Handler<Events[K]>): () => void {
    let set = this.handlers.get(event);
    if (!set) {
      set = new Set();
      this.handlers.set(event, set);
    }
    set.add(handler as Handler<never>);
    return () => {
      set.delete(handler as Handler<never>);
    };
  }

  emit<K extends keyof Events>(event: K, payload: Events[K]): void {
    const set = this.handlers.get(event);
    if (!set) return;
    for (const handler of [...set]) {
      try {
        const result = (handler as Handler<Events[K]>)(payload);
        if (result && typeof (result as Promise<void>).catch === 'function') {
          (result as Promise<void>).catch((err: unknown) => this.report(event, err));
        }
      } catch (err) {
        this.report(event, err);
      }
    }
  }

  listenerCount(event: keyof Events): number {
    return this.handlers.get(event)?.size ?? 0;
  }

  private report(event: keyof Events, err: unknown): void {
    this.logger.error({ err, event: String(event) }, 'event subscriber failed');
  }
}
