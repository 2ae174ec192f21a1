import { Hono } from 'hono';
import { defaultEventType } from '@qfn/events';
import { type Broker, BrokerUnavailableError, encodeEnvelope, UnroutableError, uuidv7 } from '@qfn/shared/platform';
import { errorResponse, validationIssues } from '../errors';
import { IdempotencyStore, requestHash } from '../idempotency';
import type { TokenAuthVariables } from '../middleware/auth/index';
import { jsonBody, type JsonBodyVariables } from '../middleware/json-body/index';
import { requestHeader } from '../node-request';
import { idempotencyKey, publishRequest, type PublishRequest } from '../schemas';

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

  return new Hono<{ Variables: JsonBodyVariables & Partial<TokenAuthVariables> }>().post('/message/publish', jsonBody({ maxBytes: options.maxBodyBytes }), async (c) => {
    // c.get, not c.var: c.var copies every variable into a new object on each access.
    const parsed = publishRequest.safeParse(c.get('jsonBody'));
    if (!parsed.success) {
      return errorResponse(c, 400, 'validation_failed', 'the message does not match the schema', validationIssues(parsed.error));
    }
    const rawKey = requestHeader(c, 'idempotency-key');
    const key = rawKey === undefined ? undefined : idempotencyKey.safeParse(rawKey);
    if (key && !key.success) {
      return errorResponse(c, 400, 'validation_failed', 'bad Idempotency-Key header', [
        { path: 'header.Idempotency-Key', message: key.error.issues[0]!.message },
      ]);
    }
    if (blockedReason !== undefined) return blocked(c, blockedReason);
    if (!broker.isReady()) return unavailable(c);

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
      if (claim.kind === 'in_progress') return errorResponse(c, 409, 'idempotency_in_progress', 'a request with this Idempotency-Key is still being published');
      if (claim.kind === 'mismatch') return errorResponse(c, 422, 'idempotency_key_reused', 'this Idempotency-Key was used with a different body');
      try {
        await publish(id, parsed.data);
      } catch (error) {
        // Best effort: a claim left pending is taken over by a retry once its lease expires.
        const settleKey = error instanceof UnroutableError ? idempotency.release(clientId, key.data, id) : idempotency.markUnconfirmed(clientId, key.data);
        await settleKey.catch(() => {});
        return publishFailed(c, error);
      }
      // The broker has it: 202 even if the database cannot record that now (a retry after the
      // claim's lease republishes the same event id, which consumers apply once).
      await idempotency.markPublished(clientId, key.data).catch(() => {});
      return c.json({ id }, 202);
    }

    try {
      await publish(id, parsed.data);
    } catch (error) {
      return publishFailed(c, error);
    }
    return c.json({ id }, 202);
  });
}

function unavailable(c: Parameters<typeof errorResponse>[0]) {
  c.header('retry-after', '1');
  return errorResponse(c, 503, 'broker_unavailable', 'the broker is not reachable or did not confirm the message; retry later (with an Idempotency-Key the retry cannot publish it twice)');
}

function blocked(c: Parameters<typeof errorResponse>[0], reason: string) {
  c.header('retry-after', String(blockedRetryAfterSeconds));
  return errorResponse(c, 503, 'broker_blocked', `the broker refuses publishes for now (${reason}); nothing was published: retry later`);
}

/** A resource alarm clears when consumers have drained queues or disk is freed: seconds, not milliseconds. */
const blockedRetryAfterSeconds = 5;

function publishFailed(c: Parameters<typeof errorResponse>[0], error: unknown) {
  if (error instanceof UnroutableError) {
    return errorResponse(c, 422, 'unroutable', `${error.message}; nothing was published`, [{ path: 'type', message: 'no subscriber' }]);
  }
  if (error instanceof BrokerUnavailableError) return unavailable(c);
  throw error;
}
