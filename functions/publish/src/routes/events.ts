import { Hono } from 'hono';
import {
  type Broker,
  BrokerUnavailableError,
  buildCatalog,
  type Database,
  deliveryOptionsSchema,
  deliveryTime,
  encodeEnvelope,
  type EventDefinition,
  scheduleEvent,
  UnroutableError,
  uuidv7,
} from '@qfn/shared/platform';
import type { AppEnv } from '../app-env';
import { ApiError, validationFailed } from '../errors';
import { type IdempotencyStore, requestHash } from '../idempotency';
import { requestHeader } from '../node-request';
import { badIdempotencyKey, brokerBlocked, idempotencyInProgress, idempotencyKeyReused, unroutable } from '../publishing-errors';
import { idempotencyKey } from '../schemas';
import { jsonBody } from '../middleware/json-body/index';
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

  return new Hono<AppEnv>()
    .get('/events', (c) => {
      c.header('etag', etag);
      if (c.req.header('if-none-match') === etag) return c.body(null, 304);
      return c.json(catalog);
    })
    .get('/events/:type', (c) => {
      const entry = catalog.events[c.req.param('type')];
      if (!entry) throw new ApiError(404, 'unknown_event_type', `no event type ${c.req.param('type')} is declared`);
      return c.json({ type: c.req.param('type'), revision: catalog.revision, ...entry });
    })
    .post('/events/:type', jsonBody({ maxBytes: options.maxBodyBytes }), async (c) => {
      const type = c.req.param('type');
      const definition = events.get(type);
      if (!definition) {
        throw new ApiError(422, 'unknown_event_type', `no event type ${type} is declared; GET /events lists them`, {
          issues: [{ path: 'type', message: 'not declared' }],
        });
      }
      const parsed = definition.schema.safeParse(c.get('jsonBody'));
      if (!parsed.success) throw validationFailed(`the data does not match the schema of ${type}`, parsed.error);
      const query = c.req.query();
      const delay = deliveryOptionsSchema.safeParse({
        ...(query['delaySeconds'] !== undefined ? { delaySeconds: query['delaySeconds'] } : {}),
        ...(query['deliverAt'] !== undefined ? { deliverAt: query['deliverAt'] } : {}),
      });
      if (!delay.success) throw validationFailed('bad delaySeconds or deliverAt', delay.error, 'query.');
      const deliverAt = deliveryTime(delay.data);
      const rawKey = requestHeader(c, 'idempotency-key');
      const key = rawKey === undefined ? undefined : idempotencyKey.safeParse(rawKey);
      if (key && !key.success) throw badIdempotencyKey(key.error);
      let id = uuidv7();
      const claimant = key?.success && options.idempotency ? { store: options.idempotency, clientId: c.get('clientId') ?? '', key: key.data } : undefined;
      if (claimant) {
        const claim = await claimant.store.claim(claimant.clientId, claimant.key, id, requestHash({ type, data: parsed.data, delay: delay.data }));
        if (claim.kind === 'replay') {
          c.header('idempotent-replayed', 'true');
          return c.json({ id: claim.eventId }, 202);
        }
        if (claim.kind === 'in_progress') throw idempotencyInProgress();
        if (claim.kind === 'mismatch') throw idempotencyKeyReused();
        if (claim.kind === 'republish') id = claim.eventId;
      }
      let response: Response;
      try {
        response = await send(id);
      } catch (error) {
        // The API's answers settle the claim (a 422: certainly not published, free the key); anything else leaves it to its lease.
        if (claimant && error instanceof ApiError) {
          const { store, clientId, key: claimed } = claimant;
          await (error.status === 422 ? store.release(clientId, claimed, id) : store.markUnconfirmed(clientId, claimed)).catch(() => {});
        }
        throw error;
      }
      // Best effort, as on POST /message/publish: a claim left pending is taken over once its lease expires.
      if (claimant) await claimant.store.markPublished(claimant.clientId, claimant.key).catch(() => {});
      return response;

      /** Schedules the event (delayed) or publishes it now: the 202 answer, or throws the ApiError to answer. */
      async function send(id: string): Promise<Response> {
        if (deliverAt) {
          // Kept in Postgres until due: check now that someone will receive it.
          if (catalog.events[type]!.subscribers.length === 0) throw unroutable(`no function subscribes to event type ${type}; nothing was scheduled`);
          await scheduleEvent(options.db, { id, type, data: parsed.data, deliverAt, source: publishSource });
          return c.json({ id, deliverAt: deliverAt.toISOString() }, 202);
        }
        if (blockedReason !== undefined) throw brokerBlocked(blockedReason);
        if (!broker.isReady()) throw brokerUnavailable();
        try {
          await broker.publish({ id, type, body: encodeEnvelope({ id, type, time: new Date().toISOString(), data: parsed.data }) });
        } catch (error) {
          if (error instanceof UnroutableError) throw unroutable(`${error.message}; nothing was published`);
          if (error instanceof BrokerUnavailableError) throw brokerUnavailable();
          throw error;
        }
        return c.json({ id }, 202);
      }
    });
}

function brokerUnavailable(): ApiError {
  return new ApiError(503, 'broker_unavailable', 'the broker is not reachable or did not confirm the event; retry later', { headers: { 'retry-after': '1' } });
}
