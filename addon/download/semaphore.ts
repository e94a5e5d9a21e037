/** Counting semaphore whose waiters can give up through an AbortSignal. */
export class Semaphore {
  private active = 0;
  private readonly waiters: Array<{ grant: () => void; reject: (err: unknown) => void; signal: AbortSignal | undefined; onAbort: () => void }> = [];

  constructor(private limit: number) {}

  get inUse(): number {
    return this.active;
  }

  get waiting(): number {
    return this.waiters.length;
  }

  setLimit(limit: number): void {
    this.limit = limit;
    this.drain();
  }

  /** Resolves with a release function; call it exactly once. */
  acquire(signal?: AbortSignal): Promise<() => void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.active < this.limit && this.waiters.length === 0) {
      this.active++;
      return Promise.resolve(this.releaser());
    }
    return new Promise((resolve, reject) => {
      const waiter = {
        grant: () => resolve(this.releaser()),
        reject,
        signal,
        onAbort: () => {
          const i = this.waiters.indexOf(waiter);
          if (i >= 0) this.waiters.splice(i, 1);
          reject(signal!.reason);
        },
      };
      signal?.addEventListener('abort', waiter.onAbort, { once: true });
      this.waiters.push(waiter);
    });
  }

  private releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.active--;
      this.drain();
    };
  }

  private drain(): void {
    while (this.active < this.limit && this.waiters.length > 0) {
      const next = this.waiters.shift()!;
      next.signal?.removeEventListener('abort', next.onAbort);
      this.active++;
      next.grant();
    }
  }
}

/** One semaphore per key (a host, a playlist source), created on first use. */
export class KeyedSemaphores {
  private readonly byKey = new Map<string, Semaphore>();

  constructor(private readonly limitFor: (key: string) => number) {}

  get(key: string): Semaphore {
    let sem = this.byKey.get(key);
    if (!sem) {
      sem = new Semaphore(this.limitFor(key));
      this.byKey.set(key, sem);
    }
    return sem;
  }

  acquire(key: string, signal?: AbortSignal): Promise<() => void> {
    return this.get(key).acquire(signal);
  }
}
