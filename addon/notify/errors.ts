import { ZodError } from 'zod';
import { AppError, errorMessage } from '../errors.js';

/** An error as notifiers report it on answer topics and in chat replies: `{code, message, field?}`. */
export interface ErrorInfo {
  code: string;
  message: string;
  field?: string;
}

/** The same mapping the HTTP API uses, so MQTT and REST answer alike. */
export function describeError(err: unknown): ErrorInfo {
  if (err instanceof AppError) return { code: err.code, message: err.message, ...(err.field ? { field: err.field } : {}) };
  if (err instanceof ZodError) {
    const issue = err.issues[0];
    const field = issue?.path.join('.') ?? '';
    const message = issue?.message ?? 'invalid request';
    return { code: 'invalid_request', message: field ? `${field}: ${message}` : message, ...(field ? { field } : {}) };
  }
  return { code: 'internal', message: errorMessage(err) };
}

/**
 * Removes secrets from text that may reach a log line, a status response or a chat: error
 * messages of HTTP clients can embed URLs, and the Telegram token is part of its URLs.
 */
export function scrub(text: string, secrets: readonly (string | undefined | null)[]): string {
  let out = text;
  for (const secret of secrets) {
    if (secret && secret.length >= 4) out = out.split(secret).join('[redacted]');
  }
  return out;
}
