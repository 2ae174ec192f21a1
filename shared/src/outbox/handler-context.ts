import type { HandlerContext } from '../function/define';
import { outboxPublisher } from './publisher';

/**
 * A handler's context outside the worker (unit tests, scripts): `publish` writes outbox rows through
 * `db` as the worker's would, so a test can read back what a handler published.
 *
 * @example
 * await db.transaction((tx) => fn.handler!(event, handlerContext({ db: tx, eventId: 'e1', eventType: 'a.b', eventTime: '', attempt: 1, log })));
 */
export function handlerContext(fields: Omit<HandlerContext, 'publish' | 'signal'> & { signal?: AbortSignal }, source = 'test'): HandlerContext {
  return { signal: new AbortController().signal, ...fields, publish: outboxPublisher(fields.db, fields.eventId, source) };
}
