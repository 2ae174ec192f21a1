import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { messageEvent } from '@qfn/events';
import { defineFunction, encodeEnvelope, queueSpecOf, uuidv7, type BrokerWithAdmin } from '@qfn/shared/platform';
import { managementUrlFor } from '@qfn/shared/platform';
import { topologyNames } from '@qfn/shared/platform';
import { sqsQueueNames } from '@qfn/shared/platform';
import { createSqsBroker } from '@qfn/shared/sqs';
import { rabbitmqHarness } from '../../test/support/brokers';
import { uniqueName } from '../../test/support/names';
import { amqpUrl } from '../../test/support/rabbitmq';
import { startSqsEmulator, type SqsEmulator } from '@qfn/shared/sqs-emulator';
import { waitFor } from '../../test/support/wait';
import { AmqpQueueScaler } from './rabbitmq-amqp';
import { rabbitmqHttpLook } from './rabbitmq-http';
import { SqsQueueScaler } from './sqs';

/** The local runner's scalers against the machine's RabbitMQ and the SQS emulator: counts as KEDA reads them, and an unreadable depth is an error. */
const declaration = (name: string) => defineFunction({ name, subscribes: ['scaler.test'], schema: messageEvent, handler: async () => {} });

async function publish(broker: BrokerWithAdmin, count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    const id = uuidv7();
    await broker.publish({ id, type: 'scaler.test', body: encodeEnvelope({ id, type: 'scaler.test', time: new Date().toISOString(), data: {} }) });
  }
}

describe('RabbitMQ scalers', () => {
  const prefix = uniqueName('scalers');
  const fn = declaration('counted');
  const queueName = topologyNames(prefix).queue(fn.name);
  let broker: BrokerWithAdmin;
  const amqp = new AmqpQueueScaler(amqpUrl);
  beforeAll(async () => {
    broker = rabbitmqHarness.create(prefix);
    await broker.connect();
    await broker.provision(queueSpecOf(fn));
    await publish(broker, 3);
  });
  afterAll(async () => {
    await amqp.close();
    await broker.close();
    await rabbitmqHarness.cleanup(prefix);
  });

  it('over AMQP sees the ready messages at once (passive declare), with no statistics refresh to wait for', async () => {
    expect(await amqp.look({ queueName, activation: 0 })()).toEqual({ value: 3, active: true });
    expect(await amqp.look({ queueName, activation: 3 })()).toEqual({ value: 3, active: false });
  });

  it('over AMQP: a missing queue is an error, and the next look opens a new channel', async () => {
    await expect(amqp.look({ queueName: `${queueName}-missing`, activation: 0 })()).rejects.toThrow(/NOT_FOUND|404/);
    expect(await amqp.look({ queueName, activation: 0 })()).toMatchObject({ value: 3 });
  });

  it('over AMQP: a missing queue does not fail another queue looked at the same moment', async () => {
    const [missing, present] = await Promise.allSettled([
      amqp.look({ queueName: `${queueName}-gone`, activation: 0 })(),
      amqp.look({ queueName, activation: 0 })(),
    ]);
    expect(missing.status).toBe('rejected');
    expect(present).toEqual({ status: 'fulfilled', value: { value: 3, active: true } });
  });

  it('over HTTP reads messages (ready + unacknowledged) once the management API has them', async () => {
    const look = rabbitmqHttpLook(managementUrlFor(amqpUrl), '/', { queueName, mode: 'QueueLength', excludeUnacknowledged: false, activation: 0 });
    const reading = await waitFor(
      'the management API to count 3 messages',
      async () => {
        const value = await look().catch(() => undefined);
        return value?.value === 3 ? value : undefined;
      },
      15_000,
      250,
    );
    expect(reading).toEqual({ value: 3, active: true });
  });

  it('over HTTP: a missing queue and refused credentials are errors, not an empty queue', async () => {
    const missing = rabbitmqHttpLook(managementUrlFor(amqpUrl), '/', {
      queueName: `${queueName}-missing`,
      mode: 'QueueLength',
      excludeUnacknowledged: false,
      activation: 0,
    });
    await expect(missing()).rejects.toThrow(/not found/);
    const refused = rabbitmqHttpLook(managementUrlFor('amqp://guest:wrong@127.0.0.1:5672'), '/', {
      queueName,
      mode: 'QueueLength',
      excludeUnacknowledged: false,
      activation: 0,
    });
    await expect(refused()).rejects.toThrow(/answered 401/);
  });

  it('over AMQP: an unreachable broker is an error', async () => {
    const down = new AmqpQueueScaler('amqp://guest:guest@127.0.0.1:1');
    await expect(down.look({ queueName, activation: 0 })()).rejects.toThrow(/ECONNREFUSED/);
    await down.close();
  });
});

describe('SQS scaler', () => {
  const prefix = uniqueName('scalers');
  const fn = declaration('counted');
  const queueName = sqsQueueNames(prefix).queue(fn.name);
  let emulator: SqsEmulator;
  let broker: BrokerWithAdmin;
  let scaler: SqsQueueScaler;
  beforeAll(async () => {
    emulator = await startSqsEmulator();
    scaler = new SqsQueueScaler({ endpoint: emulator.endpoint, region: emulator.region, credentials: emulator.credentials });
    broker = createSqsBroker({ prefix, endpoint: emulator.endpoint, region: emulator.region, credentials: emulator.credentials, waitTimeSeconds: 1 });
    await broker.connect();
    await broker.provision(queueSpecOf(fn));
    await publish(broker, 2);
  });
  afterAll(async () => {
    scaler.close();
    await broker.close();
    await emulator.stop();
  });

  it('adds visible, in-flight and delayed messages as its metadata asks', async () => {
    const trigger = { queueName, scaleOnInFlight: true, scaleOnDelayed: false, activation: 0 };
    expect(await scaler.look(trigger)()).toEqual({ value: 2, active: true });
    expect(await scaler.look({ ...trigger, activation: 2 })()).toEqual({ value: 2, active: false });
  });

  it('a missing queue is an error, not an empty queue', async () => {
    await expect(scaler.look({ queueName: `${queueName}-missing`, scaleOnInFlight: true, scaleOnDelayed: false, activation: 0 })()).rejects.toThrow(/exist/i);
  });
});
