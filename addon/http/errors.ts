import type { Middleware } from 'koa';
import { ZodError } from 'zod';
import { AppError } from '../errors.js';
import type { Logger } from '../platform/logger.js';

export interface ErrorBody {
  error: { code: string; message: string; field?: string };
}

/** The one mapping from thrown errors to `{error: {code, message}}` responses. */
export function errorMiddleware(logger: Logger): Middleware {
  return async (ctx, next) => {
    try {
      await next();
      if (ctx.status === 404 && ctx.body === undefined && ctx.path.startsWith('/api')) {
        throw new AppError('not_found', `no route for ${ctx.method} ${ctx.path}`, { httpStatus: 404 });
      }
    } catch (err) {
      let body: ErrorBody;
      let status: number;
      if (err instanceof AppError) {
        status = err.httpStatus;
        body = { error: { code: err.code, message: err.message, ...(err.field ? { field: err.field } : {}) } };
      } else if (err instanceof ZodError) {
        status = 400;
        const issue = err.issues[0]!;
        const field = issue.path.join('.');
        body = { error: { code: 'invalid_request', message: field ? `${field}: ${issue.message}` : issue.message, ...(field ? { field } : {}) } };
      } else if (isHttpError(err)) {
        status = err.status;
        body = { error: { code: err.status === 413 ? 'too_large' : 'invalid_request', message: err.expose ? err.message : 'bad request' } };
      } else {
        status = 500;
        body = { error: { code: 'internal', message: 'internal error; see the add-on log' } };
        logger.error({ err, path: ctx.path }, 'unhandled error in request');
      }
      ctx.status = status;
      ctx.body = body;
    }
  };
}

function isHttpError(err: unknown): err is { status: number; expose: boolean; message: string } {
  const e = err as { status?: unknown; expose?: unknown };
  return typeof e?.status === 'number' && e.status >= 400 && e.status < 500 && typeof e.expose === 'boolean';
}
