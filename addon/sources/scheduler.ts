/**
 * Cron schedules of the sources (node-cron 4). One task per enabled source with a schedule;
 * a tick never overlaps a sync of the same source still running (node-cron's noOverlap, and the
 * service refuses a second concurrent sync anyway). start()/stop() own every timer.
 */
import cron, { type Logger as CronLogger, type ScheduledTask } from 'node-cron';
import type { Logger } from '../platform/logger.js';

/** Five fields (minute hour day-of-month month day-of-week); null when valid, else why not. */
export function scheduleProblem(expression: string): string | null {
  const fields = expression.trim().split(/\s+/);
  if (fields.length !== 5) return 'must be a cron expression with five fields (minute hour day month weekday), e.g. "0 */6 * * *"';
  const detail = cron.validateDetailed(expression.trim());
  if (!detail.valid) return `invalid cron expression: ${detail.errors.map((e) => e.message).join('; ')}`;
  return null;
}

export class SyncScheduler {
  private readonly tasks = new Map<string, { expression: string; task: ScheduledTask }>();
  private running = false;

  constructor(
    private readonly tick: (sourceId: string) => Promise<unknown>,
    private readonly logger: Logger,
  ) {}

  /** Sets (or with null removes) a source's schedule. Takes effect at once when started. */
  set(sourceId: string, expression: string | null): void {
    const current = this.tasks.get(sourceId);
    if (current && current.expression === expression) return;
    if (current) {
      void current.task.destroy();
      this.tasks.delete(sourceId);
    }
    if (!expression) return;
    const task = cron.createTask(
      expression,
      async () => {
        try {
          await this.tick(sourceId);
        } catch (err) {
          this.logger.warn({ sourceId, error: (err as Error).message }, 'scheduled sync failed');
        }
      },
      { name: `source-${sourceId}`, noOverlap: true, logger: this.cronLogger() },
    );
    this.tasks.set(sourceId, { expression, task });
    if (this.running) void task.start();
  }

  nextRun(sourceId: string): Date | null {
    const entry = this.tasks.get(sourceId);
    return entry && this.running ? entry.task.getNextRun() : null;
  }

  start(): void {
    this.running = true;
    for (const { task } of this.tasks.values()) void task.start();
  }

  stop(): void {
    this.running = false;
    for (const { task } of this.tasks.values()) void task.destroy();
    this.tasks.clear();
  }

  private cronLogger(): CronLogger {
    const log = this.logger;
    return {
      info: (m) => log.debug(m),
      warn: (m) => log.debug(m), // "task still running, new execution blocked": expected with noOverlap
      error: (m, err) => log.error({ error: err?.message ?? String(m) }, 'cron error'),
      debug: (m) => log.trace(String(m)),
    };
  }
}
