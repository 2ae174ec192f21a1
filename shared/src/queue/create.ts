import type { CommonConfig } from '../config/index';
import { createRabbitMqBroker } from './rabbitmq/index';
import type { BrokerWithAdmin } from './types';

export interface CreateBrokerOptions {
  /** One connection attempt is abandoned (socket destroyed) and retried after this long. */
  connectAttemptTimeoutMs?: number;
}

/**
 * The broker the configuration names (`BROKER=rabbitmq|sqs`): its data plane and its queue admin over
 * the same connections. Give a replica's worker the `Broker` half, tooling the `QueueAdmin` half.
 */
export async function createBroker(config: CommonConfig, clientName: string, options: CreateBrokerOptions = {}): Promise<BrokerWithAdmin> {
  switch (config.BROKER) {
    case 'rabbitmq':
      return createRabbitMqBroker({
        url: config.AMQP_URL,
        prefix: config.QUEUE_PREFIX,
        clientName,
        ...(options.connectAttemptTimeoutMs ? { attemptTimeoutMs: options.connectAttemptTimeoutMs } : {}),
        ...(config.RABBITMQ_MANAGEMENT_URL ? { managementUrl: config.RABBITMQ_MANAGEMENT_URL } : {}),
      });
    case 'sqs': {
      const { createSqsBrokerFromEnv } = await import('./sqs/index');
      return createSqsBrokerFromEnv(config);
    }
  }
}
