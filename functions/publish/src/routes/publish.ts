import { Hono } from 'hono';
import { defaultEventType } from '@qfn/events';
import { type Broker, BrokerUnavailableError, encodeEnvelope, UnroutableError, uuidv7 } from '@qfn/shared/platform';
import type { AppEnv } from '../app-env';
import { ApiError, validationFailed } from '../errors';
import { badIdempotencyKey, brokerBlocked, idempotencyInProgress, idempotencyKeyReused, unroutable } from '../publishing-errors';
import { IdempotencyStore, requestHash } from '../idempotency';
import { jsonBody } from '../middleware/json-body/index';
import { requestHeader } from '../node-request';
import { parsePublishRequest } from '../publish-request';
import { idempotencyKey, type PublishRequest } from '../schemas';

export interface PublishRouteOptions {
  broker: Broker;
  idempotency: IdempotencyStore | undefined;
  maxBodyBytes: number;
}

/** `POST /message/publish`: validates, publishes, answers 202 only after the broker confirmed. */
export function publishRoute(options: PublishRouteOptions) {
  const { broker, idempotency } = options;
  // Under a RabbitMQ memory or disk alarm a publish would wait for as long as the alarm lasts:
  // answer at once instead, and let the client come back.
  let blockedReason: string | undefined;
  broker.on((event) => {
    if (event.type === 'blocked') blockedReason = event.reason;
    else if (event.type === 'unblocked' || event.type === 'disconnected') blockedReason = undefined;
  });

  const publish = async (id: string, request: PublishRequest) => {
    const { type = defaultEventType, ...data } = request;
    const envelope = { id, type, time: new Date().toISOString(), data };
    await broker.publish({ id, type, body: encodeEnvelope(envelope) });
  };

  return new Hono<AppEnv>().post('/message/publish', jsonBody({ maxBytes: options.maxBodyBytes }), async (c) => {
    // c.get, not c.var: c.var copies every variable into a new object on each access.
    const parsed = parsePublishRequest(c.get('jsonBody'));
    if (!parsed.success) throw validationFailed('the message does not match the schema', parsed.error);
    const rawKey = requestHeader(c, 'idempotency-key');
    const key = rawKey === undefined ? undefined : idempotencyKey.safeParse(rawKey);
    if (key && !key.success) throw badIdempotencyKey(key.error);
    if (blockedReason !== undefined) throw brokerBlocked(blockedReason);
    if (!broker.isReady()) throw brokerUnavailable();

    let id = uuidv7();
    if (key && idempotency) {
      // Keys belong to the client that sent them (its token): another client's same key is another event.
      const clientId = c.get('clientId') ?? '';
      const claim = await idempotency.claim(clientId, key.data, id, requestHash(parsed.data));
      if (claim.kind === 'republish') id = claim.eventId;
      if (claim.kind === 'replay') {
        c.header('idempotent-replayed', 'true');
        return c.json({ id: claim.eventId }, 202);
      }
      if (claim.kind === 'in_progress') throw idempotencyInProgress();
      if (claim.kind === 'mismatch') throw idempotencyKeyReused();
      try {
        await publish(id, parsed.data);
      } catch (error) {
        // Best effort: a claim left pending is taken over by a retry once its lease expires.
        const settleKey = error instanceof UnroutableError ? idempotency.release(clientId, key.data, id) : idempotency.markUnconfirmed(clientId, key.data);
        await settleKey.catch(() => {});
        throw publishFailure(error);
      }
      // The broker has it: 202 even if the database cannot record that now (a retry after the
      // claim's lease republishes the same event id, which consumers apply once).
      await idempotency.markPublished(clientId, key.data).catch(() => {});
      return c.json({ id }, 202);
    }

    try {
      await publish(id, parsed.data);
    } catch (error) {
      throw publishFailure(error);
    }
    return c.json({ id }, 202);
  });
}

function brokerUnavailable(): ApiError {
  const message = 'the broker is not reachable or did not confirm the message; retry later (with an Idempotency-Key the retry cannot publish it twice)';
  return new ApiError(503, 'broker_unavailable', message, { headers: { 'retry-after': '1' } });
}

/** What to throw for a failed publish: the API's answer when it has one, else the error itself (a 500). */
function publishFailure(error: unknown): unknown {
  if (error instanceof UnroutableError) return unroutable(`${error.message}; nothing was published`);
  if (error instanceof BrokerUnavailableError) return brokerUnavailable();
  return error;
}
