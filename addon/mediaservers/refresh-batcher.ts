/**
 * One refresh per folder per window: the first completion in a folder opens a window (30 s in
 * production); completions in the same folder during it join; when it closes the folder is
 * refreshed once. A sync queueing 40 episodes of one season costs the media server a handful
 * of scans, not 40.
 */
export interface Timers {
  set(fn: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}

const realTimers: Timers = {
  set: (fn, ms) => {
    const t = setTimeout(fn, ms);
    t.unref?.();
    return t;
  },
  clear: (h) => clearTimeout(h as NodeJS.Timeout),
};

export class RefreshBatcher {
  private readonly open = new Map<string, { server: string; folder: string; handle: unknown; attempt: number }>();
  private readonly running = new Set<Promise<void>>();

  constructor(
    private readonly options: {
      windowMs: number;
      /** Refresh these folders on this server (attempt 0 first, then retries); failures are the runner's to report. */
      run(server: string, folders: string[], attempt: number): Promise<void>;
      timers?: Timers;
    },
  ) {}

  private get timers(): Timers {
    return this.options.timers ?? realTimers;
  }

  /**
   * Queue a refresh of a folder. A folder with a window already open joins it; `delayMs` and
   * `attempt` are for retries after a failure (the window length and 0 otherwise).
   */
  add(server: string, folder: string, retry?: { delayMs: number; attempt: number }): void {
    const key = `${server}\u0000${folder}`;
    if (this.open.has(key)) return;
    const attempt = retry?.attempt ?? 0;
    const handle = this.timers.set(() => {
      this.open.delete(key);
      const work = this.options.run(server, [folder], attempt).catch(() => undefined);
      this.running.add(work);
      void work.finally(() => this.running.delete(work));
    }, retry?.delayMs ?? this.options.windowMs);
    this.open.set(key, { server, folder, handle, attempt });
  }

  /** Folders of a server whose window is still open. */
  pending(server: string): string[] {
    return [...this.open.values()].filter((w) => w.server === server).map((w) => w.folder);
  }

  /** Forget a server's open windows (it was deleted or disabled). */
  drop(server: string): void {
    for (const [key, w] of this.open) {
      if (w.server !== server) continue;
      this.timers.clear(w.handle);
      this.open.delete(key);
    }
  }

  /** Refreshes started and not finished yet (tests and stop() wait for them). */
  idle(): Promise<void> {
    return Promise.allSettled([...this.running]).then(() => undefined);
  }

  async stop(): Promise<void> {
    for (const w of this.open.values()) this.timers.clear(w.handle);
    this.open.clear();
    await this.idle();
  }
}
