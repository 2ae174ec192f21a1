import type postgres from 'postgres';
import { parseConfig } from '../config/index';
import type { Broker } from '../queue/types';
import type { FunctionWorker, ProcessingTracer } from '../runtime/worker';
import { instrumentBroker } from './broker';
import { telemetryConfig, telemetryWanted } from './config';
import { startTelemetrySdk, type TelemetrySdkOptions } from './sdk';
import { instrumentSql } from './sql';
import { otelProcessingTracer, recordColdStart, recordWorkerMetrics } from './worker';

/** What a process does differently with telemetry on; with it off, every method hands its input back untouched. */
export interface ProcessTelemetry {
  enabled: boolean;
  broker(broker: Broker): Broker;
  sql(sql: postgres.Sql): postgres.Sql;
  tracer(functionName: string, broker: Broker): ProcessingTracer | undefined;
  observeWorker(worker: FunctionWorker, functionName: string): void;
  coldStart(functionName: string, durationMs: number): void;
  shutdown(): Promise<void>;
}

const off: ProcessTelemetry = {
  enabled: false,
  broker: (broker) => broker,
  sql: (sql) => sql,
  tracer: () => undefined,
  observeWorker: () => {},
  coldStart: () => {},
  shutdown: async () => {},
};

/**
 * Starts telemetry for this process when OTEL_EXPORTER_OTLP_ENDPOINT or METRICS_PORT asks for it
 * (tests pass in-memory processors and readers instead). Off, it costs nothing: the SDK is not loaded.
 */
export async function startProcessTelemetry(
  serviceName: string,
  overrides: Pick<TelemetrySdkOptions, 'spanProcessors' | 'metricReaders'> = {},
  env: NodeJS.ProcessEnv = process.env,
): Promise<ProcessTelemetry> {
  const config = parseConfig(telemetryConfig, env);
  const forced = overrides.spanProcessors !== undefined || overrides.metricReaders !== undefined;
  if (!forced && !telemetryWanted(config)) return off;
  const sdk = await startTelemetrySdk({ serviceName, config, ...overrides });
  return {
    enabled: true,
    broker: instrumentBroker,
    sql: instrumentSql,
    tracer: (functionName, broker) => otelProcessingTracer(functionName, broker.kind === 'sqs' ? 'aws_sqs' : 'rabbitmq'),
    observeWorker: recordWorkerMetrics,
    coldStart: recordColdStart,
    shutdown: () => sdk.shutdown(),
  };
}
