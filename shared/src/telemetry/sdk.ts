import type { MetricReader } from '@opentelemetry/sdk-metrics';
import type { SpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { TelemetryConfig } from './config';

/**
 * The named exports of a lazily imported CommonJS package: esbuild's code splitting exposes them only on
 * `default`, Node's own loader on the namespace.
 */
async function load<T extends object>(module: Promise<T>): Promise<T> {
  const namespace = (await module) as T & { default?: T };
  return Object.keys(namespace).some((key) => key !== 'default') ? namespace : (namespace.default ?? namespace);
}

export interface TelemetrySdkOptions {
  serviceName: string;
  config: TelemetryConfig;
  /** Replace the exporters (tests use in-memory ones). */
  spanProcessors?: SpanProcessor[];
  metricReaders?: MetricReader[];
}

export interface RunningSdk {
  /** Flushes and stops exporting. */
  shutdown(): Promise<void>;
}

/**
 * Starts the OpenTelemetry Node SDK: OTLP over HTTP (the standard OTEL_* variables) and/or a Prometheus
 * scrape endpoint. Loaded lazily, so a process with telemetry off never loads the SDK.
 */
export async function startTelemetrySdk(options: TelemetrySdkOptions): Promise<RunningSdk> {
  const { NodeSDK } = await load(import('@opentelemetry/sdk-node'));
  const { config } = options;
  const spanProcessors = options.spanProcessors ?? (await otlpSpanProcessors(config));
  const metricReaders = options.metricReaders ?? (await defaultMetricReaders(config));
  const sdk = new NodeSDK({
    serviceName: config.OTEL_SERVICE_NAME ?? options.serviceName,
    spanProcessors,
    metricReaders,
    instrumentations: [],
    autoDetectResources: false,
  });
  sdk.start();
  return { shutdown: () => sdk.shutdown() };
}

async function otlpSpanProcessors(config: TelemetryConfig): Promise<SpanProcessor[]> {
  if (!config.OTEL_EXPORTER_OTLP_ENDPOINT && !config.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) return [];
  const { OTLPTraceExporter } = await load(import('@opentelemetry/exporter-trace-otlp-http'));
  const { BatchSpanProcessor } = await load(import('@opentelemetry/sdk-trace-base'));
  return [new BatchSpanProcessor(new OTLPTraceExporter())];
}

async function defaultMetricReaders(config: TelemetryConfig): Promise<MetricReader[]> {
  const readers: MetricReader[] = [];
  if (config.OTEL_EXPORTER_OTLP_ENDPOINT || config.OTEL_EXPORTER_OTLP_METRICS_ENDPOINT) {
    const { OTLPMetricExporter } = await load(import('@opentelemetry/exporter-metrics-otlp-http'));
    const { PeriodicExportingMetricReader } = await load(import('@opentelemetry/sdk-metrics'));
    readers.push(new PeriodicExportingMetricReader({ exporter: new OTLPMetricExporter(), exportIntervalMillis: 15_000 }));
  }
  if (config.METRICS_PORT) {
    const { PrometheusExporter } = await load(import('@opentelemetry/exporter-prometheus'));
    readers.push(new PrometheusExporter({ port: config.METRICS_PORT }));
  }
  return readers;
}
