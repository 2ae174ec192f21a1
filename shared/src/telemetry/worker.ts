import { context, metrics, SpanKind, trace, type Link } from '@opentelemetry/api';
import type { ProcessingTracer, FunctionWorker } from '../runtime/worker';
import { finish } from './broker';
import { metricNames, scope } from './names';
import { extractTraceContext } from './propagation';

/**
 * Continues each message's trace: a consumer span per message, child of the producer span its headers
 * carry. A batch runs under one span linked to every message's span.
 */
export function otelProcessingTracer(functionName: string, system: string): ProcessingTracer {
  const tracer = trace.getTracer(scope);
  const attributes = { 'messaging.system': system, 'messaging.destination.name': functionName, 'messaging.operation.name': 'process' };
  return {
    trace: (items, work) => {
      const messageSpans = items.map(({ headers, eventId, attempt }) =>
        tracer.startSpan(
          `process ${functionName}`,
          { kind: SpanKind.CONSUMER, attributes: { ...attributes, 'messaging.message.id': eventId, 'qfn.attempt': attempt } },
          extractTraceContext(headers),
        ),
      );
      if (messageSpans.length === 1) {
        const span = messageSpans[0]!;
        return context.with(trace.setSpan(context.active(), span), () => finish(span, work()));
      }
      const links: Link[] = messageSpans.map((span) => ({ context: span.spanContext() }));
      return tracer.startActiveSpan(
        `process ${functionName} batch`,
        { kind: SpanKind.CONSUMER, links, attributes: { ...attributes, 'messaging.batch.message_count': items.length } },
        (batchSpan) =>
          finish(batchSpan, work()).finally(() => {
            for (const span of messageSpans) span.end();
          }),
      );
    },
  };
}

/** Per-function metrics from the worker's lifecycle events. */
export function recordWorkerMetrics(worker: FunctionWorker, functionName: string): void {
  const meter = metrics.getMeter(scope);
  const attributes = { 'qfn.function': functionName };
  const received = meter.createCounter(metricNames.received, { description: 'Messages received' });
  const processed = meter.createCounter(metricNames.processed, { description: 'Messages whose effect committed and were acknowledged' });
  const duplicates = meter.createCounter(metricNames.duplicates, { description: 'Redelivered messages absorbed by the inbox' });
  const failed = meter.createCounter(metricNames.failed, { description: 'Handler failures (each is retried or dead-lettered)' });
  const retried = meter.createCounter(metricNames.retried, { description: 'Messages scheduled for another attempt' });
  const deadLettered = meter.createCounter(metricNames.deadLettered, { description: 'Messages moved to the dead-letter queue' });
  const duration = meter.createHistogram(metricNames.handlerDuration, { description: 'Transaction time: handler and inbox row', unit: 'ms' });
  const lag = meter.createHistogram(metricNames.queueLag, {
    description: 'Time from acceptance by the publish function to the start of processing',
    unit: 'ms',
  });
  meter
    .createObservableGauge(metricNames.inFlight, { description: 'Messages being processed by this replica' })
    .addCallback((result) => result.observe(worker.inFlight, attributes));

  worker.on('message_received', ({ envelope }) => {
    received.add(1, attributes);
    if (envelope) {
      const accepted = Date.parse(envelope.time);
      if (!Number.isNaN(accepted)) lag.record(Math.max(0, Date.now() - accepted), attributes);
    }
  });
  worker.on('message_processed', ({ durationMs, duplicate }) => {
    processed.add(1, attributes);
    if (duplicate) duplicates.add(1, attributes);
    else duration.record(durationMs, attributes);
  });
  worker.on('message_retried', () => {
    failed.add(1, attributes);
    retried.add(1, attributes);
  });
  worker.on('message_dead_lettered', ({ reason }) => {
    failed.add(1, attributes);
    deadLettered.add(1, {
      ...attributes,
      'qfn.reason': reason.startsWith('schema validation') ? 'invalid' : reason.startsWith('permanent') ? 'permanent' : 'exhausted',
    });
  });
}

/** Records the replica's cold start (process start → consuming) once. */
export function recordColdStart(functionName: string, durationMs: number): void {
  metrics
    .getMeter(scope)
    .createHistogram(metricNames.coldStart, { description: 'Process start to consuming, once per replica', unit: 'ms' })
    .record(durationMs, { 'qfn.function': functionName });
}
