import { AsyncLocalStorage } from 'node:async_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { context, propagation, ROOT_CONTEXT, trace, TraceFlags, type Context, type ContextManager } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { z } from 'zod';
import { defineEvent } from '../events/define';
import type { Delivery } from '../queue/types';
import { useConsumingBroker } from '../../../test/support/consuming';
import { uniqueName } from '../../../test/support/names';
import { waitFor } from '../../../test/support/wait';
import { outboxPublisher } from './publisher';
import { OutboxRelay } from './relay';

/** What the OpenTelemetry SDK installs when telemetry is on: the active context follows async calls. */
class AsyncContextManager implements ContextManager {
  readonly #storage = new AsyncLocalStorage<Context>();
  active = () => this.#storage.getStore() ?? ROOT_CONTEXT;
  with = <A extends unknown[], F extends (...args: A) => ReturnType<F>>(ctx: Context, fn: F, thisArg?: ThisParameterType<F>, ...args: A) =>
    this.#storage.run(ctx, () => fn.apply(thisArg, args));
  bind = <T>(_ctx: Context, target: T) => target;
  enable = () => this;
  disable = () => this;
}

const noted = defineEvent('test.traced', z.strictObject({ n: z.int() }));
const spec = {
  name: 'traced',
  subscribes: ['test.traced'],
  retry: { maxAttempts: 2, initialDelayMs: 100, multiplier: 2, maxDelayMs: 1000 },
  visibilityTimeoutSeconds: 5,
};

describe('trace context across the outbox hop (Postgres + RabbitMQ)', () => {
  const prefix = uniqueName('outboxtrace');
  const received: Delivery[] = [];

  beforeAll(() => {
    context.setGlobalContextManager(new AsyncContextManager());
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  });

  afterAll(() => {
    context.disable();
    propagation.disable();
  });

  const fixture = useConsumingBroker({ prefix, queues: [spec], provision: true, prefetch: 10, onDelivery: (delivery) => received.push(delivery) });

  it("sends the child with the traceparent of the handler's span, so its processing joins the parent's trace", async () => {
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const handlerSpan = trace.setSpanContext(ROOT_CONTEXT, { traceId, spanId: '00f067aa0ba902b7', traceFlags: TraceFlags.SAMPLED });
    const id = await context.with(handlerSpan, () =>
      fixture.database.db.transaction((tx) => outboxPublisher(tx as never, 'parent-traced', 'traced')(noted, { n: 1 })),
    );
    await new OutboxRelay({ db: fixture.database.db, broker: fixture.broker, source: 'traced' }).drainOnce();
    const delivery = await waitFor('the child', () => received.find((d) => d.messageId === id));
    expect(delivery.headers['traceparent']).toBe(`00-${traceId}-00f067aa0ba902b7-01`);
  });
});
