import type { Middleware } from 'koa';

type BodyParserModule = typeof import('@koa/bodyparser');

/** The methods @koa/bodyparser reads a body for (its `parsedMethods` default); it passes every other request through. */
const PARSED_METHODS = new Set(['POST', 'PUT', 'PATCH']);

const importBodyParser = (): Promise<BodyParserModule> => import('@koa/bodyparser');

/**
 * JSON request bodies (up to 1 MB) into ctx.request.body, by @koa/bodyparser. The parser is
 * loaded on the first POST/PUT/PATCH rather than at start: it brings co-body, raw-body, qs and
 * iconv-lite (about 6 MB resident and tens of ms of start-up), and a server that only answers
 * health checks and the panel's GETs never needs it. Other methods pass through unread, exactly
 * as they do in the parser itself.
 */
export function jsonBodies(load: () => Promise<BodyParserModule> = importBodyParser): Middleware {
  let parser: Promise<Middleware> | undefined;
  const create = async (): Promise<Middleware> => {
    const { bodyParser } = await load();
    return bodyParser({
      enableTypes: ['json'],
      jsonLimit: '1mb',
      onError: (err) => {
        // A body over the limit is "too large" (413), not "malformed" (400).
        if ((err as { status?: number }).status === 413) {
          throw Object.assign(err, { status: 413, expose: true, message: 'the JSON body is larger than 1 MB' });
        }
        throw Object.assign(err, { status: 400, expose: true, message: `invalid JSON body: ${err.message}` });
      },
    }) as Middleware;
  };
  return async (ctx, next) => {
    if (!PARSED_METHODS.has(ctx.method.toUpperCase())) return next();
    // One load shared by concurrent first requests; a failed import is retried by the next request.
    parser ??= create().catch((err: unknown) => {
      parser = undefined;
      throw err;
    });
    return (await parser)(ctx, next);
  };
}
