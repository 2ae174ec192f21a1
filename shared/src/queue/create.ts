import type { CommonConfig } from '../config/index';
import { createRabbitMqBroker } from './rabbitmq/index';
import type { Broker } from './types';

export interface CreateBrokerOptions {
  /** One connection attempt is abandoned (socket destroyed) and retried after this long. */
  connectAttemptTimeoutMs?: number;
}

/** The broker the configuration names (`BROKER=rabbitmq|sqs`). */
export async function createBroker(config: CommonConfig, clientName: string, options: CreateBrokerOptions = {}): Promise<Broker> {
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
