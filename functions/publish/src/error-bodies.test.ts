import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BrokerWithAdmin, createDatabase, type DatabaseHandle, queueSpecOf } from '@qfn/shared/platform';
import storeMessage from '@qfn/store-message';
import { rabbitmqHarness } from '../../../test/support/brokers';
import { databaseUrl } from '../../../test/support/database';
import { uniqueName } from '../../../test/support/names';
import { createTestPublishApp } from '../../../test/support/publish-app';
import { usePublishBackends } from '../test/publish-fixture';
import type { PublishAppOptions } from './app';
import { ApiError, type ErrorRenderer } from './errors';

const valid = { ts: '19941114', sender: 'haimeng', messageAttributes: {}, sent_from_ip: '10.1.2.3', priority: 1 };
const publishToken = 'publish-token-0123456789abcdef';
const adminToken = 'admin-token-0123456789abcdef';

interface Answer {
  status: number;
  headers: Record<string, string>;
  body: unknown;
}

/** Status, the headers an error answer carries, and the parsed body: what clients depend on. */
async function answerOf(response: Response): Promise<Answer> {
  const headers: Record<string, string> = {};
  for (const name of ['content-type', 'retry-after', 'www-authenticate']) {
    const value = response.headers.get(name);
    if (value !== null) headers[name] = value;
  }
  return { status: response.status, headers, body: JSON.parse(await response.text()) };
}

const json = { 'content-type': 'application/json' };

/** What an error answer of the JSON API must be: its status, the JSON content type (plus `headers`) and `body`. */
const jsonAnswer = (status: number, body: unknown, headers: Record<string, string> = {}): Answer => ({ status, headers: { ...json, ...headers }, body });

