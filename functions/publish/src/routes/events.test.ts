import { beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineEvent, type Delivery, queueSpecOf } from '@qfn/shared/platform';
import runJob from '@qfn/run-job';
import storeMessage from '@qfn/store-message';
import { useConsumingBroker } from '../../../../test/support/consuming';
import { uniqueName } from '../../../../test/support/names';
import { createTestPublishApp } from '../../../../test/support/publish-app';
import { waitFor } from '../../../../test/support/wait';
import { eventDefinitions } from '../event-definitions.generated';
import { functionQueues } from '../function-queues.generated';

const nobodyListens = defineEvent('audit.recorded', z.strictObject({ what: z.string() }));

describe('POST /events/{type} and the catalog (RabbitMQ)', () => {
  const prefix = uniqueName('eventsapi');
  let app: ReturnType<typeof createTestPublishApp>;
  const received: Delivery[] = [];
  const fixture = useConsumingBroker({
    prefix,
    queues: [runJob, storeMessage].map((fn) => queueSpecOf(fn)),
    prefetch: 100,
    onDelivery: (delivery) => received.push(delivery),
  });

  beforeAll(() => {
    const definitions = new Map(eventDefinitions).set(nobodyListens.type, nobodyListens);
    app = createTestPublishApp(fixture.broker, fixture.database, { events: { definitions, subscribers: functionQueues } });
  });

  const post = (type: string, body: unknown) =>
    app.request(`/events/${type}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

  it('publishes a typed job event, its defaults filled in, once the broker confirmed', async () => {
    const res = await post('job.checksum', { text: 'abc' });
    expect(res.status).toBe(202);
    const { id } = (await res.json()) as { id: string };
    const delivery = await waitFor('the delivery', () => received.find((d) => d.messageId === id));
    expect(JSON.parse(delivery.body.toString())).toMatchObject({ id, type: 'job.checksum', data: { text: 'abc', rounds: 1 } });
  });

  it('publishes message.published too, the same body as POST /message/publish', async () => {
    const res = await post('message.published', { ts: '19941114', sender: 'haimeng', sent_from_ip: '10.0.0.1', priority: 1 });
    expect(res.status).toBe(202);
  });

  it('answers 400 naming each field that does not match the type', async () => {
    const res = await post('job.count-primes', { limit: '100', color: 'red' });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: string; issues: { path: string }[] };
    expect(body.error).toBe('validation_failed');
    expect(body.issues.map((i) => i.path).sort()).toEqual(['color', 'limit']);
  });

  it('answers 422 for a type nobody declared, and for one nobody subscribes to', async () => {
    const unknown = await post('job.mine-bitcoin', {});
    expect(unknown.status).toBe(422);
    expect(((await unknown.json()) as { error: string }).error).toBe('unknown_event_type');
    const unroutable = await post('audit.recorded', { what: 'x' });
    expect(unroutable.status).toBe(422);
    expect(((await unroutable.json()) as { error: string }).error).toBe('unroutable');
  });

  it('publishes once for a retried Idempotency-Key, and refuses the key with other data', async () => {
    const send = (body: unknown) =>
      app.request('/events/job.checksum', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': `${prefix}-k1` },
        body: JSON.stringify(body),
      });
    const first = await send({ text: 'once' });
    expect(first.status).toBe(202);
    const { id } = (await first.json()) as { id: string };
    const again = await send({ text: 'once' });
    expect(again.status).toBe(202);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(((await again.json()) as { id: string }).id).toBe(id);
    expect((await send({ text: 'twice' })).status).toBe(422);
    await waitFor('the delivery', () => received.find((d) => d.messageId === id));
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(received.filter((d) => d.messageId === id)).toHaveLength(1);
  });

  it('serves the catalog as JSON Schema with subscribers, and an ETag', async () => {
    const res = await app.request('/events');
    expect(res.status).toBe(200);
    const catalog = (await res.json()) as {
      revision: string;
      events: Record<string, { version: number; subscribers: string[]; schema: { properties: object } }>;
    };
    expect(catalog.events['job.count-primes']).toMatchObject({ version: 1, subscribers: ['run-job'], schema: { type: 'object', additionalProperties: false } });
    expect(catalog.events['message.published']!.subscribers).toEqual(['store-message']);
    expect(catalog.events['audit.recorded']!.subscribers).toEqual([]);
    const again = await app.request('/events', { headers: { 'if-none-match': res.headers.get('etag')! } });
    expect(again.status).toBe(304);
    expect((await app.request('/events/job.checksum')).status).toBe(200);
    expect((await app.request('/events/job.nope')).status).toBe(404);
  });

  it('documents one request body per type in OpenAPI', async () => {
    const document = (await (await app.request('/openapi.json')).json()) as {
      paths: Record<string, { post?: { requestBody: { content: Record<string, { schema: { properties: object } }> } } }>;
    };
    expect(Object.keys(document.paths['/events/job.word-count']!.post!.requestBody.content['application/json']!.schema.properties)).toEqual(['text', 'top']);
    expect(document.paths['/message/publish']).toBeDefined();
  });
});
