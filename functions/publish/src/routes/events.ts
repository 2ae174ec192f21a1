import { Hono } from 'hono';
import { type Broker, BrokerUnavailableError, buildCatalog, type Database, deliveryOptionsSchema, deliveryTime, encodeEnvelope, type EventDefinition, scheduleEvent, UnroutableError, uuidv7 } from '@qfn/shared/platform';
import { errorResponse, validationIssues } from '../errors';
import { type IdempotencyStore, requestHash } from '../idempotency';
import { requestHeader } from '../node-request';
import { idempotencyKey } from '../schemas';
import type { TokenAuthVariables } from '../middleware/auth/index';
import { jsonBody, type JsonBodyVariables } from '../middleware/json-body/index';
import { publishSource } from '../outbox-relay';

export interface EventRoutesOptions {
  broker: Broker;
  /** Where delayed events wait (the outbox table) until the publish function's relay sends them. */
  db: Database;
  /** Every declared event type (functions/publish/src/event-definitions.generated.ts). */
  events: ReadonlyMap<string, EventDefinition>;
  /** The consumer functions' subscriptions, for the catalog's `subscribers`. */
  subscribers: readonly { name: string; subscribes: readonly string[] }[];
  maxBodyBytes: number;
  /** Idempotency-Key claims, shared with POST /message/publish (keys are per client, not per route). */
  idempotency?: IdempotencyStore;
}

/**
 * `POST /events/{type}` publishes an event of any declared type, its data as the body (validated by the
 * type's schema); `GET /events` serves the catalog as JSON Schema, `GET /events/{type}` one entry.
 */
export function eventRoutes(options: EventRoutesOptions) {
  const { broker, events } = options;
  const catalog = buildCatalog(events.values(), options.subscribers);
  const etag = `"${catalog.revision}"`;
  let blockedReason: string | undefined;
  broker.on((event) => {
    if (event.type === 'blocked') blockedReason = event.reason;
    else if (event.type === 'unblocked' || event.type === 'disconnected') blockedReason = undefined;
  });

  return new Hono<{ Variables: JsonBodyVariables & Partial<TokenAuthVariables> }>()
    .get('/events', (c) => {
      c.header('etag', etag);
      if (c.req.header('if-none-match') === etag) return c.body(null, 304);
      return c.json(catalog);
    })
    .get('/events/:type', (c) => {
      const entry = catalog.events[c.req.param('type')];
      if (!entry) return errorResponse(c, 404, 'unknown_event_type', `no event type ${c.req.param('type')} is declared`);
      return c.json({ type: c.req.param('type'), revision: catalog.revision, ...entry });
    })
    .post('/events/:type', jsonBody({ maxBytes: options.maxBodyBytes }), async (c) => {
      const type = c.req.param('type');
      const definition = events.get(type);
      if (!definition) {
        return errorResponse(c, 422, 'unknown_event_type', `no event type ${type} is declared; GET /events lists them`, [{ path: 'type', message: 'not declared' }]);
      }
      const parsed = definition.schema.safeParse(c.get('jsonBody'));
      if (!parsed.success) {
        return errorResponse(c, 400, 'validation_failed', `the data does not match the schema of ${type}`, validationIssues(parsed.error));
      }
      const query = c.req.query();
      const delay = deliveryOptionsSchema.safeParse({
        ...(query['delaySeconds'] !== undefined ? { delaySeconds: query['delaySeconds'] } : {}),
        ...(query['deliverAt'] !== undefined ? { deliverAt: query['deliverAt'] } : {}),
      });
      if (!delay.success) {
        return errorResponse(c, 400, 'validation_failed', 'bad delaySeconds or deliverAt', validationIssues(delay.error).map((i) => ({ ...i, path: `query.${i.path}` })));
      }
      const deliverAt = deliveryTime(delay.data);
      const rawKey = requestHeader(c, 'idempotency-key');
      const key = rawKey === undefined ? undefined : idempotencyKey.safeParse(rawKey);
      if (key && !key.success) {
        return errorResponse(c, 400, 'validation_failed', 'bad Idempotency-Key header', [{ path: 'header.Idempotency-Key', message: key.error.issues[0]!.message }]);
      }
      let id = uuidv7();
      const claimant = key?.success && options.idempotency ? { store: options.idempotency, clientId: c.get('clientId') ?? '', key: key.data } : undefined;
      if (claimant) {
        const claim = await claimant.store.claim(claimant.clientId, claimant.key, id, requestHash({ type, data: parsed.data, delay: delay.data }));
        if (claim.kind === 'replay') {
          c.header('idempotent-replayed', 'true');
          return c.json({ id: claim.eventId }, 202);
        }
        if (claim.kind === 'in_progress') return errorResponse(c, 409, 'idempotency_in_progress', 'a request with this Idempotency-Key is still being published');
        if (claim.kind === 'mismatch') return errorResponse(c, 422, 'idempotency_key_reused', 'this Idempotency-Key was used with a different body');
        if (claim.kind === 'republish') id = claim.eventId;
      }
      const response = await send(id);
      if (claimant) {
        // Best effort, as on POST /message/publish: a claim left pending is taken over once its lease expires.
        const { store, clientId, key: claimed } = claimant;
        const settle = response.status === 202 ? store.markPublished(clientId, claimed) : response.status === 422 ? store.release(clientId, claimed, id) : store.markUnconfirmed(clientId, claimed);
        await settle.catch(() => {});
      }
      return response;

      /** Schedules the event (delayed) or publishes it now; the answer to give. */
      async function send(id: string): Promise<Response> {
        if (deliverAt) {
          // Kept in Postgres until due: check now that someone will receive it.
          if (catalog.events[type]!.subscribers.length === 0) {
            return errorResponse(c, 422, 'unroutable', `no function subscribes to event type ${type}; nothing was scheduled`, [{ path: 'type', message: 'no subscriber' }]);
          }
          await scheduleEvent(options.db, { id, type, data: parsed.data, deliverAt, source: publishSource });
          return c.json({ id, deliverAt: deliverAt.toISOString() }, 202);
        }
        if (blockedReason !== undefined) {
          c.header('retry-after', '5');
          return errorResponse(c, 503, 'broker_blocked', `the broker refuses publishes for now (${blockedReason}); nothing was published: retry later`);
        }
        if (!broker.isReady()) return unavailable(c);
        try {
          await broker.publish({ id, type, body: encodeEnvelope({ id, type, time: new Date().toISOString(), data: parsed.data }) });
        } catch (error) {
          if (error instanceof UnroutableError) {
            return errorResponse(c, 422, 'unroutable', `${error.message}; nothing was published`, [{ path: 'type', message: 'no subscriber' }]);
          }
          if (error instanceof BrokerUnavailableError) return unavailable(c);
          throw error;
        }
        return c.json({ id }, 202);
      }
    });
}

function unavailable(c: Parameters<typeof errorResponse>[0]) {
  c.header('retry-after', '1');
  return errorResponse(c, 503, 'broker_unavailable', 'the broker is not reachable or did not confirm the event; retry later');
}
