import type { Logger } from '../platform/logger.js';

import type { CheckResult, HealthStatus } from '../domain/health.js';

export type { CheckResult, HealthStatus } from '../domain/health.js';

export type HealthCheck = () => CheckResult | Promise<CheckResult>;

export interface HealthReport {
  status: HealthStatus;
  checks: Record<string, CheckResult>;
}

const RANK: Record<HealthStatus, number> = { ok: 0, degraded: 1, error: 2 };
const CHECK_TIMEOUT_MS = 3000;

/**
 * The checks behind /api/health. Built in: store, ffmpeg, disk, queue (and supervisor in the
 * add-on). Other modules register theirs in app.ts (MQTT, destinations): `health.register('mqtt',
 * () => ({ status: connected ? 'ok' : 'degraded', message }))`. Overall: the worst check;
 * `error` answers HTTP 503 so Docker's HEALTHCHECK marks the container unhealthy, `degraded`
 * answers 200 (a full disk or an unreachable broker is not fixed by a restart).
 */
export class HealthChecks {
  private readonly checks = new Map<string, HealthCheck>();

  constructor(private readonly logger: Logger) {}

  register(name: string, check: HealthCheck): () => void {
    this.checks.set(name, check);
    return () => {
      if (this.checks.get(name) === check) this.checks.delete(name);
    };
  }

  names(): string[] {
    return [...this.checks.keys()];
  }

  async run(): Promise<HealthReport> {
    const entries = await Promise.all(
      [...this.checks].map(async ([name, check]): Promise<[string, CheckResult]> => {
        let timer: NodeJS.Timeout | undefined;
        try {
          const timeout = new Promise<CheckResult>((resolve) => {
            timer = setTimeout(() => resolve({ status: 'error', message: `no answer within ${CHECK_TIMEOUT_MS / 1000} s` }), CHECK_TIMEOUT_MS);
          });
          return [name, await Promise.race([Promise.resolve().then(check), timeout])];
        } catch (err) {
          this.logger.warn({ err, check: name }, 'health check failed');
          return [name, { status: 'error', message: (err as Error).message ?? String(err) }];
        } finally {
          clearTimeout(timer);
        }
      }),
    );
    const checks = Object.fromEntries(entries);
    const status = entries.reduce<HealthStatus>((worst, [, r]) => (RANK[r.status] > RANK[worst] ? r.status : worst), 'ok');
    return { status, checks };
  }
}
