/**
 * One error family for the whole backend. `code` is stable and machine-readable (the API
 * returns it), `httpStatus` is what a route answers with, `message` is written for a person.
 */
export class AppError extends Error {
  readonly code: string;
  readonly httpStatus: number;
  readonly field: string | undefined;

  constructor(code: string, message: string, options: { httpStatus?: number; cause?: unknown; field?: string } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.httpStatus = options.httpStatus ?? 500;
    this.field = options.field;
  }
}

export const badRequest = (message: string, field?: string): AppError =>
  new AppError('invalid_request', message, { httpStatus: 400, ...(field ? { field } : {}) });

export const notFound = (what: string): AppError => new AppError('not_found', `${what} not found`, { httpStatus: 404 });

export const conflict = (message: string): AppError => new AppError('conflict', message, { httpStatus: 409 });

/** The message of anything thrown, for logs and job errors. */
export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
