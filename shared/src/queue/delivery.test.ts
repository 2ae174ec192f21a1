import { describe, expect, it } from 'vitest';
import { interceptDelivery } from './delivery';
import type { Delivery } from './types';

function recordingDelivery(calls: string[], fields: Partial<Delivery> = {}): Delivery {
  return {
    body: Buffer.from('{}'),
    messageId: 'e-1',
    headers: { traceparent: '00-abc' },
    attempt: 2,
    ack: async () => void calls.push('ack'),
    retry: async (delayMs, reason) => void calls.push(`retry ${delayMs} ${reason}`),
    deadLetter: async (reason) => void calls.push(`deadLetter ${reason}`),
    release: async () => void calls.push('release'),
    ...fields,
  };
}

describe('interceptDelivery', () => {
  it('keeps every field of the message, the redelivered flag included', () => {
    const original = recordingDelivery([], { redelivered: true });
    const wrapped = interceptDelivery(original, {});
    expect({ ...wrapped, ack: undefined, retry: undefined, deadLetter: undefined, release: undefined }).toEqual({
      body: original.body,
      messageId: 'e-1',
      headers: { traceparent: '00-abc' },
      attempt: 2,
      redelivered: true,
      ack: undefined,
      retry: undefined,
      deadLetter: undefined,
      release: undefined,
    });
    expect('redelivered' in interceptDelivery(recordingDelivery([]), {})).toBe(false);
  });

  it('runs a replaced settlement instead of the original and passes the others through', async () => {
    const calls: string[] = [];
    const wrapped = interceptDelivery(recordingDelivery(calls), { ack: async () => void calls.push('replaced ack') });
    await wrapped.ack();
    await wrapped.retry(500, 'boom');
    await wrapped.deadLetter('poison');
    await wrapped.release();
    expect(calls).toEqual(['replaced ack', 'retry 500 boom', 'deadLetter poison', 'release']);
  });
});
