import type { CommonConfig } from '../../config/index';
import type { Broker } from '../types';

// Replaced by the SQS adapter (issue 3).
export function createSqsBrokerFromEnv(_config: CommonConfig): Broker {
  throw new Error('BROKER=sqs is not available yet');
}
