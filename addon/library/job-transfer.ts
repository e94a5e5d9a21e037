/** Part of the job contract (jobs/model.ts re-exports it); owned by the library, which fills it in. Imports nothing. */
/**
 * The transfer of a finished download to its library destination (status `transferring`).
 * While the destination is down the job stays `transferring` with `error` set to the last
 * failure (code such as `destination_unreachable`) and `next_attempt_at` set; `error` keeps the
 * last failure through later attempts and is null once the transfer succeeded (`completed`).
 */
export interface JobTransfer {
  destination_id: string;
  destination_name: string;
  destination_kind: string;
  /** The templated path, relative to the destination's folder (the final one may get " (2)"). */
  path: string;
  /** Size of the finished local file. */
  bytes_total: number;
  /** Attempts started so far (1 on the first). */
  attempts: number;
  /** First failure of the current wait for a down destination; the retry limit counts from here. */
  waiting_since: string | null;
  /** When the next attempt starts while waiting (earlier if a health check sees the destination come back). */
  next_attempt_at: string | null;
  /** How the last successful transfer went: link (same filesystem, no copy), upload, already_present. */
  method?: 'link' | 'upload' | 'already_present' | null;
}
