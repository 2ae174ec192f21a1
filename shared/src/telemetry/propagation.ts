import { context, propagation, type Context } from '@opentelemetry/api';

/** W3C trace context of the active span, as message headers (`traceparent`, `tracestate`). */
export function injectTraceHeaders(into: Record<string, string> = {}, from: Context = context.active()): Record<string, string> {
  propagation.inject(from, into);
  return into;
}

/** The context a message's headers carry (the producer's span), to continue its trace. */
export function extractTraceContext(headers: Readonly<Record<string, string>>): Context {
  return propagation.extract(context.active(), headers);
}
