import { describe, expect, it } from 'vitest';
import { matchesTopic } from '../../messages/topic';
import { decodeSubscriptions, isInstallationMainQueue, queueTags, sqsQueueNames } from './names';

describe('SQS queue names', () => {
  it('derives queue and dead-letter names from prefix, function and suffix', () => {
    expect(sqsQueueNames('qfn').queue('store-message')).toBe('qfn-store-message');
    expect(sqsQueueNames('qfn', 'prod').queue('store-message')).toBe('qfn-store-message-prod');
    expect(sqsQueueNames('qfn', 'prod').deadLetterQueue('store-message')).toBe('qfn-store-message-prod-dlq');
    expect(sqsQueueNames('team.a').queue('x')).toBe('team_a-x');
  });

  it('refuses names SQS would refuse', () => {
    expect(() => sqsQueueNames('p').queue('x'.repeat(80))).toThrow(/at most 80/);
  });

  it('stores topic patterns in tag values without * and #, and reads them back', () => {
    const names = sqsQueueNames('qfn');
    const patterns = ['order.*', 'invoice.#', '#', 'user.created'];
    const tags = queueTags(names, 'fn', 'main', patterns);
    expect(Object.values(tags).join('')).not.toMatch(/[*#]/);
    expect(decodeSubscriptions(tags)).toEqual(patterns);
    expect(matchesTopic(decodeSubscriptions(tags)[0]!, 'order.created')).toBe(true);
  });

  it('splits many patterns over several tags of at most 256 characters', () => {
    const patterns = Array.from({ length: 40 }, (_, i) => `domain${i}.event-with-a-long-name.*`);
    const tags = queueTags(sqsQueueNames('qfn'), 'fn', 'main', patterns);
    const values = Object.entries(tags).filter(([key]) => key.startsWith('qfn-subscribes'));
    expect(values.length).toBeGreaterThan(1);
    for (const [, value] of values) expect(value.length).toBeLessThanOrEqual(256);
    expect(decodeSubscriptions(tags)).toEqual(patterns);
  });

  it('tells this installation’s main queues from dead-letter queues and other prefixes or suffixes', () => {
    const names = sqsQueueNames('qfn', 'prod');
    expect(isInstallationMainQueue(names, queueTags(names, 'fn', 'main', ['a']))).toBe(true);
    expect(isInstallationMainQueue(names, queueTags(names, 'fn', 'dead-letter'))).toBe(false);
    expect(isInstallationMainQueue(names, queueTags(sqsQueueNames('qfn'), 'fn', 'main', ['a']))).toBe(false);
    expect(isInstallationMainQueue(names, queueTags(sqsQueueNames('qfn-prod', 'prod'), 'fn', 'main', ['a']))).toBe(false);
  });
});
