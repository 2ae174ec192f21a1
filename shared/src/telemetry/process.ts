import type postgres from 'postgres';
import { loadConfig } from '../config/index';
import type { Broker } from '../queue/types';
import type { FunctionWorker, ProcessingTracer } from '../runtime/worker';
import { instrumentBroker } from './broker';
import { exportersRequested, telemetryConfig, telemetryPlan, telemetryWanted } from './config';
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
 * Starts telemetry for this process when the OTEL_* variables or METRICS_PORT ask for an exporter
 * (see telemetryPlan; tests pass in-memory processors and readers instead). Off, it costs nothing: the
 * SDK is not loaded and, with no exporter variable set, no OTEL_* variable is even parsed. With one set, a
 * bad OTEL_* value stops the process with exit code 78, naming the variable.
 */
export async function startProcessTelemetry(
  serviceName: string,
  overrides: Pick<TelemetrySdkOptions, 'spanProcessors' | 'metricReaders'> = {},
): Promise<ProcessTelemetry> {
  const forced = overrides.spanProcessors !== undefined || overrides.metricReaders !== undefined;
  if (!forced && !exportersRequested(process.env)) return off;
  const plan = telemetryPlan(loadConfig(telemetryConfig));
  if (!forced && !telemetryWanted(plan)) return off;
  const sdk = await startTelemetrySdk({ serviceName, plan, ...overrides });
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
