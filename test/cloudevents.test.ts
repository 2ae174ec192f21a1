/**
 * Producers outside the platform publish CloudEvents straight to the broker, without the publish API:
 * to the RabbitMQ topic exchange (amqplib, binary and structured mode) or to the function's SQS queue
 * (the AWS SDK, attributes and structured body). The function validates each by its type. And the other way:
 * what the platform publishes is a CloudEvent an outside consumer reads.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import amqp from 'amqplib';
import { GetQueueUrlCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import pino from 'pino';
import { z } from 'zod';
import { type BrokerWithAdmin, defineEvent, defineFunction, encodeEnvelope, FunctionWorker, queueSpecOf, uuidv7 } from '@qfn/shared/platform';
import { brokerHarnesses, rabbitmqHarness } from './support/brokers';
import { createTestDatabase, type TestDatabase } from './support/database';
import { uniqueName } from './support/names';
import { amqpUrl } from './support/rabbitmq';
import { waitFor } from './support/wait';

const orderPlaced = defineEvent('order.placed', z.strictObject({ orderId: z.string(), quantity: z.int().min(1) }));

describe.each(brokerHarnesses)('CloudEvents from outside producers on $kind', (harness) => {
  const prefix = uniqueName('cloudevents');
  let database: TestDatabase;
  let broker: BrokerWithAdmin;
  let worker: FunctionWorker;
  const handled: { id: string; data: unknown }[] = [];
  const fn = defineFunction({
    name: 'ship-order',
    subscribes: [orderPlaced],
    retry: { maxAttempts: 2, initialDelayMs: 100 },
    handler: async (event, ctx) => {
      handled.push({ id: ctx.eventId, data: event });
    },
  });

  /** Sends like an outside service would: no qfn client, only the broker's own. */
  let send: (body: string, attributes: Record<string, string>) => Promise<void>;
  let close: () => Promise<void> = async () => {};

  beforeAll(async () => {
    await harness.setUp();
    database = await createTestDatabase(prefix);
    broker = harness.create(prefix);
    await broker.connect();
    worker = new FunctionWorker({ declaration: fn, broker, db: database.db, log: pino({ level: 'silent' }) });
    await worker.start();
    if (harness.kind === 'rabbitmq') {
      const connection = await amqp.connect(amqpUrl);
      const channel = await connection.createConfirmChannel();
      send = async (body, headers) => {
        const binary = Object.keys(headers).length > 0;
        channel.publish(`${prefix}.events`, 'order.placed', Buffer.from(body), {
          persistent: true,
          contentType: binary ? 'application/json' : 'application/cloudevents+json',
          headers,
        });
        await channel.waitForConfirms();
      };
      close = () => connection.close();
    } else {
      const env = harness.env(prefix);
      const client = new SQSClient({
        endpoint: env['SQS_ENDPOINT'],
        region: env['AWS_REGION'],
        credentials: { accessKeyId: env['AWS_ACCESS_KEY_ID']!, secretAccessKey: env['AWS_SECRET_ACCESS_KEY']! },
      });
      const { QueueUrl } = await client.send(new GetQueueUrlCommand({ QueueName: `${prefix.replaceAll('.', '_')}-ship-order` }));
      send = async (body, attributes) => {
        await client.send(
          new SendMessageCommand({
            QueueUrl,
            MessageBody: body,
            MessageAttributes: Object.fromEntries(Object.entries(attributes).map(([k, v]) => [k, { DataType: 'String', StringValue: v }])),
          }),
        );
      };
      close = async () => client.destroy();
    }
  });

  afterAll(async () => {
    await worker.stop({ timeoutMs: 5_000 });
    await close();
    await broker.close();
    await harness.cleanup(prefix);
    await database.drop();
    await harness.tearDown();
  });

  const prefixFor = harness.kind === 'rabbitmq' ? 'cloudEvents:' : 'ce-';
  const binary = (id: string) => ({
    [`${prefixFor}specversion`]: '1.0',
    [`${prefixFor}id`]: id,
    [`${prefixFor}source`]: '/billing',
    [`${prefixFor}type`]: 'order.placed',
  });

  it('accepts a binary-mode CloudEvent and hands the handler its typed data', async () => {
    await send(JSON.stringify({ orderId: 'o-1', quantity: 2 }), binary(`${prefix}-b1`));
    expect(await waitFor('the binary event', () => handled.find((h) => h.id === `${prefix}-b1`))).toEqual({
      id: `${prefix}-b1`,
      data: { orderId: 'o-1', quantity: 2 },
    });
  });

  it('accepts a structured-mode CloudEvent', async () => {
    await send(
      JSON.stringify({
        specversion: '1.0',
        id: `${prefix}-s1`,
        source: '/billing',
        type: 'order.placed',
        datacontenttype: 'application/json',
        data: { orderId: 'o-2', quantity: 1 },
      }),
      {},
    );
    expect(await waitFor('the structured event', () => handled.find((h) => h.id === `${prefix}-s1`))).toEqual({
      id: `${prefix}-s1`,
      data: { orderId: 'o-2', quantity: 1 },
    });
  });

  it('applies a redelivered CloudEvent id once, and dead-letters data its type refuses', async () => {
    await send(JSON.stringify({ orderId: 'o-3', quantity: 1 }), binary(`${prefix}-b2`));
    await send(JSON.stringify({ orderId: 'o-3', quantity: 1 }), binary(`${prefix}-b2`));
    await send(JSON.stringify({ orderId: 'o-4', quantity: 0 }), binary(`${prefix}-bad`));
    const spec = queueSpecOf(fn);
    const dead = await waitFor(
      'the refused event in the dead-letter queue',
      async () => {
        const letters = await broker.listDeadLetters(spec, 10);
        return letters.length > 0 ? letters : undefined;
      },
      20_000,
    );
    expect(dead[0]!.reason).toMatch(/schema validation failed[\s\S]*quantity/);
    expect(handled.filter((h) => h.id === `${prefix}-b2`)).toHaveLength(1);
    expect(handled.some((h) => h.id === `${prefix}-bad`)).toBe(false);
  });
});

