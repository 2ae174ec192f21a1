import type { MetricReader } from '@opentelemetry/sdk-metrics';
import type { SpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { TelemetryPlan } from './config';
import { load, metricReadersFor, spanProcessorsFor } from './exporters';

export interface TelemetrySdkOptions {
  /** service.name unless OTEL_SERVICE_NAME or OTEL_RESOURCE_ATTRIBUTES says otherwise. */
  serviceName: string;
  plan: TelemetryPlan;
  /** Replace the exporters (tests use in-memory ones). */
  spanProcessors?: SpanProcessor[];
  metricReaders?: MetricReader[];
}

export interface RunningSdk {
  /** Flushes and stops exporting. */
  shutdown(): Promise<void>;
}

/**
 * Starts the OpenTelemetry Node SDK with the plan's exporters. The SDK itself applies the rest of the
 * OTEL_* variables: OTEL_TRACES_SAMPLER(_ARG), OTEL_PROPAGATORS, span limits, OTEL_LOG_LEVEL, and the
 * resource detectors (env — OTEL_RESOURCE_ATTRIBUTES and OTEL_SERVICE_NAME —, process and host, or
 * OTEL_NODE_RESOURCE_DETECTORS). Loaded lazily, so a process with telemetry off never loads the SDK.
 */
export async function startTelemetrySdk(options: TelemetrySdkOptions): Promise<RunningSdk> {
  const [{ NodeSDK }, { defaultResource, resourceFromAttributes }] = await Promise.all([
    load(import('@opentelemetry/sdk-node')),
    load(import('@opentelemetry/resources')),
  ]);
  const [spanProcessors, metricReaders] = await Promise.all([
    options.spanProcessors ?? spanProcessorsFor(options.plan.traces),
    options.metricReaders ?? metricReadersFor(options.plan.metrics),
  ]);
  const sdk = new NodeSDK({
    // Detected attributes merge over this one: the environment names the service before the code does.
    resource: defaultResource().merge(resourceFromAttributes({ 'service.name': options.serviceName })),
    spanProcessors,
    metricReaders,
    // Logs go to stdout as JSON (pino); without this the SDK would set up an OTLP log exporter nothing feeds.
    logRecordProcessors: [],
    instrumentations: [],
  });
  sdk.start();
  return { shutdown: () => sdk.shutdown() };
}
