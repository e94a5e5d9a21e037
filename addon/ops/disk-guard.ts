import type { Logger } from '../platform/logger.js';

/** Free bytes available to us on the filesystem holding `dir`; null when unknown. */
export type FreeSpaceProbe = (dir: string) => Promise<number | null>;

/** What the guard needs from the queue (JobService implements it). */
export interface QueueHolder {
  holdQueue(reason: string, detail?: string): Promise<void>;
  releaseQueue(reason: string): Promise<void>;
}

export interface DiskState {
  status: 'ok' | 'low' | 'unknown';
  /** The smallest free space among the watched directories. */
  free_bytes: number | null;
  min_free_bytes: number;
  dirs: { path: string; free_bytes: number | null }[];
  /** When the current state began (ISO). */
  since: string;
}

export interface DiskGuardOptions {
  /**
   * Where downloads write: the media dir, the work dir, and the folders of the other local
   * destinations (the remux writes into their staging folder). A function is asked at every
   * check, so destinations added or disabled later count.
   */
  dirs: string[] | (() => string[]);
  minFreeBytes: number;
  probe: FreeSpaceProbe;
  queue: QueueHolder;
  logger: Logger;
  now: () => number;
  intervalMs?: number;
  /** Called on every change of state (activity log, events). */
  onChange?: (state: DiskState) => void;
}

export const DISK_FULL = 'disk_full';
/** Resume only with this much above the floor, so the queue does not flap at the edge. */
const RESUME_MARGIN = 0.05;
/** After a write failed with ENOSPC, stay held at least this long whatever the probe says. */
const ENOSPC_HOLD_MS = 60_000;

/**
 * Pauses the queue when free space drops below the floor (min_free_space_mb) instead of letting
 * downloads fail: running downloads go back to the queue keeping what they fetched, nothing new
 * starts, and the state shows as `held: disk_full` in /api/stats, /api/health and events. The
 * queue resumes by itself once there is room again. A floor of 0 turns the guard off.
 */
export class DiskGuard {
  private timer: NodeJS.Timeout | null = null;
  private current: DiskState;
  private heldUntil = 0;
  private checking: Promise<DiskState> | null = null;

  constructor(private readonly opts: DiskGuardOptions) {
    this.current = { status: 'unknown', free_bytes: null, min_free_bytes: opts.minFreeBytes, dirs: [], since: new Date(opts.now()).toISOString() };
  }

  get enabled(): boolean {
    return this.opts.minFreeBytes > 0;
  }

  state(): DiskState {
    return this.current;
  }

  async start(): Promise<void> {
    await this.check();
    if (!this.enabled) return;
    this.timer = setInterval(() => {
      void this.check().catch((err: unknown) => this.opts.logger.error({ err }, 'disk check failed'));
    }, this.opts.intervalMs ?? 10_000);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** A write failed with ENOSPC: hold now, and for a while even if the probe disagrees. */
  async reportFull(detail: string): Promise<void> {
    if (!this.enabled) return;
    this.heldUntil = this.opts.now() + ENOSPC_HOLD_MS;
    await this.transition('low', `a write failed: ${detail}`);
  }

  /** Measures now (concurrent calls share one measurement). */
  check(): Promise<DiskState> {
    this.checking ??= this.measure().finally(() => {
      this.checking = null;
    });
    return this.checking;
  }

  private async measure(): Promise<DiskState> {
    const dirs = await Promise.all(
      [...new Set(typeof this.opts.dirs === 'function' ? this.opts.dirs() : this.opts.dirs)].map(async (dir) => ({ path: dir, free_bytes: await this.opts.probe(dir).catch(() => null) })),
    );
    const known = dirs.map((d) => d.free_bytes).filter((n): n is number => n !== null);
    const free = known.length > 0 ? Math.min(...known) : null;
    this.current = { ...this.current, dirs, free_bytes: free };
    if (!this.enabled) {
      this.current = { ...this.current, status: free === null ? 'unknown' : 'ok' };
      return this.current;
    }
    if (free === null) return this.current;
    const floor = this.opts.minFreeBytes;
    if (this.current.status === 'low') {
      if (free >= floor * (1 + RESUME_MARGIN) && this.opts.now() >= this.heldUntil) await this.transition('ok');
    } else if (free < floor) {
      await this.transition('low', `${mb(free)} free, below the ${mb(floor)} floor`);
    } else if (this.current.status === 'unknown') {
      this.current = { ...this.current, status: 'ok' };
    }
    return this.current;
  }

  private async transition(status: 'ok' | 'low', detail?: string): Promise<void> {
    if (this.current.status === status) return;
    this.current = { ...this.current, status, since: new Date(this.opts.now()).toISOString() };
    if (status === 'low') {
      this.opts.logger.warn({ free_bytes: this.current.free_bytes, min_free_bytes: this.opts.minFreeBytes, detail }, 'disk nearly full: queue held until space is free');
      await this.opts.queue.holdQueue(DISK_FULL, detail);
    } else {
      this.opts.logger.info({ free_bytes: this.current.free_bytes }, 'disk space back above the floor: queue released');
      await this.opts.queue.releaseQueue(DISK_FULL);
    }
    this.opts.onChange?.(this.current);
  }
}

const mb = (bytes: number): string => `${Math.round(bytes / 1024 / 1024)} MB`;
