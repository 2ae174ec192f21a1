import { afterAll, beforeAll } from 'vitest';
import type { BrokerWithAdmin, Delivery, QueueSpec } from '@qfn/shared/platform';
import { rabbitmqHarness, type BrokerHarness } from './brokers';
import { createTestDatabase, type TestDatabase } from './database';

export interface ConsumingOptions {
  prefix: string;
  /** RabbitMQ unless told. */
  harness?: BrokerHarness;
  /** The queues whose deliveries the test watches (none unless told); each delivery is handed to `onDelivery` and acked. */
  queues?: QueueSpec[];
  /** Declares the queues first (leave off where they are declared from elsewhere, e.g. a function's own queue). */
  provision?: boolean;
  prefetch?: number;
  onDelivery?(delivery: Delivery): void;
}

export interface Consuming {
  readonly database: TestDatabase;
  readonly broker: BrokerWithAdmin;
}

/**
 * Registers the file's beforeAll/afterAll for the common fixture: a migrated test database and a connected broker
 * consuming the given queues; all removed again after the tests. Read `database` and `broker` inside tests and hooks.
 */
export function useConsumingBroker(options: ConsumingOptions): Consuming {
  const harness = options.harness ?? rabbitmqHarness;
  let database: TestDatabase | undefined;
  let broker: BrokerWithAdmin | undefined;

  beforeAll(async () => {
    await harness.setUp();
    database = await createTestDatabase(options.prefix);
    broker = harness.create(options.prefix);
    await broker.connect();
    for (const queue of options.queues ?? []) {
      if (options.provision) await broker.provision(queue);
      await broker.consume(
        queue,
        (delivery) => {
          options.onDelivery?.(delivery);
          void delivery.ack();
        },
        { prefetch: options.prefetch ?? 100 },
      );
    }
  });

  afterAll(async () => {
    await broker?.close();
    await harness.cleanup(options.prefix);
    await database?.drop();
    await harness.tearDown();
  });

  return {
    get database() {
      if (!database) throw new Error('useConsumingBroker: the database is there only inside tests and hooks');
      return database;
    },
    get broker() {
      if (!broker) throw new Error('useConsumingBroker: the broker is there only inside tests and hooks');
      return broker;
    },
  };
}
