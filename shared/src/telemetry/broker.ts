import { metrics, SpanKind, SpanStatusCode, trace, type Span } from '@opentelemetry/api';
import { interceptDelivery } from '../queue/delivery';
import type { Broker, Delivery, DeliveryListener } from '../queue/types';
import { metricNames, scope } from './names';
import { injectTraceHeaders } from './propagation';

/**
 * Wraps a broker so every publish is a producer span whose context travels in the message headers,
 * its confirm latency is measured, and every settlement (ack, retry, dead-letter) is a span under
 * whatever span is processing the message.
 */
export function instrumentBroker(broker: Broker): Broker {
  const tracer = trace.getTracer(scope);
  const confirmDuration = metrics.getMeter(scope).createHistogram(metricNames.publishConfirm, {
    description: 'Time from publish to broker confirmation',
    unit: 'ms',
  });
  const system = broker.kind === 'sqs' ? 'aws_sqs' : 'rabbitmq';

  const spanNames = { ack: 'ack', retry: 'retry', deadLetter: 'dead_letter', release: 'release' } as const;
  const wrapDelivery = (delivery: Delivery): Delivery =>
    interceptDelivery(delivery, (operation, proceed) => {
      const name = spanNames[operation];
      return tracer.startActiveSpan(name, { kind: SpanKind.CLIENT, attributes: { 'messaging.system': system, 'messaging.operation.name': name } }, (span) =>
        finish(span, proceed()),
      );
    });

  return {
    kind: broker.kind,
    connect: () => broker.connect(),
    isReady: () => broker.isReady(),
    on: broker.on.bind(broker),
    off: broker.off.bind(broker),
    close: () => broker.close(),
    publish: (message) =>
      tracer.startActiveSpan(
        `publish ${message.type}`,
        {
          kind: SpanKind.PRODUCER,
          attributes: {
            'messaging.system': system,
            'messaging.operation.name': 'publish',
            'messaging.destination.name': message.type,
            'messaging.message.id': message.id,
            'messaging.message.body.size': message.body.length,
          },
        },
        (span) => {
          const headers = injectTraceHeaders({ ...message.headers });
          const started = performance.now();
          return finish(
            span,
            broker.publish({ ...message, headers }).then(() => {
              confirmDuration.record(performance.now() - started, { 'messaging.system': system });
            }),
          );
        },
      ),
    consume: (spec, listener: DeliveryListener, options) => broker.consume(spec, (delivery) => listener(wrapDelivery(delivery)), options),
  } satisfies Broker;
}

/** Ends the span when the work settles, recording a failure. */
export async function finish<T>(span: Span, work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (error) {
    span.recordException(error as Error);
    span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
    throw error;
  } finally {
    span.end();
  }
}
