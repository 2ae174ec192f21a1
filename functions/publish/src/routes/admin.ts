import { Hono, type Context } from 'hono';
import { z } from 'zod';
import { BrokerUnavailableError, deadLetterView, maxBatch, missingQueue, type QueueAdmin, type QueueSpec, showSearchLimit } from '@qfn/shared/platform';
import { ApiError, parseQuery } from '../errors';
import { tokenAuth } from '../middleware/auth/index';

export interface AdminRoutesOptions {
  queueAdmin: QueueAdmin;
  /** The consumer functions' queues (name, subscriptions, retry, visibility): all the dead-letter tools need. */
  queues: readonly QueueSpec[];
  /** Admin tokens, distinct from the publish tokens. None: every admin route answers 403. */
  tokens: readonly string[];
}

const listQuery = z.strictObject({ limit: z.coerce.number().int().min(1).max(showSearchLimit).default(50) });
const replayQuery = z.strictObject({ limit: z.coerce.number().int().min(1).max(maxBatch).optional() });
const purgeQuery = z.strictObject({ confirm: z.string().max(64).optional() });

/** 403: no admin token is configured (the console answers the same). */
export const adminDisabled = () => new ApiError(403, 'admin_disabled', 'the admin API is off: set ADMIN_API_TOKEN (or ADMIN_API_TOKEN_FILE) to turn it on');

/** The broker being away, or the function's queues not there yet, is an answer, not a failure of the route. */
function guarded(handler: (c: Context) => Promise<Response>) {
  return async (c: Context) => {
    try {
      return await handler(c);
    } catch (error) {
      if (error instanceof BrokerUnavailableError)
        throw new ApiError(503, 'broker_unavailable', error.message, { headers: { 'retry-after': '1' }, cause: error });
      if (missingQueue.test(String((error as Error)?.message ?? error))) {
        throw new ApiError(404, 'no_queue', "the function's queues do not exist on the broker yet: it has never been started", { cause: error });
      }
      throw error;
    }
  };
}

/**
 * The dead-letter admin API, behind the admin token:
 * `GET /admin/dlq` (functions), `GET /admin/dlq/:function?limit=` (list, oldest first, nothing removed),
 * `GET /admin/dlq/:function/:eventId` (one message in full), `POST /admin/dlq/:function/replay?limit=`
 * (back to the function's queue, ids kept so the inbox still prevents double effects),
 * `DELETE /admin/dlq/:function?confirm=<function>` (purge; the name must be repeated).
 *
 * @example
 * app.route('/', adminRoutes({ queueAdmin, queues: [queueSpecOf(storeMessage)], tokens: [process.env.ADMIN_API_TOKEN!] }));
 */
export function adminRoutes(options: AdminRoutesOptions) {
  const app = new Hono();
  const byName = new Map(options.queues.map((spec) => [spec.name, spec]));
  if (options.tokens.length === 0) {
    app.all('/admin/*', () => {
      throw adminDisabled();
    });
    return app;
  }
  app.use('/admin/*', tokenAuth({ tokens: options.tokens, realm: 'qfn-admin' }));

  /** The queues of the function the path names; 404 `unknown_function` when there is no such function. */
  const specOf = (c: Context): QueueSpec => {
    const spec = byName.get(c.req.param('function') ?? '');
    if (spec) return spec;
    throw new ApiError(
      404,
      'unknown_function',
      `no function ${JSON.stringify(c.req.param('function')?.slice(0, 64))}; known: ${[...byName.keys()].join(', ')}`,
    );
  };

  app.get('/admin/dlq', (c) =>
    c.json({ functions: options.queues.map((spec) => ({ name: spec.name, subscribes: spec.subscribes, maxAttempts: spec.retry.maxAttempts })) }),
  );

  app.get(
    '/admin/dlq/:function',
    guarded(async (c) => {
      const spec = specOf(c);
      const query = parseQuery(listQuery, c.req.query());
      const letters = await options.queueAdmin.listDeadLetters(spec, query.limit);
      return c.json({ function: spec.name, count: letters.length, items: letters.map(deadLetterView) });
    }),
  );

  app.get(
    '/admin/dlq/:function/:eventId',
    guarded(async (c) => {
      const spec = specOf(c);
      const wanted = c.req.param('eventId') ?? '';
      const letter = (await options.queueAdmin.listDeadLetters(spec, showSearchLimit)).find((l) => l.eventId === wanted || l.handle === wanted);
      if (!letter) throw new ApiError(404, 'not_found', `no dead letter ${wanted.slice(0, 64)} among the oldest ${showSearchLimit} of ${spec.name}`);
      return c.json(deadLetterView(letter));
    }),
  );

  app.post(
    '/admin/dlq/:function/replay',
    guarded(async (c) => {
      const spec = specOf(c);
      const query = parseQuery(replayQuery, c.req.query());
      // "All" means the ones there now: messages failing again while we replay are not picked up twice.
      const limit = query.limit ?? (await options.queueAdmin.listDeadLetters(spec, maxBatch)).length;
      const replayed = limit === 0 ? 0 : await options.queueAdmin.replayDeadLetters(spec, limit);
      return c.json({ function: spec.name, replayed });
    }),
  );

  app.delete(
    '/admin/dlq/:function',
    guarded(async (c) => {
      const spec = specOf(c);
      const query = parseQuery(purgeQuery, c.req.query());
      if (query.confirm !== spec.name) {
        throw new ApiError(400, 'confirmation_required', `purging deletes messages for good: repeat the function name as ?confirm=${spec.name}`);
      }
      const purged = await options.queueAdmin.purgeDeadLetters(spec);
      return c.json({ function: spec.name, purged });
    }),
  );

  return app;
}
