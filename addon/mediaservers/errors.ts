import { AppError } from '../errors.js';

/**
 * Errors a media server call throws. The message names the server and what to check; it never
 * contains the API key or token (they travel in headers, never in URLs we print).
 */
export type MediaServerErrorCode =
  | 'mediaserver_unreachable' // refused, timed out, DNS: check the URL and that the server runs
  | 'mediaserver_auth_failed' // 401/403: the key or token is wrong or lacks rights
  | 'mediaserver_http_error' // another HTTP status
  | 'mediaserver_bad_response'; // an answer that is not what this kind of server sends

export function mediaServerError(code: MediaServerErrorCode, message: string, cause?: unknown): AppError {
  return new AppError(code, message, { httpStatus: 502, ...(cause === undefined ? {} : { cause }) });
}
