import { createRabbitMqBroker, type Broker } from '@qfn/shared';
import { amqpUrl, closeRabbitConnections, deleteRabbitTopology } from './rabbitmq';

/** How a test gets, configures and cleans up one kind of broker. */
export interface BrokerHarness {
  kind: 'rabbitmq' | 'sqs';
  /** Prepares shared infrastructure (e.g. starts an emulator); call in beforeAll. */
  setUp(): Promise<void>;
  tearDown(): Promise<void>;
  /** A broker for this prefix; `clientName` names its connection. Not connected yet. */
  create(prefix: string, clientName?: string): Broker;
  /** Environment for a function process using this broker with this prefix. */
  env(prefix: string): Record<string, string>;
  /** Removes every queue the prefix created. */
  cleanup(prefix: string): Promise<void>;
  /** Drops the live connections of clients named after the prefix (brokers with connections only). */
  dropConnections?(prefix: string): Promise<number>;
}

export const rabbitmqHarness: BrokerHarness = {
  kind: 'rabbitmq',
  setUp: async () => {},
  tearDown: async () => {},
  create: (prefix, clientName) => createRabbitMqBroker({ url: amqpUrl, prefix, clientName: clientName ?? prefix, connectTimeoutMs: 5_000 }),
  env: (prefix) => ({ BROKER: 'rabbitmq', AMQP_URL: amqpUrl, QUEUE_PREFIX: prefix }),
  cleanup: deleteRabbitTopology,
  dropConnections: closeRabbitConnections,
};

export const brokerHarnesses: BrokerHarness[] = [rabbitmqHarness];
