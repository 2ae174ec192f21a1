import type { CommonConfig } from '../config/index';
import { createRabbitMqBroker } from './rabbitmq/index';
import type { Broker } from './types';

/** The broker the configuration names (`BROKER=rabbitmq|sqs`). */
export async function createBroker(config: CommonConfig, clientName: string): Promise<Broker> {
  switch (config.BROKER) {
    case 'rabbitmq':
      return createRabbitMqBroker({
        url: config.AMQP_URL,
        prefix: config.QUEUE_PREFIX,
        clientName,
        ...(config.RABBITMQ_MANAGEMENT_URL ? { managementUrl: config.RABBITMQ_MANAGEMENT_URL } : {}),
      });
    case 'sqs': {
      const { createSqsBrokerFromEnv } = await import('./sqs/index');
      return createSqsBrokerFromEnv(config);
    }
  }
}
