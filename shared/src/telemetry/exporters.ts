import type { MetricReader, PushMetricExporter } from '@opentelemetry/sdk-metrics';
import type { SpanExporter, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { OtlpProtocol, TelemetryPlan } from './config';

/**
 * The named exports of a lazily imported CommonJS package: esbuild's code splitting exposes them only on
 * `default`, Node's own loader on the namespace.
 */
export async function load<T extends object>(module: Promise<T>): Promise<T> {
  const namespace = (await module) as T & { default?: T };
  return Object.keys(namespace).some((key) => key !== 'default') ? namespace : (namespace.default ?? namespace);
}

/**
 * The OTLP exporter of a protocol. Each reads its endpoint (the generic one gets `/v1/traces` or
 * `/v1/metrics` appended, a signal's own is used as it is), headers, timeout, compression and
 * certificates from the OTEL_EXPORTER_OTLP_* variables itself, as the specification describes.
 */
async function otlpTraceExporter(protocol: OtlpProtocol): Promise<SpanExporter> {
  if (protocol === 'grpc') return new (await load(import('@opentelemetry/exporter-trace-otlp-grpc'))).OTLPTraceExporter();
  if (protocol === 'http/json') return new (await load(import('@opentelemetry/exporter-trace-otlp-http'))).OTLPTraceExporter();
  return new (await load(import('@opentelemetry/exporter-trace-otlp-proto'))).OTLPTraceExporter();
}

async function otlpMetricExporter(protocol: OtlpProtocol): Promise<PushMetricExporter> {
  if (protocol === 'grpc') return new (await load(import('@opentelemetry/exporter-metrics-otlp-grpc'))).OTLPMetricExporter();
  if (protocol === 'http/json') return new (await load(import('@opentelemetry/exporter-metrics-otlp-http'))).OTLPMetricExporter();
  return new (await load(import('@opentelemetry/exporter-metrics-otlp-proto'))).OTLPMetricExporter();
}

/** One processor per exporter: batched for OTLP (OTEL_BSP_* apply), one span at a time for the console, as sdk-node does. */
export async function spanProcessorsFor(plan: TelemetryPlan['traces']): Promise<SpanProcessor[]> {
  if (plan.exporters.length === 0) return [];
  const { BatchSpanProcessor, ConsoleSpanExporter, SimpleSpanProcessor } = await load(import('@opentelemetry/sdk-trace-base'));
  const processors: SpanProcessor[] = [];
  for (const name of plan.exporters) {
    if (name === 'otlp') processors.push(new BatchSpanProcessor(await otlpTraceExporter(plan.protocol)));
    else processors.push(new SimpleSpanProcessor(new ConsoleSpanExporter()));
  }
  return processors;
}

/** One reader per exporter; the push exporters (OTLP, console) every OTEL_METRIC_EXPORT_INTERVAL. */
export async function metricReadersFor(plan: TelemetryPlan['metrics']): Promise<MetricReader[]> {
  if (plan.exporters.length === 0) return [];
  const { ConsoleMetricExporter, PeriodicExportingMetricReader } = await load(import('@opentelemetry/sdk-metrics'));
  const periodic = (exporter: PushMetricExporter) =>
    new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: plan.intervalMillis, exportTimeoutMillis: plan.timeoutMillis });
  const readers: MetricReader[] = [];
  for (const name of plan.exporters) {
    if (name === 'otlp') readers.push(periodic(await otlpMetricExporter(plan.protocol)));
    else if (name === 'console') readers.push(periodic(new ConsoleMetricExporter()));
    else {
      // Reads OTEL_EXPORTER_PROMETHEUS_HOST / _PORT itself; METRICS_PORT, when set, wins.
      const { PrometheusExporter } = await load(import('@opentelemetry/exporter-prometheus'));
      readers.push(new PrometheusExporter(plan.prometheusPort ? { port: plan.prometheusPort } : {}));
    }
  }
  return readers;
}
