import { AppError } from '../../errors.js';
import type { DestinationStatus } from './types.js';

/**
 * Error codes destinations throw (AppError.code). Messages are written for the person who
 * configured the destination: what failed, where, and what to check.
 */
export type DestinationErrorCode =
  | 'destination_auth_failed' // wrong username / password / key: status error
  | 'destination_unreachable' // refused, timed out, reset, server went away: status offline, retry
  | 'destination_not_found' // share / module / base path does not exist: status error
  | 'destination_permission_denied' // logged in but may not write there: status error
  | 'destination_no_space' // the volume is full: status error
  | 'destination_host_key_mismatch' // sftp host key differs from the pinned one: status error
  | 'destination_exists' // final name taken, nothing replaced
  | 'destination_size_mismatch' // uploaded size differs from the local file: retry
  | 'destination_protocol_error' // anything else the server or client said: retry
  | 'destination_unsupported' // operation the protocol cannot do
  | 'destination_invalid_config' // missing host, bad path...
  | 'destination_invalid_path'
  | 'aborted';

const HTTP: Record<DestinationErrorCode, number> = {
  destination_auth_failed: 502,
  destination_unreachable: 504,
  destination_not_found: 502,
  destination_permission_denied: 502,
  destination_no_space: 507,
  destination_host_key_mismatch: 502,
  destination_exists: 409,
  destination_size_mismatch: 502,
  destination_protocol_error: 502,
  destination_unsupported: 501,
  destination_invalid_config: 400,
  destination_invalid_path: 400,
  aborted: 499,
};

export function destinationError(code: DestinationErrorCode, message: string, cause?: unknown): AppError {
  return new AppError(code, message, { httpStatus: HTTP[code], ...(cause === undefined ? {} : { cause }) });
}

export function abortError(signal?: AbortSignal): AppError {
  const reason: unknown = signal?.reason;
  const why = reason instanceof Error ? reason.message : typeof reason === 'string' ? reason : 'cancelled';
  return destinationError('aborted', `Transfer aborted: ${why}`, reason);
}

export function throwIfAborted(signal?: AbortSignal): void {
  if (signal?.aborted) throw abortError(signal);
}

export function isAbortError(err: unknown): boolean {
  return err instanceof AppError && err.code === 'aborted';
}

/**
 * The destination status a failure implies: `offline` for things that fix themselves (server
 * down, network), `error` for things a person must fix (credentials, share name, full disk).
 */
export function statusForError(err: unknown): DestinationStatus {
  const code = err instanceof AppError ? err.code : '';
  switch (code) {
    case 'destination_unreachable':
    case 'destination_protocol_error':
    case 'destination_size_mismatch':
    case 'aborted':
      return 'offline';
    default:
      return 'error';
  }
}

/** Whether a job should wait and retry (with backoff) rather than fail after this error. */
export function isRetryable(err: unknown): boolean {
  const code = err instanceof AppError ? err.code : '';
  return code === 'destination_unreachable' || code === 'destination_protocol_error' || code === 'destination_size_mismatch';
}
