import { REDACTED, redactCredentials, redactUrlsInText } from '../redact.js';
import type { Job } from './model.js';

const SENSITIVE_HEADER = /(authorization|cookie|token|secret|password|passwd|api[-_]?key|auth)/i;
export { REDACTED };

/** Header values that carry credentials are write-only: the API shows that they are set, not what they are. */
export function redactHeaders(headers: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) out[name] = SENSITIVE_HEADER.test(name) ? REDACTED : value;
  return out;
}

/** A password in a URL's userinfo is never echoed back. */
export function redactUrlPassword(url: string): string {
  try {
    const u = new URL(url);
    if (!u.password) return url;
    u.password = REDACTED;
    return u.toString();
  } catch {
    return url;
  }
}

/**
 * The job as the API returns it. `url` is write-only where it carries credentials: the job keeps
 * the real URL for its own requests, the API shows it with the userinfo password, Xtream
 * `/{user}/{password}/` path segments and token-like query parameters masked. Error messages
 * are scrubbed the same way.
 */
export function jobView(job: Job): Job {
  return {
    ...job,
    url: redactCredentials(job.url),
    referer: job.referer === null ? null : redactCredentials(job.referer),
    headers: redactHeaders(job.headers),
    // Not a secret (a TMDB image, usually), but a URL given by hand is masked like any other.
    ...(job.poster ? { poster: redactCredentials(job.poster) } : {}),
    ...(job.page_url ? { page_url: redactCredentials(job.page_url) } : {}),
    error: job.error ? { code: job.error.code, message: redactUrlsInText(job.error.message) } : null,
  };
}