describe('what the platform publishes, read by a consumer outside it (RabbitMQ, amqplib only)', () => {
  const prefix = uniqueName('cloudevents-out');
  let broker: BrokerWithAdmin;
  let connection: amqp.ChannelModel;

  beforeAll(async () => {
    broker = rabbitmqHarness.create(prefix);
    await broker.connect();
    // A subscriber makes the type routable (publishing an event nobody subscribes to is refused).
    await broker.provision({
      name: 'ship-order',
      subscribes: ['order.placed'],
      retry: { maxAttempts: 1, initialDelayMs: 100, maxDelayMs: 100, multiplier: 2 },
      visibilityTimeoutSeconds: 30,
    });
    connection = await amqp.connect(amqpUrl);
  });

  afterAll(async () => {
    await connection?.close();
    await broker?.close();
    await rabbitmqHarness.cleanup(prefix);
  });

  it('is a structured-mode CloudEvent: application/cloudevents+json, specversion 1.0, source naming the producer', async () => {
    const channel = await connection.createChannel();
    const { queue } = await channel.assertQueue('', { exclusive: true });
    await channel.bindQueue(queue, `${prefix}.events`, 'order.#');
    const id = uuidv7();
    const time = new Date().toISOString();
    await broker.publish({
      id,
      type: 'order.placed',
      body: encodeEnvelope({ id, type: 'order.placed', time, data: { orderId: 'o-9', quantity: 3 }, source: '/qfn/functions/checkout' }),
    });
    const message = await waitFor('the event on the outside consumer’s queue', async () => (await channel.get(queue, { noAck: true })) || undefined, 10_000);
    expect(message.properties.contentType).toBe('application/cloudevents+json');
    expect(JSON.parse(message.content.toString('utf8'))).toEqual({
      specversion: '1.0',
      id,
      source: '/qfn/functions/checkout',
      type: 'order.placed',
      time,
      datacontenttype: 'application/json',
      data: { orderId: 'o-9', quantity: 3 },
    });
    await channel.close();
  });
});
