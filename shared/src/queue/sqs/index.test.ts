import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DeleteQueueCommand, GetQueueAttributesCommand, GetQueueUrlCommand, ListQueueTagsCommand, SQSClient } from '@aws-sdk/client-sqs';
import { retryDefaults } from '../../function/define';
import { type BrokerWithAdmin, BrokerUnavailableError, type BrokerEvent, type Delivery, type QueueSpec, UnroutableError } from '../types';
import { startSqsEmulator, type SqsEmulator } from './emulator';
import { createSqsBroker, deleteSqsQueues, sqsQueueNames, type SqsBrokerOptions } from './index';

let sqs: SqsEmulator;
let admin: SQSClient;
let prefix: string;
const brokers: BrokerWithAdmin[] = [];

beforeAll(async () => {
  sqs = await startSqsEmulator();
  admin = new SQSClient({ endpoint: sqs.endpoint, region: sqs.region, credentials: sqs.credentials });
});
afterAll(async () => {
  admin.destroy();
  await sqs.stop();
});
beforeEach(() => {
  prefix = uniquePrefix();
});
afterEach(async () => {
  for (const broker of brokers.splice(0)) await broker.close();
  await deleteSqsQueues({ prefix, endpoint: sqs.endpoint, region: sqs.region, credentials: sqs.credentials });
});

async function connectedBroker(options: Partial<SqsBrokerOptions> = {}): Promise<BrokerWithAdmin> {
  const broker = createSqsBroker({
    prefix,
    endpoint: sqs.endpoint,
    region: sqs.region,
    credentials: sqs.credentials,
    waitTimeSeconds: 1,
    ...options,
  });
  brokers.push(broker);
  await broker.connect();
  return broker;
}

function uniquePrefix(): string {
  return `t${randomBytes(4).toString('hex')}`;
}

function spec(name: string, overrides: Partial<QueueSpec> = {}): QueueSpec {
  return {
    name,
    subscribes: ['message.published'],
    retry: { ...retryDefaults, maxAttempts: 3 },
    visibilityTimeoutSeconds: 30,
    ...overrides,
  };
}

function event(type = 'message.published', headers: Record<string, string> = {}) {
  const id = randomBytes(8).toString('hex');
  return { id, type, body: Buffer.from(JSON.stringify({ id, type, data: { n: 1 } })), headers };
}

/** The queue of `spec(name, overrides)`, declared on the broker. */
async function provisioned(broker: BrokerWithAdmin, name: string, overrides: Partial<QueueSpec> = {}): Promise<QueueSpec> {
  const queue = spec(name, overrides);
  await broker.provision(queue);
  return queue;
}

/** Deliveries of one subscription, in arrival order, with a way to wait for the next one. */
async function collect(broker: BrokerWithAdmin, queue: QueueSpec, prefetch = 10) {
  const deliveries: Delivery[] = [];
  const waiters: (() => void)[] = [];
  const subscription = await broker.consume(
    queue,
    (delivery) => {
      deliveries.push(delivery);
      for (const wake of waiters.splice(0)) wake();
    },
    { prefetch },
  );
  const nth = async (n: number, timeoutMs = 10_000): Promise<Delivery> => {
    const deadline = Date.now() + timeoutMs;
    while (deliveries.length < n) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`only ${deliveries.length} of ${n} deliveries arrived`);
      await new Promise<void>((resolve) => {
        waiters.push(resolve);
        setTimeout(resolve, left);
      });
    }
    return deliveries[n - 1]!;
  };
  return { deliveries, nth, subscription };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitUntil(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(100);
  }
}

async function queueUrl(name: string): Promise<string> {
  return (await admin.send(new GetQueueUrlCommand({ QueueName: name }))).QueueUrl!;
}

