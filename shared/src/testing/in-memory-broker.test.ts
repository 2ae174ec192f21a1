import { describe, expect, it } from 'vitest';
import { UnroutableError, type Delivery, type QueueSpec } from '../queue/types';
import { InMemoryBroker, type Settled } from './in-memory-broker';

const retry = { maxAttempts: 3, initialDelayMs: 10, multiplier: 2, maxDelayMs: 100 };
const spec = (name: string, subscribes: string[]): QueueSpec => ({ name, subscribes, retry, visibilityTimeoutSeconds: 30 });
const message = (id: string, type = 'text.submitted') => ({ id, type, body: Buffer.from(`{"id":"${id}"}`), headers: { traceparent: 'tp' } });

/** Resolves once `count` deliveries arrived (bounded: fails after a second). */
function collect(count: number): { deliveries: Delivery[]; listener: (delivery: Delivery) => void; done: Promise<Delivery[]> } {
  const deliveries: Delivery[] = [];
  let resolve!: (value: Delivery[]) => void;
  const done = new Promise<Delivery[]>((r) => (resolve = r));
  const timer = setTimeout(() => resolve(deliveries), 1_000);
  return {
    deliveries,
    listener: (delivery) => {
      deliveries.push(delivery);
      if (deliveries.length === count) {
        clearTimeout(timer);
        resolve(deliveries);
      }
    },
    done,
  };
}

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

describe('InMemoryBroker', () => {
  it('routes a publish by topic pattern to the queue of every subscribed function, and refuses a type nobody subscribes to', async () => {
    const broker = new InMemoryBroker();
    await broker.connect();
    expect(broker.isReady()).toBe(true);
    const exact = collect(1);
    const wildcard = collect(2);
    await broker.consume(spec('exact', ['text.submitted']), exact.listener, { prefetch: 10 });
    await broker.consume(spec('wildcard', ['text.#']), wildcard.listener, { prefetch: 10 });
    await broker.publish(message('e1'));
    await broker.publish(message('e2', 'text.deleted.hard'));
    await expect(broker.publish(message('e3', 'job.completed'))).rejects.toBeInstanceOf(UnroutableError);

    expect((await exact.done).map((d) => d.messageId)).toEqual(['e1']);
    expect((await wildcard.done).map((d) => d.messageId)).toEqual(['e1', 'e2']);
    const [first] = exact.deliveries;
    expect(first).toMatchObject({ attempt: 1, redelivered: false, headers: { traceparent: 'tp' } });
    expect(first!.body.toString()).toBe('{"id":"e1"}');
    await broker.close();
    expect(broker.isReady()).toBe(false);
  });

  it('holds at most prefetch unsettled deliveries, and hands out the next one when one is settled', async () => {
    const broker = new InMemoryBroker();
    const received = collect(3);
    await broker.consume(spec('slow', ['a.b']), received.listener, { prefetch: 2 });
    for (const id of ['m1', 'm2', 'm3']) await broker.publish(message(id, 'a.b'));
    await nextTurn();
    await nextTurn();
    expect(received.deliveries.map((d) => d.messageId)).toEqual(['m1', 'm2']);
    expect(await broker.queueDepth(spec('slow', ['a.b']))).toEqual({ ready: 1, inFlight: 2, delayed: 0, deadLettered: 0 });
    await received.deliveries[0]!.ack();
    expect((await received.done).map((d) => d.messageId)).toEqual(['m1', 'm2', 'm3']);
    await broker.close();
  });

  it('redelivers a retried message after its delay with one more attempt, and a released one at once without counting it', async () => {
    const broker = new InMemoryBroker();
    const settlements: Settled[] = [];
    broker.onSettled((settled) => settlements.push(settled));
    const received = collect(3);
    await broker.consume(spec('retries', ['a.b']), received.listener, { prefetch: 5 });
    await broker.publish(message('r1', 'a.b'));
    await nextTurn();
    const started = performance.now();
    await received.deliveries[0]!.retry(30, 'boom');
    expect(await broker.queueDepth(spec('retries', ['a.b']))).toMatchObject({ ready: 0, inFlight: 0, delayed: 1 });
    for (let i = 0; i < 100 && received.deliveries.length < 2; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(performance.now() - started).toBeGreaterThanOrEqual(25);
    expect(received.deliveries[1]).toMatchObject({ messageId: 'r1', attempt: 2, redelivered: false });

    await received.deliveries[1]!.release();
    const [, , released] = await received.done;
    expect(released).toMatchObject({ messageId: 'r1', attempt: 2, redelivered: true });
    expect(settlements.map((s) => s.operation)).toEqual(['retry', 'release']);
    expect(settlements[0]).toMatchObject({ queue: 'retries', messageId: 'r1', attempt: 1, delayMs: 30, reason: 'boom' });
    await broker.close();
  });

  it('keeps dead letters with their reason and attempt count, replays them with their ids, and purges them', async () => {
    const broker = new InMemoryBroker();
    const queue = spec('dead', ['a.b']);
    const received = collect(2);
    await broker.consume(queue, received.listener, { prefetch: 5 });
    broker.inject('dead', message('d1', 'a.b'), { attempt: 3 });
    await nextTurn();
    await received.deliveries[0]!.deadLetter('failed 3 of 3 attempts');
    expect(await broker.listDeadLetters(queue, 10)).toMatchObject([{ eventId: 'd1', reason: 'failed 3 of 3 attempts', attempts: 3 }]);
    expect((await broker.queueDepth(queue)).deadLettered).toBe(1);

    expect(await broker.replayDeadLetters(queue, 10)).toBe(1);
    const [, replayed] = await received.done;
    expect(replayed).toMatchObject({ messageId: 'd1', attempt: 1 });
    await replayed!.deadLetter('again');
    expect(await broker.purgeDeadLetters(queue)).toBe(1);
    expect(broker.deadLetters('dead')).toEqual([]);
    await broker.close();
  });

  it('settles a delivery once: a second settlement rejects and changes nothing', async () => {
    const broker = new InMemoryBroker();
    const received = collect(1);
    await broker.consume(spec('once', ['a.b']), received.listener, { prefetch: 1 });
    await broker.publish(message('o1', 'a.b'));
    const [delivery] = await received.done;
    await delivery!.ack();
    await expect(delivery!.deadLetter('late')).rejects.toThrow(/already settled/);
    expect(broker.deadLetters('once')).toEqual([]);
    expect(await broker.queueDepth(spec('once', ['a.b']))).toMatchObject({ ready: 0, inFlight: 0 });
    await broker.close();
  });

  it('stops delivering to a stopped subscription and tells lifecycle listeners, until they are removed', async () => {
    const broker = new InMemoryBroker();
    const events: string[] = [];
    const listener = (event: { type: string }) => events.push(event.type);
    broker.on(listener);
    await broker.connect();
    const received = collect(1);
    const subscription = await broker.consume(spec('stopped', ['a.b']), received.listener, { prefetch: 1 });
    await subscription.stop();
    await broker.publish(message('s1', 'a.b'));
    await nextTurn();
    expect(received.deliveries).toEqual([]);
    expect((await broker.queueDepth(spec('stopped', ['a.b']))).ready).toBe(1);
    broker.off(listener);
    await broker.close();
    expect(events).toEqual(['connected']);
  });
});
