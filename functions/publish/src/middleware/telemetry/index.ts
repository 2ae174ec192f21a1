import { context, metrics, propagation, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { MiddlewareHandler } from 'hono';
import { routePath } from 'hono/route';
import { metricNames, scope } from '@qfn/shared/platform';

/**
 * A server span per request (continuing an incoming `traceparent`), and request metrics by route and status.
 * Install it only with telemetry on: off, the route runs with no wrapper at all.
 *
 * @example
 * if (telemetry.enabled) app.use(httpTelemetry());
 */
export function httpTelemetry(): MiddlewareHandler {
  const tracer = trace.getTracer(scope);
  const meter = metrics.getMeter(scope);
  const requests = meter.createCounter(metricNames.httpRequests, { description: 'HTTP requests by route and status' });
  const duration = meter.createHistogram(metricNames.httpDuration, { description: 'HTTP request duration', unit: 'ms' });
  return async (c, next) => {
    const parent = propagation.extract(context.active(), Object.fromEntries(c.req.raw.headers));
    const method = c.req.method;
    const span = tracer.startSpan(
      `${method} ${c.req.path}`,
      { kind: SpanKind.SERVER, attributes: { 'http.request.method': method, 'url.path': c.req.path } },
      parent,
    );
    const started = performance.now();
    try {
      await context.with(trace.setSpan(parent, span), () => next());
    } finally {
      const route = routePath(c, -1) || c.req.path;
      const status = c.res.status;
      span.updateName(`${method} ${route}`);
      span.setAttributes({ 'http.route': route, 'http.response.status_code': status });
      if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
      const attributes = { 'http.request.method': method, 'http.route': route, 'http.response.status_code': status };
      requests.add(1, attributes);
      duration.record(performance.now() - started, attributes);
    }
  };
}
