/** What a health check reports (GET /api/health): services answer it without knowing ops/. */
export type HealthStatus = 'ok' | 'degraded' | 'error';

export interface CheckResult {
  status: HealthStatus;
  /** One line for a person when the status is not ok. */
  message?: string;
  [detail: string]: unknown;
}
