import type { Logger } from '../platform/logger.js';

export interface MaintenanceTask {
  name: string;
  /** Returns how many things it removed (for the log line). */
  run(): Promise<number> | number;
}

/**
 * Housekeeping that keeps db.json and the activity log small: finished jobs past their
 * retention or beyond the count limit, expired sessions, old activity entries. Runs once at
 * start and then every `intervalMs` (an hour); stop() clears the timer.
 */
export class Maintenance {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;

  constructor(
    private readonly tasks: MaintenanceTask[],
    private readonly logger: Logger,
    private readonly intervalMs = 3600_000,
  ) {}

  async start(): Promise<void> {
    await this.runOnce();
    this.timer = setInterval(() => void this.runOnce(), this.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }

  runOnce(): Promise<void> {
    this.running ??= (async () => {
      for (const task of this.tasks) {
        try {
          const removed = await task.run();
          if (removed > 0) this.logger.info({ task: task.name, removed }, 'housekeeping');
        } catch (err) {
          this.logger.error({ err, task: task.name }, 'housekeeping task failed');
        }
      }
    })().finally(() => {
      this.running = null;
    });
    return this.running;
  }
}
