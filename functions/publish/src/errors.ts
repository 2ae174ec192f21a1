import type { Context, ErrorHandler } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { z } from 'zod';
import { isDatabaseUnavailable, type Logger } from '@qfn/shared/platform';

/** A field a request got wrong: `path` names it (`priority`, `query.limit`, `header.Idempotency-Key`). */
export interface ErrorIssue {
  path: string;
  message: string;
}

/** Every error answer has this JSON shape; `issues` names the offending fields. */
export interface ErrorBody {
  error: string;
  message: string;
  issues?: ErrorIssue[];
}

export interface ApiErrorOptions {
  /** The offending fields, for validation failures. */
  issues?: ErrorIssue[];
  /** Headers the answer carries: `Retry-After`, `WWW-Authenticate`. */
  headers?: Record<string, string>;
  cause?: unknown;
}

/**
 * A failure the API answers with a JSON error body. Middleware and routes throw it; the app's one
 * `onError` (apiErrorHandler) renders it. Its `getResponse()` is the same JSON, so it answers the same
 * under a plain Hono app with the default error handler (the local runner's status server, tests).
 *
 * @example
 * throw new ApiError(429, 'rate_limited', 'too many requests from this client', { headers: { 'retry-after': '2' } });
 */
export class ApiError extends HTTPException {
  override readonly name = 'ApiError';
  /** The `error` field of the body: a stable, machine-readable code. */
  readonly code: string;
  readonly issues: ErrorIssue[] | undefined;
  readonly headers: Readonly<Record<string, string>>;

  constructor(status: ContentfulStatusCode, code: string, message: string, options: ApiErrorOptions = {}) {
    super(status, { message, cause: options.cause });
    this.code = code;
    this.issues = options.issues;
    this.headers = options.headers ?? {};
  }

  /** The JSON body clients receive. */
  get body(): ErrorBody {
    return { error: this.code, message: this.message, ...(this.issues ? { issues: this.issues } : {}) };
  }

  override getResponse(): Response {
    return new Response(JSON.stringify(this.body), { status: this.status, headers: { 'content-type': 'application/json', ...this.headers } });
  }
}

/** Turns an ApiError into the answer; replace it to answer in another shape (e.g. RFC 9457 problem+json). */
export type ErrorRenderer = (error: ApiError, c: Context) => Response | Promise<Response>;

/** The default rendering: `{ error, message, issues? }` as JSON, with the error's headers. */
export const renderJsonError: ErrorRenderer = (error, c) => c.json<ErrorBody>(error.body, error.status, error.headers);

export interface ApiErrorHandlerOptions {
  log: Logger;
  render?: ErrorRenderer;
}

/**
 * The app's `onError`: renders thrown ApiErrors, and turns everything else into one first: an
 * unreachable database into 503 `database_unavailable` (with Retry-After), anything else into
 * 500 `internal_error` (logged). Hono HTTPExceptions carrying their own response answer with it.
 *
 * @example
 * app.onError(apiErrorHandler({ log }));
 */
export function apiErrorHandler(options: ApiErrorHandlerOptions): ErrorHandler {
  const render = options.render ?? renderJsonError;
  return (error, c) => {
    if (error instanceof ApiError) return render(error, c);
    if (error instanceof HTTPException)
      return error.res ? error.getResponse() : render(new ApiError(error.status, 'http_error', error.message, { cause: error }), c);
    if (isDatabaseUnavailable(error)) {
      options.log.warn({ err: error.message, path: c.req.path }, 'database unavailable');
      return render(databaseUnavailable(error), c);
    }
    options.log.error({ err: error.message, path: c.req.path }, 'request failed');
    return render(new ApiError(500, 'internal_error', 'the request failed; nothing is known to be published', { cause: error }), c);
  };
}

function databaseUnavailable(cause: unknown): ApiError {
  return new ApiError(503, 'database_unavailable', 'the database is not reachable; nothing was published: retry later', {
    headers: { 'retry-after': '2' },
    cause,
  });
}

/** 400 `validation_failed` with one issue per offending field of a zod failure; `prefix` places them (`query.`). */
export function validationFailed(message: string, error: z.ZodError, prefix = ''): ApiError {
  return new ApiError(400, 'validation_failed', message, { issues: validationIssues(error).map((issue) => ({ ...issue, path: `${prefix}${issue.path}` })) });
}

/** The request's query parameters as `schema` parses them; otherwise 400 `bad query parameters` naming each offending one. */
export function parseQuery<S extends z.ZodType>(schema: S, query: Record<string, string>): z.output<S> {
  const parsed = schema.safeParse(query);
  if (!parsed.success) throw validationFailed('bad query parameters', parsed.error);
  return parsed.data;
}

export function validationIssues(error: z.ZodError): ErrorIssue[] {
  return error.issues.flatMap((issue) => {
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({ path: [...issue.path, key].join('.'), message: 'unknown field' }));
    }
    return [{ path: issue.path.join('.') || '(body)', message: issue.message }];
  });
}
