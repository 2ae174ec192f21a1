import { beforeAll, describe, expect, it } from 'vitest';
import { type Delivery, queueSpecOf } from '@qfn/shared/platform';
import storeMessage from '@qfn/store-message';
import { rabbitmqHarness } from '../../../test/support/brokers';
import { useConsumingBroker } from '../../../test/support/consuming';
import { uniqueName } from '../../../test/support/names';
import { createTestPublishApp } from '../../../test/support/publish-app';
import { waitFor } from '../../../test/support/wait';

const valid = { ts: '19941114', sender: 'haimeng', messageAttributes: { a: 'b' }, sent_from_ip: '0.0.0.0', priority: 1 };

describe('publish API (RabbitMQ + Postgres)', () => {
  const prefix = uniqueName('publishapi');
  let app: ReturnType<typeof createTestPublishApp>;
  const received: Delivery[] = [];
  // A plain consumer on store-message's queue counts what was really published.
  const fixture = useConsumingBroker({ prefix, queues: [queueSpecOf(storeMessage)], prefetch: 100, onDelivery: (delivery) => received.push(delivery) });

  beforeAll(() => {
    app = createTestPublishApp(fixture.broker, fixture.database);
  });

  const post = (body: unknown, headers: Record<string, string> = {}) =>
    app.request('/message/publish', {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });

  it('answers 202 with a new id once the broker confirmed', async () => {
    const before = received.length;
    const res = await post(valid);
    expect(res.status).toBe(202);
    const { id } = (await res.json()) as { id: string };
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    const delivery = await waitFor('the delivery', () => received.slice(before).find((d) => d.messageId === id));
    expect(JSON.parse(delivery.body.toString())).toMatchObject({ id, type: 'message.published', data: valid });
  });

  it('lists every schema violation with its path', async () => {
    const res = await post({ ...valid, ts: 'soon', sender: '', priority: 1.5, color: 'red' });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: string; issues: { path: string }[] };
    expect(body.error).toBe('validation_failed');
    expect(body.issues.map((i) => i.path).sort()).toEqual(['color', 'priority', 'sender', 'ts']);
  });

  it('answers 400 for malformed JSON, 415 for another type, 413 for a large body', async () => {
    expect((await post('{"ts":')).status).toBe(400);
    expect((await post(valid, { 'content-type': 'text/plain' })).status).toBe(415);
    const big = await post({ ...valid, messageAttributes: { a: 'x'.repeat(4000) } });
    expect(big.status).toBe(413);
    expect(await big.json()).toMatchObject({ error: 'payload_too_large' });
  });

  it('answers 422 for an event type nobody subscribes to, and publishes nothing', async () => {
    const res = await post({ ...valid, type: 'nobody.listens' });
    expect(res.status).toBe(422);
    expect(await res.json()).toMatchObject({ error: 'unroutable' });
  });

  it('returns the same id for a retried Idempotency-Key without publishing twice', async () => {
    const key = `key-${prefix}`;
    const first = await post(valid, { 'idempotency-key': key });
    const second = await post(valid, { 'idempotency-key': key });
    expect(first.status).toBe(202);
    expect(second.status).toBe(202);
    expect(second.headers.get('idempotent-replayed')).toBe('true');
    const { id } = (await first.json()) as { id: string };
    expect(await second.json()).toEqual({ id });
    await waitFor('the delivery', () => received.some((d) => d.messageId === id));
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(received.filter((d) => d.messageId === id)).toHaveLength(1);

    const reused = await post({ ...valid, priority: 2 }, { 'idempotency-key': key });
    expect(reused.status).toBe(422);
    expect(await reused.json()).toMatchObject({ error: 'idempotency_key_reused' });
  });

  it('answers 404 with a JSON body for unknown messages and routes', async () => {
    const res = await app.request('/message/01a2141b-0000-7000-8000-000000000000');
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ error: 'not_found' });
    expect((await app.request('/nope')).status).toBe(404);
  });

  it('rejects bad list parameters', async () => {
    const res = await app.request('/message?limit=0&color=red');
    expect(res.status).toBe(400);
    const body = (await res.json()) as { issues: { path: string }[] };
    expect(body.issues.map((i) => i.path).sort()).toEqual(['color', 'limit']);
  });

  it('serves an OpenAPI document derived from the schemas', async () => {
    type Schema = { required: string[]; additionalProperties: boolean; properties: Record<string, unknown> };
    type Operation = { requestBody: { content: { 'application/json': { schema: Schema } } } };
    const doc = (await (await app.request('/openapi.json')).json()) as { openapi: string; paths: { '/message/publish': { post: Operation } } };
    expect(doc.openapi).toBe('3.0.3');
    const schema = doc.paths['/message/publish'].post.requestBody.content['application/json'].schema;
    expect(schema.required).toEqual(expect.arrayContaining(['ts', 'sender', 'sent_from_ip', 'priority']));
    expect(schema.additionalProperties).toBe(false);
    expect(schema.properties.priority).toMatchObject({ minimum: 0, maximum: 10 });
    expect((await app.request('/docs')).headers.get('content-type')).toMatch(/text\/html/);
  });

  it('is ready while broker and database answer', async () => {
    const res = await app.request('/readyz');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok', broker: true, database: true });
  });

  it('answers 503 and claims nothing while the broker is away', async () => {
    const closedBroker = rabbitmqHarness.create(`${prefix}x`);
    const offline = createTestPublishApp(closedBroker, fixture.database);
    const res = await offline.request('/message/publish', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': `offline-${prefix}` },
      body: JSON.stringify(valid),
    });
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('1');
    expect(await res.json()).toMatchObject({ error: 'broker_unavailable' });
    expect((await offline.request('/readyz')).status).toBe(503);
    // The key was not claimed: with the broker back, the same key publishes.
    const retried = await post(valid, { 'idempotency-key': `offline-${prefix}` });
    expect(retried.status).toBe(202);
  });
});
