import { z } from 'zod';
import { booleanFlag } from '../config/index';

/**
 * Telemetry settings: the standard OTEL_* variables, plus METRICS_PORT for a Prometheus scrape endpoint.
 * Telemetry is on when an OTLP endpoint or a metrics port is configured and OTEL_SDK_DISABLED is not true.
 */
export const telemetryConfig = z.object({
  OTEL_SDK_DISABLED: booleanFlag(false),
  OTEL_EXPORTER_OTLP_ENDPOINT: z.url().optional(),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: z.url().optional(),
  OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: z.url().optional(),
  OTEL_SERVICE_NAME: z.string().optional(),
  /** Serve Prometheus metrics on this port at /metrics (0 or unset: off). */
  METRICS_PORT: z.coerce.number().int().min(0).max(65535).default(0),
});
export type TelemetryConfig = z.output<typeof telemetryConfig>;

export function telemetryWanted(config: TelemetryConfig): boolean {
  if (config.OTEL_SDK_DISABLED) return false;
  return Boolean(
    config.OTEL_EXPORTER_OTLP_ENDPOINT || config.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || config.OTEL_EXPORTER_OTLP_METRICS_ENDPOINT || config.METRICS_PORT,
  );
}
