import { describe, expect, it } from 'vitest';
import { deadLetterView, missingQueue } from './dead-letters';

const letter = { handle: 'h-1', eventId: 'e-1', reason: 'boom', attempts: 5, deadLetteredAt: '2026-12-01T10:00:00.000Z' };

describe('deadLetterView', () => {
  it('decodes a JSON body', () => {
    expect(deadLetterView({ ...letter, body: Buffer.from('{"text":"hi"}') })).toEqual({ ...letter, body: { text: 'hi' } });
  });

  it('gives a body that is not JSON as base64, and null for what the broker did not say', () => {
    const view = deadLetterView({ handle: 'h-2', eventId: undefined, reason: 'bad', attempts: 1, deadLetteredAt: undefined, body: Buffer.from([0xff, 0x00]) });
    expect(view).toEqual({ handle: 'h-2', eventId: null, reason: 'bad', attempts: 1, deadLetteredAt: null, body: null, bodyBase64: '/wA=' });
  });
});

it('missingQueue matches how RabbitMQ and SQS say a queue is not there', () => {
  expect(
    [
      'Channel closed by server: 404 (NOT-FOUND) with message "NOT_FOUND - no queue \'x\'"',
      'AWS.SimpleQueueService.NonExistentQueue',
      'QueueDoesNotExist',
    ].every((m) => missingQueue.test(m)),
  ).toBe(true);
  expect(missingQueue.test('ECONNREFUSED')).toBe(false);
});
