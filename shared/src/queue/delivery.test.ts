import { describe, expect, it } from 'vitest';
import { createDelivery, interceptDelivery, type DeliveredMessage, type Settlement } from './delivery';

const message: DeliveredMessage = { body: Buffer.from('{}'), messageId: 'e-1', headers: { traceparent: '00-abc' }, attempt: 2 };

function recordingSettlement(calls: string[]): Settlement {
  return {
    ack: async () => void calls.push('ack'),
    retry: async (delayMs, reason) => void calls.push(`retry ${delayMs} ${reason}`),
    deadLetter: async (reason) => void calls.push(`deadLetter ${reason}`),
    release: async () => void calls.push('release'),
  };
}

const withoutSettlement = (delivery: object) => ({ ...delivery, ack: undefined, retry: undefined, deadLetter: undefined, release: undefined });

describe('createDelivery', () => {
  it('settles once: the first settlement reaches the broker, a second one rejects', async () => {
    const calls: string[] = [];
    const delivery = createDelivery(message, recordingSettlement(calls));
    await delivery.retry(500, 'boom');
    await expect(delivery.ack()).rejects.toThrow('delivery already settled');
    await expect(delivery.release()).rejects.toThrow('delivery already settled');
    expect(calls).toEqual(['retry 500 boom']);
  });

  it('tells onSettle which settlement came first, before the broker call and only once', async () => {
    const calls: string[] = [];
    const delivery = createDelivery(message, recordingSettlement(calls), (operation) => calls.push(`settling ${operation}`));
    await delivery.deadLetter('poison');
    await delivery.ack().catch(() => {});
    expect(calls).toEqual(['settling deadLetter', 'deadLetter poison']);
  });

  it('counts a settlement whose broker call failed as made', async () => {
    const delivery = createDelivery(message, { ...recordingSettlement([]), ack: async () => Promise.reject(new Error('channel closed')) });
    await expect(delivery.ack()).rejects.toThrow('channel closed');
    await expect(delivery.release()).rejects.toThrow('delivery already settled');
  });

  it('carries the message fields, the redelivered flag only when given', () => {
    expect(withoutSettlement(createDelivery({ ...message, redelivered: true }, recordingSettlement([])))).toEqual(
      withoutSettlement({ ...message, redelivered: true }),
    );
    expect('redelivered' in createDelivery(message, recordingSettlement([]))).toBe(false);
  });
});

describe('interceptDelivery', () => {
  it('keeps every field of the message, the redelivered flag included', () => {
    const original = createDelivery({ ...message, redelivered: true }, recordingSettlement([]));
    const wrapped = interceptDelivery(original, (_, proceed) => proceed());
    expect(withoutSettlement(wrapped)).toEqual(withoutSettlement({ ...message, redelivered: true }));
    expect('redelivered' in interceptDelivery(createDelivery(message, recordingSettlement([])), (_, proceed) => proceed())).toBe(false);
  });

  it('runs every settlement through the interceptor, which decides whether it proceeds', async () => {
    const calls: string[] = [];
    const fresh = () => createDelivery(message, recordingSettlement(calls));
    const around = async (operation: string, proceed: () => Promise<void>) => {
      calls.push(`before ${operation}`);
      if (operation !== 'release') await proceed();
    };
    await interceptDelivery(fresh(), around).ack();
    await interceptDelivery(fresh(), around).retry(500, 'boom');
    await interceptDelivery(fresh(), around).deadLetter('poison');
    await interceptDelivery(fresh(), around).release();
    expect(calls).toEqual(['before ack', 'ack', 'before retry', 'retry 500 boom', 'before deadLetter', 'deadLetter poison', 'before release']);
  });
});