describe('error answers of the publish API, byte for byte the same JSON (RabbitMQ + Postgres)', () => {
  const prefix = uniqueName('errbodies');
  const backends = usePublishBackends(prefix);
  let closedBroker: BrokerWithAdmin;
  let unreachableDatabase: DatabaseHandle;
  let missingTables: DatabaseHandle;

  beforeAll(() => {
    closedBroker = rabbitmqHarness.create(`${prefix}x`);
    // Nothing listens on port 1: every query fails with ECONNREFUSED.
    unreachableDatabase = createDatabase({ url: 'postgres://postgres@127.0.0.1:1/none', poolSize: 1, applicationName: prefix });
    missingTables = createDatabase({ url: databaseUrl, schema: `${prefix}_none`, poolSize: 1, applicationName: prefix });
  });

  afterAll(async () => {
    await unreachableDatabase.close(0);
    await missingTables.close(0);
  });

  const appWith = (extra: Partial<PublishAppOptions> = {}) => createTestPublishApp(backends.broker, backends.database, { maxBodyBytes: 256, ...extra });
  const publish = (app: ReturnType<typeof appWith>, body: string, headers: Record<string, string> = {}) =>
    app.request('/message/publish', { method: 'POST', headers: { ...json, ...headers }, body });

  it('answers the message API with the same errors', async () => {
    const app = appWith({ protection: { publishTokens: [publishToken], rateLimit: { ratePerSecond: 0.01, burst: 10 } } });
    const auth = { authorization: `Bearer ${publishToken}` };
    expect(await answerOf(await publish(app, JSON.stringify(valid)))).toEqual(
      jsonAnswer(
        401,
        { error: 'unauthorized', message: 'a token is required: Authorization: Bearer <token> or X-API-Key: <token>' },
        { 'www-authenticate': 'Bearer realm="qfn-publish"' },
      ),
    );
    expect(await answerOf(await publish(app, JSON.stringify(valid), { authorization: 'Bearer wrong' }))).toEqual(
      jsonAnswer(
        401,
        { error: 'unauthorized', message: 'the token is not valid' },
        { 'www-authenticate': 'Bearer realm="qfn-publish", error="invalid_token"' },
      ),
    );
    expect(await answerOf(await publish(app, '{}', { ...auth, 'content-type': 'text/plain' }))).toEqual(
      jsonAnswer(415, { error: 'unsupported_media_type', message: 'Content-Type must be application/json' }),
    );
    expect(await answerOf(await publish(app, JSON.stringify({ ...valid, sender: 'x'.repeat(300) }), auth))).toEqual(
      jsonAnswer(413, { error: 'payload_too_large', message: 'body exceeds 256 bytes' }),
    );
    expect(await answerOf(await publish(app, '{"ts":', auth))).toEqual(
      jsonAnswer(400, { error: 'malformed_json', message: expect.stringMatching(/^body is not valid JSON: /) }),
    );
    expect(await answerOf(await publish(app, JSON.stringify({ ...valid, priority: 1.5, color: 'red' }), auth))).toEqual(
      jsonAnswer(400, {
        error: 'validation_failed',
        message: 'the message does not match the schema',
        issues: [
          { path: 'priority', message: expect.any(String) },
          { path: 'color', message: 'unknown field' },
        ],
      }),
    );
    expect(await answerOf(await publish(app, JSON.stringify(valid), { ...auth, 'idempotency-key': 'with space' }))).toEqual(
      jsonAnswer(400, {
        error: 'validation_failed',
        message: 'bad Idempotency-Key header',
        issues: [{ path: 'header.Idempotency-Key', message: 'must be printable ASCII without spaces' }],
      }),
    );
    expect(await answerOf(await publish(app, JSON.stringify({ ...valid, type: 'nobody.listens' }), auth))).toEqual(
      jsonAnswer(422, {
        error: 'unroutable',
        message: expect.stringMatching(/; nothing was published$/),
        issues: [{ path: 'type', message: 'no subscriber' }],
      }),
    );
    const key = { ...auth, 'idempotency-key': `${prefix}-key` };
    expect((await publish(app, JSON.stringify(valid), key)).status).toBe(202);
    expect(await answerOf(await publish(app, JSON.stringify({ ...valid, priority: 2 }), key))).toEqual(
      jsonAnswer(422, { error: 'idempotency_key_reused', message: 'this Idempotency-Key was used with a different body' }),
    );
    expect(await answerOf(await app.request('/message/01a2141b-0000-7000-8000-000000000000', { headers: auth }))).toEqual(
      jsonAnswer(404, { error: 'not_found', message: 'no stored message with id 01a2141b-0000-7000-8000-000000000000' }),
    );
    expect(await answerOf(await app.request('/message?limit=0', { headers: auth }))).toEqual(
      jsonAnswer(400, { error: 'validation_failed', message: 'bad query parameters', issues: [{ path: 'limit', message: expect.any(String) }] }),
    );
    let limited: Response | undefined;
    for (let i = 0; i < 12 && !limited; i++) {
      const response = await app.request('/message?limit=1', { headers: auth });
      if (response.status === 429) limited = response;
    }
    expect(limited, 'a 429 within 12 requests of a burst of 10').toBeDefined();
    // The bucket refills at 0.01/s while the test runs: the wait is at most 100 s, and the body names the header's figure.
    const retryAfter = limited!.headers.get('retry-after')!;
    expect(Number(retryAfter)).toBeGreaterThan(50);
    expect(Number(retryAfter)).toBeLessThanOrEqual(100);
    expect(await answerOf(limited!)).toEqual(
      jsonAnswer(429, { error: 'rate_limited', message: `too many requests from this client; retry in ${retryAfter} s` }, { 'retry-after': retryAfter }),
    );
  });

  it('answers unknown routes, a broker away, an unreachable database and a failing route with the same errors', async () => {
    const app = appWith();
    expect(await answerOf(await app.request('/nope', { method: 'PUT' }))).toEqual(jsonAnswer(404, { error: 'not_found', message: 'no route PUT /nope' }));
    expect(await answerOf(await publish(appWith({ broker: closedBroker }), JSON.stringify(valid)))).toEqual(
      jsonAnswer(
        503,
        {
          error: 'broker_unavailable',
          message: 'the broker is not reachable or did not confirm the message; retry later (with an Idempotency-Key the retry cannot publish it twice)',
        },
        { 'retry-after': '1' },
      ),
    );
    const noDatabase = appWith({ db: unreachableDatabase.db });
    expect(await answerOf(await noDatabase.request('/message/01a2141b-0000-7000-8000-000000000000'))).toEqual(
      jsonAnswer(503, { error: 'database_unavailable', message: 'the database is not reachable; nothing was published: retry later' }, { 'retry-after': '2' }),
    );
    // A schema without the tables: the query fails with 42P01, a failure of the request, not of the database.
    const withoutTables = appWith({ db: missingTables.db });
    expect(await answerOf(await withoutTables.request('/message/01a2141b-0000-7000-8000-000000000000'))).toEqual(
      jsonAnswer(500, { error: 'internal_error', message: 'the request failed; nothing is known to be published' }),
    );
  });

  it('answers the events API with the same errors', async () => {
    const app = appWith();
    expect(await answerOf(await app.request('/events/no.such.type'))).toEqual(
      jsonAnswer(404, { error: 'unknown_event_type', message: 'no event type no.such.type is declared' }),
    );
    expect(await answerOf(await app.request('/events/no.such.type', { method: 'POST', headers: json, body: '{}' }))).toEqual(
      jsonAnswer(422, {
        error: 'unknown_event_type',
        message: 'no event type no.such.type is declared; GET /events lists them',
        issues: [{ path: 'type', message: 'not declared' }],
      }),
    );
    expect(await answerOf(await app.request('/events/message.published', { method: 'POST', headers: json, body: '{}' }))).toEqual(
      jsonAnswer(400, {
        error: 'validation_failed',
        message: 'the data does not match the schema of message.published',
        issues: expect.arrayContaining([{ path: 'ts', message: expect.any(String) }]),
      }),
    );
    expect(
      await answerOf(await app.request('/events/message.published?delaySeconds=-1', { method: 'POST', headers: json, body: JSON.stringify(valid) })),
    ).toEqual(
      jsonAnswer(400, {
        error: 'validation_failed',
        message: 'bad delaySeconds or deliverAt',
        issues: [{ path: 'query.delaySeconds', message: expect.any(String) }],
      }),
    );
    expect(
      await answerOf(
        await appWith({ broker: closedBroker }).request('/events/message.published', { method: 'POST', headers: json, body: JSON.stringify(valid) }),
      ),
    ).toEqual(
      jsonAnswer(
        503,
        { error: 'broker_unavailable', message: 'the broker is not reachable or did not confirm the event; retry later' },
        { 'retry-after': '1' },
      ),
    );
  });

  it('answers the admin API and the console with the same errors', async () => {
    const off = appWith();
    const disabled = { error: 'admin_disabled', message: 'the admin API is off: set ADMIN_API_TOKEN (or ADMIN_API_TOKEN_FILE) to turn it on' };
    expect(await answerOf(await off.request('/admin/dlq'))).toEqual(jsonAnswer(403, disabled));
    expect(await answerOf(await off.request('/console/api/snapshot'))).toEqual(jsonAnswer(403, disabled));

    const app = appWith({ admin: { queues: [queueSpecOf(storeMessage)], tokens: [adminToken] } });
    const auth = { authorization: `Bearer ${adminToken}` };
    expect(await answerOf(await app.request('/admin/dlq'))).toEqual(
      jsonAnswer(
        401,
        { error: 'unauthorized', message: 'a token is required: Authorization: Bearer <token> or X-API-Key: <token>' },
        { 'www-authenticate': 'Bearer realm="qfn-admin"' },
      ),
    );
    expect(await answerOf(await app.request('/admin/dlq/nobody', { headers: auth }))).toEqual(
      jsonAnswer(404, { error: 'unknown_function', message: 'no function "nobody"; known: store-message' }),
    );
    expect(await answerOf(await app.request('/admin/dlq/store-message?limit=0', { headers: auth }))).toEqual(
      jsonAnswer(400, { error: 'validation_failed', message: 'bad query parameters', issues: [{ path: 'limit', message: expect.any(String) }] }),
    );
    expect(await answerOf(await app.request('/admin/dlq/store-message', { method: 'DELETE', headers: auth }))).toEqual(
      jsonAnswer(400, { error: 'confirmation_required', message: 'purging deletes messages for good: repeat the function name as ?confirm=store-message' }),
    );
    // A broker that never connected finds no queue: 404 no_queue, as for a function never started.
    expect(
      await answerOf(
        await appWith({ broker: closedBroker, queueAdmin: closedBroker, admin: { queues: [queueSpecOf(storeMessage)], tokens: [adminToken] } }).request(
          '/admin/dlq/store-message',
          { headers: auth },
        ),
      ),
    ).toEqual(jsonAnswer(404, { error: 'no_queue', message: "the function's queues do not exist on the broker yet: it has never been started" }));
  });

  it('renders every error answer through renderError when one is given, and gives way to a replaced onError', async () => {
    // RFC 9457 problem details instead of the default shape.
    const problem: ErrorRenderer = (error, c) =>
      c.json(
        { type: `https://errors.example/${error.code}`, title: error.message, status: error.status, ...(error.issues ? { errors: error.issues } : {}) },
        error.status,
        { ...error.headers, 'content-type': 'application/problem+json' },
      );
    const app = appWith({ renderError: problem, protection: { publishTokens: [publishToken] } });
    const problemJson = { 'content-type': 'application/problem+json' };
    expect(await answerOf(await publish(app, JSON.stringify(valid)))).toEqual({
      status: 401,
      headers: { ...problemJson, 'www-authenticate': 'Bearer realm="qfn-publish"' },
      body: { type: 'https://errors.example/unauthorized', title: 'a token is required: Authorization: Bearer <token> or X-API-Key: <token>', status: 401 },
    });
    expect(await answerOf(await publish(app, JSON.stringify({ ...valid, color: 'red' }), { authorization: `Bearer ${publishToken}` }))).toEqual({
      status: 400,
      headers: problemJson,
      body: {
        type: 'https://errors.example/validation_failed',
        title: 'the message does not match the schema',
        status: 400,
        errors: [{ path: 'color', message: 'unknown field' }],
      },
    });
    expect(await answerOf(await app.request('/nope'))).toEqual({
      status: 404,
      headers: problemJson,
      body: { type: 'https://errors.example/not_found', title: 'no route GET /nope', status: 404 },
    });
    const noDatabase = appWith({ db: unreachableDatabase.db, renderError: problem });
    expect(await answerOf(await noDatabase.request('/message/01a2141b-0000-7000-8000-000000000000'))).toEqual({
      status: 503,
      headers: { ...problemJson, 'retry-after': '2' },
      body: { type: 'https://errors.example/database_unavailable', title: 'the database is not reachable; nothing was published: retry later', status: 503 },
    });

    const replaced = appWith();
    replaced.onError((error, c) => c.text(`refused: ${error instanceof ApiError ? error.code : 'unexpected'}`, error instanceof ApiError ? error.status : 500));
    const refused = await publish(replaced, '{}', { 'content-type': 'text/plain' });
    expect(refused.status).toBe(415);
    expect(await refused.text()).toBe('refused: unsupported_media_type');
  });
});
