import type { Clock } from '../platform/clock.js';
import type { Logger } from '../platform/logger.js';
import { describeRule, formatRate, speedSettingsSchema, speedStateAt, type SpeedSettings, type SpeedState } from './schedule.js';
import type { TokenBucket } from './token-bucket.js';

/** Where the settings live (db.json through the settings repository); the service never sees the store. */
export interface SpeedSettingsPersistence {
  load(): unknown;
  save(settings: SpeedSettings): Promise<void>;
}

/** The queue's automatic holds, as the scheduler exposes them. */
export interface QueueHolds {
  holdQueue(reason: string, detail?: string): Promise<void>;
  releaseQueue(reason: string): Promise<void>;
}

export const SPEED_HOLD = 'speed_schedule';

export interface SpeedServiceDeps {
  clock: Clock;
  logger: Logger;
  bucket: TokenBucket;
  queue: QueueHolds;
  persistence: SpeedSettingsPersistence;
  /** The download_speed_limit_kbps option: the manual limit when nothing was saved yet (0: off). */
  defaultLimitKbps: number;
  /** Told when the state in force changes (SSE, MQTT, the panel's header). */
  onChange?: (state: SpeedState, settings: SpeedSettings) => void;
}

/**
 * Applies the speed settings: the shared bucket's rate, and a queue hold while a "pause" rule
 * holds. Re-evaluates at each change of the schedule, and at once when the settings change.
 */
export class SpeedService {
  private settings: SpeedSettings;
  private state: SpeedState;
  private wake: AbortController | null = null;
  private loop: Promise<void> | null = null;
  private stopped = false;
  private held = false;
  private applied = false;
  /** Set by update(): the next apply reports the settings even when the state stays the same. */
  private settingsChanged = false;

  constructor(private readonly deps: SpeedServiceDeps) {
    const saved = speedSettingsSchema.safeParse(deps.persistence.load());
    this.settings = saved.success ? saved.data : { enabled: deps.defaultLimitKbps > 0, limit_kbps: Math.max(8, deps.defaultLimitKbps || 2048), schedule: [] };
    if (!saved.success && deps.persistence.load() !== undefined) deps.logger.warn('saved speed settings are not valid; using the defaults');
    this.state = speedStateAt(this.settings, deps.clock.now());
  }

  current(): { settings: SpeedSettings; state: SpeedState } {
    return { settings: structuredClone(this.settings), state: { ...this.state } };
  }

  async start(): Promise<void> {
    this.stopped = false;
    await this.apply();
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.abort();
    await this.loop;
    this.loop = null;
  }

  /** Replaces the settings (validated by the caller's schema), saves them and applies them now. */
  async update(next: SpeedSettings): Promise<SpeedState> {
    this.settings = speedSettingsSchema.parse(next);
    this.settingsChanged = true;
    await this.deps.persistence.save(this.settings);
    await this.apply();
    this.wake?.abort(); // the next change may be sooner now
    return { ...this.state };
  }

  /** The "Limit speed" switch and number (MQTT, REST): changes only the manual part. */
  async setManual(change: { enabled?: boolean; limit_kbps?: number }): Promise<SpeedState> {
    return this.update({ ...this.settings, ...change });
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      const wake = (this.wake = new AbortController());
      const next = this.state.next_change_at ? Date.parse(this.state.next_change_at) - this.deps.clock.now() : 3600_000;
      try {
        // At most an hour at a time, so a clock change (DST, NTP) is caught within the hour.
        await this.deps.clock.sleep(Math.max(1000, Math.min(next, 3600_000)), wake.signal);
      } catch {
        if (this.stopped) return;
      }
      await this.apply().catch((err: unknown) => this.deps.logger.error({ err }, 'could not apply the speed schedule'));
    }
  }

  private async apply(): Promise<void> {
    const before = this.state;
    this.state = speedStateAt(this.settings, this.deps.clock.now());
    this.deps.bucket.setRate(this.state.limit_bps);
    const pause = this.state.mode === 'paused';
    if (pause && !this.held) {
      this.held = true;
      const rule = this.state.source.kind === 'rule' ? this.settings.schedule[this.state.source.index] : undefined;
      await this.deps.queue.holdQueue(SPEED_HOLD, rule ? describeRule(rule) : 'speed schedule');
    } else if (!pause && this.held) {
      this.held = false;
      await this.deps.queue.releaseQueue(SPEED_HOLD);
    }
    const changed = before.mode !== this.state.mode || before.limit_bps !== this.state.limit_bps || JSON.stringify(before.source) !== JSON.stringify(this.state.source);
    if (changed || !this.applied) {
      const what = this.state.mode === 'limited' ? `limited to ${formatRate(this.state.limit_bps!)}` : this.state.mode === 'paused' ? 'queue paused' : 'no limit';
      const why = this.state.source.kind === 'rule' ? ` (rule "${this.state.source.name}")` : this.state.source.kind === 'manual' ? ' (manual limit)' : '';
      this.deps.logger.info({ speed: this.state }, `download speed: ${what}${why}`);
    }
    // Settings changes are reported even when the state in force stays the same (a new rule for later).
    if (changed || !this.applied || this.settingsChanged) this.deps.onChange?.({ ...this.state }, structuredClone(this.settings));
    this.applied = true;
    this.settingsChanged = false;
  }
}
