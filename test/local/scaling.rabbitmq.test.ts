import { describe } from 'vitest';
import { itScalesZeroToNToZero } from './scenario';

describe('local mode on RabbitMQ and Postgres', () => {
  itScalesZeroToNToZero('rabbitmq', { backend: 'rabbitmq-postgres', messages: 2_000, workMs: 20, concurrency: 5, killOne: true });
});
