import { describe, expect, it } from 'vitest';
import { functionQueueName, functionQueueNames } from './names';

describe('functionQueueNames', () => {
  it('names RabbitMQ queues <prefix>.<fn>, dead letters <prefix>.<fn>.dlq', () => {
    expect(functionQueueName('rabbitmq', 'team.a', 'store-message')).toBe('team.a.store-message');
    expect(functionQueueNames('rabbitmq', 'qfn').deadLetterQueue('store-message')).toBe('qfn.store-message.dlq');
    expect(() => functionQueueNames('rabbitmq', 'qfn', 'prod')).toThrow(/SQS only/);
  });

  it('names SQS queues <prefix>-<fn>[-<suffix>] with the prefix dots made underscores, dead letters …-dlq', () => {
    expect(functionQueueName('sqs', 'team.a', 'store-message')).toBe('team_a-store-message');
    expect(functionQueueName('sqs', 'qfn', 'store-message', 'prod')).toBe('qfn-store-message-prod');
    expect(functionQueueNames('sqs', 'qfn', 'prod').deadLetterQueue('store-message')).toBe('qfn-store-message-prod-dlq');
    expect(() => functionQueueName('sqs', 'p', 'x'.repeat(80))).toThrow(/at most 80/);
  });
});
