import { createRabbitMqBroker, type BrokerWithAdmin } from '@qfn/shared/platform';
import { createSqsBroker, deleteSqsQueues } from '@qfn/shared/sqs';
import { startSqsEmulator, type SqsEmulator } from '@qfn/shared/sqs-emulator';
import { amqpUrl, closeRabbitConnections, deleteRabbitTopology } from './rabbitmq';

/** How a test gets, configures and cleans up one kind of broker. */
export interface BrokerHarness {
  kind: 'rabbitmq' | 'sqs';
  /** Prepares shared infrastructure (e.g. starts an emulator); call in beforeAll. */
  setUp(): Promise<void>;
  tearDown(): Promise<void>;
  /** A broker for this prefix; `clientName` names its connection. Not connected yet. */
  create(prefix: string, clientName?: string): BrokerWithAdmin;
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

let emulator: SqsEmulator | undefined;
function runningEmulator(): SqsEmulator {
  if (!emulator) throw new Error('sqs harness not set up: call setUp() in beforeAll');
  return emulator;
}

/** SQS through the real AWS SDK against the fauxqs emulator, which each test file starts for itself. */
export const sqsHarness: BrokerHarness = {
  kind: 'sqs',
  setUp: async () => {
    emulator ??= await startSqsEmulator();
  },
  tearDown: async () => {
    await emulator?.stop();
    emulator = undefined;
  },
  create: (prefix) => {
    const { endpoint, region, credentials } = runningEmulator();
    return createSqsBroker({ prefix, endpoint, region, credentials, waitTimeSeconds: 1 });
  },
  env: (prefix) => ({
    ...runningEmulator().env,
    QUEUE_PREFIX: prefix,
    SQS_WAIT_TIME_SECONDS: '1',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  }),
  cleanup: async (prefix) => {
    const { endpoint, region, credentials } = runningEmulator();
    await deleteSqsQueues({ prefix, endpoint, region, credentials });
  },
};

export const brokerHarnesses: BrokerHarness[] = [rabbitmqHarness, sqsHarness];