describe('SQS broker', () => {
  it('provisions the queue and its dead-letter queue idempotently, converging changed settings', async () => {
    const broker = await connectedBroker();
    const queue = spec('orders', { subscribes: ['order.*', 'invoice.#'] });
    await broker.provision(queue);
    await broker.provision(queue);
    const names = sqsQueueNames(prefix);
    const url = await queueUrl(names.queue('orders'));
    const dlqUrl = await queueUrl(names.deadLetterQueue('orders'));
    const dlqArn = (await admin.send(new GetQueueAttributesCommand({ QueueUrl: dlqUrl, AttributeNames: ['QueueArn'] }))).Attributes!.QueueArn;

    const attributes = async () => (await admin.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['All'] }))).Attributes!;
    expect(await attributes()).toMatchObject({ VisibilityTimeout: '30', MessageRetentionPeriod: String(4 * 24 * 3600) });
    expect(JSON.parse((await attributes()).RedrivePolicy!)).toEqual({ deadLetterTargetArn: dlqArn, maxReceiveCount: 6 });
    const tags = (await admin.send(new ListQueueTagsCommand({ QueueUrl: url }))).Tags;
    expect(tags).toMatchObject({ 'qfn-prefix': prefix, 'qfn-function': 'orders', 'qfn-role': 'main', 'qfn-subscribes': 'order.+ invoice.=' });

    // Another replica with a newer declaration brings the queue to it.
    const other = await connectedBroker();
    await other.provision({ ...queue, visibilityTimeoutSeconds: 45, subscribes: ['order.created'], retry: { ...queue.retry, maxAttempts: 5 } });
    expect(await attributes()).toMatchObject({ VisibilityTimeout: '45' });
    expect(JSON.parse((await attributes()).RedrivePolicy!).maxReceiveCount).toBe(8);
    expect((await admin.send(new ListQueueTagsCommand({ QueueUrl: url }))).Tags!['qfn-subscribes']).toBe('order.created');
  });

  it('publishes to every queue whose patterns match the event type, with id and headers as attributes', async () => {
    const broker = await connectedBroker();
    const a = spec('a', { subscribes: ['order.*'] });
    const b = spec('b', { subscribes: ['order.#', 'invoice.created'] });
    const c = spec('c', { subscribes: ['user.created'] });
    for (const queue of [a, b, c]) await broker.provision(queue);
    const [inA, inB, inC] = await Promise.all([collect(broker, a), collect(broker, b), collect(broker, c)]);

    const created = event('order.created', { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' });
    await broker.publish(created);
    await broker.publish(event('order.created.eu'));
    await broker.publish(event('invoice.created'));

    const first = await inA.nth(1);
    expect(first.messageId).toBe(created.id);
    expect(first.headers).toEqual({ traceparent: created.headers.traceparent });
    expect(first.body.equals(created.body)).toBe(true);
    expect(first.attempt).toBe(1);
    await inB.nth(3);
    await sleep(300);
    expect(inA.deliveries).toHaveLength(1);
    expect(inB.deliveries.map((d) => d.messageId)).toContain(created.id);
    expect(inC.deliveries).toHaveLength(0);
    await expect(broker.publish(event('invoice.paid'))).rejects.toBeInstanceOf(UnroutableError);
  });

  it('finds queues another process provisioned, also right after a miss', async () => {
    const publisher = await connectedBroker({ routeCacheTtlMs: 60_000 });
    await expect(publisher.publish(event())).rejects.toBeInstanceOf(UnroutableError);
    const worker = await connectedBroker();
    const queue = await provisioned(worker, 'late');
    const inbox = await collect(worker, queue);

    const sent = event();
    await publisher.publish(sent);
    expect((await inbox.nth(1)).messageId).toBe(sent.id);
  });

  it('follows a function whose subscriptions changed', async () => {
    const publisher = await connectedBroker({ routeCacheTtlMs: 60_000 });
    const worker = await connectedBroker();
    await worker.provision(spec('moving', { subscribes: ['a.*'] }));
    await publisher.publish(event('a.x'));
    await connectedBroker().then((redeployed) => redeployed.provision(spec('moving', { subscribes: ['b.*'] })));
    await sleep(1_100);

    await publisher.publish(event('b.x'));
    await expect(publisher.publish(event('a.x'))).rejects.toBeInstanceOf(UnroutableError);
    expect((await worker.queueDepth(spec('moving'))).ready).toBe(2);
  });

  it('never reports a partly accepted publish as success, and stops routing to a deleted queue', async () => {
    const broker = await connectedBroker();
    await broker.provision(spec('kept'));
    await broker.provision(spec('gone'));
    await broker.publish(event());
    await admin.send(new DeleteQueueCommand({ QueueUrl: await queueUrl(sqsQueueNames(prefix).queue('gone')) }));

    await expect(broker.publish(event())).rejects.toThrow(BrokerUnavailableError);
    await expect(broker.publish(event())).resolves.toBeUndefined();
    expect((await broker.queueDepth(spec('kept'))).ready).toBe(3);
  });

  it('deletes an acknowledged message', async () => {
    const broker = await connectedBroker();
    const queue = await provisioned(broker, 'acks');
    await broker.publish(event());
    const inbox = await collect(broker, queue);
    const delivery = await inbox.nth(1);
    expect(await broker.queueDepth(queue)).toEqual({ ready: 0, inFlight: 1, delayed: 0, deadLettered: 0 });
    await delivery.ack();
    expect(await broker.queueDepth(queue)).toEqual({ ready: 0, inFlight: 0, delayed: 0, deadLettered: 0 });
    await expect(delivery.ack()).rejects.toThrow(/already settled/);
  });

  it('redelivers a retried message after its delay, as the next attempt', async () => {
    const broker = await connectedBroker();
    const queue = await provisioned(broker, 'retries');
    const sent = event();
    await broker.publish(sent);
    const inbox = await collect(broker, queue);
    const first = await inbox.nth(1);
    const retriedAt = Date.now();
    await first.retry(1_000, 'boom');
    await sleep(500);
    expect(inbox.deliveries).toHaveLength(1);
    const second = await inbox.nth(2);
    expect(Date.now() - retriedAt).toBeGreaterThanOrEqual(900);
    expect(second).toMatchObject({ messageId: sent.id, attempt: 2 });
    await second.ack();
  });

  it('dead-letters with the reason and attempt count, out of the function’s queue', async () => {
    const broker = await connectedBroker();
    const queue = await provisioned(broker, 'letters');
    const sent = event('message.published', { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' });
    await broker.publish(sent);
    const inbox = await collect(broker, queue);
    await (await inbox.nth(1)).deadLetter('failed 1 of 3 attempts; last error: Error: nope');

    const letters = await broker.listDeadLetters(queue, 10);
    expect(letters).toEqual([expect.objectContaining({ eventId: sent.id, reason: 'failed 1 of 3 attempts; last error: Error: nope', attempts: 1 })]);
    expect(letters[0]!.body.equals(sent.body)).toBe(true);
    expect(Date.parse(letters[0]!.deadLetteredAt!)).toBeGreaterThan(Date.now() - 60_000);
    expect(await broker.queueDepth(queue)).toEqual({ ready: 0, inFlight: 0, delayed: 0, deadLettered: 1 });
  });

  it('makes a released message visible again at once', async () => {
    const broker = await connectedBroker();
    const queue = await provisioned(broker, 'released', { visibilityTimeoutSeconds: 60 });
    await broker.publish(event());
    const inbox = await collect(broker, queue);
    await (await inbox.nth(1)).release();
    const again = await inbox.nth(2, 5_000);
    expect(again.messageId).toBe(inbox.deliveries[0]!.messageId);
    await again.ack();
  });

  it('keeps a message invisible while its handler runs three times the visibility timeout', async () => {
    const broker = await connectedBroker();
    const queue = await provisioned(broker, 'heartbeat', { visibilityTimeoutSeconds: 1 });
    await broker.publish(event());
    const inbox = await collect(broker, queue, 5);
    const delivery = await inbox.nth(1);
    await sleep(3_000);
    expect(inbox.deliveries).toHaveLength(1);
    await delivery.ack();
    expect(await broker.queueDepth(queue)).toEqual({ ready: 0, inFlight: 0, delayed: 0, deadLettered: 0 });
  });

  it('never holds more unsettled messages than the prefetch', async () => {
    const broker = await connectedBroker();
    const queue = await provisioned(broker, 'prefetch');
    await Promise.all(Array.from({ length: 30 }, () => broker.publish(event())));
    const inbox = await collect(broker, queue, 12);
    await inbox.nth(12);
    await sleep(1_500);
    expect(inbox.deliveries).toHaveLength(12);
    expect(await broker.queueDepth(queue)).toEqual({ ready: 18, inFlight: 12, delayed: 0, deadLettered: 0 });
    await Promise.all(inbox.deliveries.slice(0, 5).map((d) => d.ack()));
    await inbox.nth(17);
    await sleep(500);
    expect(inbox.deliveries).toHaveLength(17);
  });

  it('lists dead letters without consuming them, replays them with their id, and purges them', async () => {
    const broker = await connectedBroker();
    const queue = await provisioned(broker, 'operator');
    const sent = [event(), event(), event()];
    for (const e of sent) await broker.publish(e);
    const inbox = await collect(broker, queue);
    await inbox.nth(3);
    for (const delivery of inbox.deliveries) await delivery.deadLetter('poison');
    await inbox.subscription.stop();

    expect(await broker.listDeadLetters(queue, 10)).toHaveLength(3);
    expect(await broker.listDeadLetters(queue, 2)).toHaveLength(2);
    expect(new Set((await broker.listDeadLetters(queue, 10)).map((l) => l.eventId))).toEqual(new Set(sent.map((e) => e.id)));

    expect(await broker.replayDeadLetters(queue, 1)).toBe(1);
    const replayed = await collect(broker, queue);
    const delivery = await replayed.nth(1);
    expect(sent.map((e) => e.id)).toContain(delivery.messageId);
    expect(delivery.attempt).toBe(1);
    await delivery.ack();

    expect(await broker.purgeDeadLetters(queue)).toBe(2);
    expect(await broker.listDeadLetters(queue, 10)).toEqual([]);
  });

  it('stops receiving at once, and a message arriving after stop goes to the next consumer without waiting out a timeout', async () => {
    // Long polls of 5 s; the test's own close may cut them short (its queues are deleted after).
    const broker = await connectedBroker({ waitTimeSeconds: 5, closeTimeoutMs: 300 });
    const queue = await provisioned(broker, 'stopping', { visibilityTimeoutSeconds: 60 });
    const first = await collect(broker, queue);
    await sleep(200); // its receive is now waiting at SQS
    const stopStarted = Date.now();
    await first.subscription.stop();
    expect(Date.now() - stopStarted).toBeLessThan(1_000);

    const second = await collect(broker, queue);
    await broker.publish(event());
    const delivery = await second.nth(1, 8_000);
    await delivery.ack();
    expect(first.deliveries).toHaveLength(0);
  });

  it('hands back, on close, the messages whose handlers never settled them', async () => {
    const leaving = await connectedBroker();
    const queue = await provisioned(leaving, 'abandoned', { visibilityTimeoutSeconds: 60 });
    await leaving.publish(event());
    const first = await collect(leaving, queue);
    await first.nth(1);
    await leaving.close();

    const next = await connectedBroker();
    const second = await collect(next, queue);
    const delivery = await second.nth(1, 5_000);
    expect(delivery.messageId).toBe(first.deliveries[0]!.messageId);
    await delivery.ack();
  });

  it('replays each dead letter once, even when its function dead-letters it again at once', async () => {
    const broker = await connectedBroker();
    const queue = await provisioned(broker, 'relapse');
    await broker.consume(queue, (delivery) => void delivery.deadLetter('poison'), { prefetch: 10 });
    await broker.publish(event());
    await waitUntil(async () => (await broker.listDeadLetters(queue, 10)).length === 1);
    expect(await broker.replayDeadLetters(queue, 10)).toBe(1);
  });

  it('reports queue depth as KEDA reads it, and zeros for a queue that does not exist', async () => {
    const broker = await connectedBroker();
    const queue = spec('depth');
    expect(await broker.queueDepth(queue)).toEqual({ ready: 0, inFlight: 0, delayed: 0, deadLettered: 0 });
    await broker.provision(queue);
    for (let i = 0; i < 3; i++) await broker.publish(event());
    expect(await broker.queueDepth(queue)).toEqual({ ready: 3, inFlight: 0, delayed: 0, deadLettered: 0 });
    const inbox = await collect(broker, queue, 1);
    await inbox.nth(1);
    expect(await broker.queueDepth(queue)).toEqual({ ready: 2, inFlight: 1, delayed: 0, deadLettered: 0 });
  });

  it('carries a body that is not UTF-8 text unchanged', async () => {
    const broker = await connectedBroker();
    const queue = await provisioned(broker, 'binary');
    const body = Buffer.from([0x00, 0xff, 0xfe, 0x01, 0x80]);
    await broker.publish({ id: 'bin-1', type: 'message.published', body });
    const inbox = await collect(broker, queue);
    const delivery = await inbox.nth(1);
    expect(delivery.body.equals(body)).toBe(true);
    expect(delivery.headers).toEqual({});
  });
});

describe('SQS broker connection', () => {
  it('fails connect() in bounded time when nothing answers', async () => {
    const broker = createSqsBroker({
      prefix: 'nobody',
      endpoint: 'http://127.0.0.1:1',
      region: 'us-east-1',
      credentials: { accessKeyId: 'x', secretAccessKey: 'y' },
      connectTimeoutMs: 500,
    });
    const events: BrokerEvent['type'][] = [];
    broker.on((e) => events.push(e.type));
    await expect(broker.connect()).rejects.toBeInstanceOf(BrokerUnavailableError);
    expect(broker.isReady()).toBe(false);
    expect(events).toContain('reconnect_failed');
    await broker.close();
  });

  it('reports disconnected when SQS stops answering and connected when it is back', async () => {
    const emulator = await startSqsEmulator();
    const port = Number(new URL(emulator.endpoint).port);
    const broker = createSqsBroker({
      prefix: uniquePrefix(),
      endpoint: emulator.endpoint,
      region: emulator.region,
      credentials: emulator.credentials,
      waitTimeSeconds: 1,
    });
    const events: BrokerEvent['type'][] = [];
    broker.on((e) => events.push(e.type));
    await broker.connect();
    expect(broker.isReady()).toBe(true);
    await broker.provision(spec('survivor'));

    await emulator.stop();
    await expect(broker.publish(event())).rejects.toBeInstanceOf(BrokerUnavailableError);
    expect(broker.isReady()).toBe(false);
    expect(events).toContain('disconnected');

    const restarted = await startSqsEmulator({ port });
    try {
      const deadline = Date.now() + 10_000;
      while (!broker.isReady() && Date.now() < deadline) await sleep(100);
      expect(broker.isReady()).toBe(true);
      expect(events.filter((e) => e === 'connected')).toHaveLength(2);
    } finally {
      await broker.close();
      await restarted.stop();
    }
  });
});
