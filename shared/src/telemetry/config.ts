import { z } from 'zod';
import { url } from '../config/index';

/**
 * The OpenTelemetry SDK's environment variables (https://opentelemetry.io/docs/specs/otel/configuration/sdk-environment-variables/),
 * plus METRICS_PORT for a Prometheus scrape endpoint. An empty value counts as unset, enum values are
 * case-insensitive, as the specification says. Unlike the SDKs, which warn and fall back to a default,
 * a value the SDK would not understand stops the process (exit 78) with the variable's name, like every
 * other setting here: a typo must not silently turn telemetry off. They are read only when some exporter
 * is asked for (exportersRequested): otherwise nothing would use them.
 *
 * Validated here, then read by the SDK itself: endpoints, headers, timeouts and compression by the OTLP
 * exporters; the sampler, propagators, span limits and OTEL_BSP_* by @opentelemetry/sdk-node; resource
 * attributes by its resource detectors. This module only decides which exporters run (see telemetryPlan).
 */

const lowerCase = (value: unknown) => (typeof value === 'string' ? value.trim().toLowerCase() : value);
const oneOf = <const T extends readonly [string, ...string[]]>(values: T) =>
  z.preprocess(lowerCase, z.enum(values, { message: `must be one of ${values.join(', ')}` }));

/** A comma-separated list of names (OTEL_TRACES_EXPORTER=otlp,console); `none` stands alone. */
const nameList = <const T extends readonly [string, ...string[]]>(values: T) => {
  const allowed: readonly string[] = [...values, 'none'];
  return z
    .string()
    .transform((raw) => [
      ...new Set(
        raw
          .split(',')
          .map((name) => name.trim().toLowerCase())
          .filter(Boolean),
      ),
    ])
    .superRefine((names, ctx) => {
      const unknown = names.filter((name) => !allowed.includes(name));
      if (unknown.length > 0) ctx.addIssue({ code: 'custom', message: `"${unknown.join('", "')}" is not one of ${allowed.join(', ')}` });
      else if (names.includes('none') && names.length > 1) ctx.addIssue({ code: 'custom', message: '"none" cannot be combined with other values' });
    })
    .transform((names) => names.filter((name) => name !== 'none') as T[number][]);
};

const otelBoolean = z.preprocess(lowerCase, z.enum(['true', 'false'], { message: 'must be true or false' }).default('false')).transform((v) => v === 'true');
/** A whole number, as digits (z.coerce would turn "soon" into NaN, reported as if the variable were unset). */
const digits = (message: string) => z.string().trim().regex(/^\d+$/, message).transform(Number);
const milliseconds = digits('must be a whole number of milliseconds').pipe(z.number().positive('must be greater than 0'));
const count = digits('must be a whole number').pipe(z.number().positive('must be greater than 0'));
const port = digits('must be a port number').pipe(z.number().max(65535, 'must be a port number'));
const protocol = oneOf(['http/protobuf', 'http/json', 'grpc'] as const);
const compression = oneOf(['gzip', 'none'] as const);

/** `key=value,key2=value2`, each part percent-decodable (W3C Baggage without properties). */
function keyValueList(what: string, maxLength = Infinity) {
  return z.string().superRefine((raw, ctx) => {
    for (const entry of raw.split(',')) {
      if (entry.trim() === '') continue;
      const at = entry.indexOf('=');
      const key = at < 0 ? '' : entry.slice(0, at).trim();
      const value = at < 0 ? '' : entry.slice(at + 1).trim();
      let decoded: [string, string] | undefined;
      try {
        decoded = [decodeURIComponent(key), decodeURIComponent(value)];
      } catch {
        decoded = undefined;
      }
      const problem =
        !key || at < 0
          ? 'is not key=value'
          : !decoded
            ? 'is not valid percent-encoding'
            : decoded[0].length > maxLength || decoded[1].length > maxLength
              ? `is longer than ${maxLength} characters`
              : undefined;
      if (problem) ctx.addIssue({ code: 'custom', message: `${what} "${entry.trim().slice(0, 40)}" ${problem}` });
    }
  });
}

const resourceAttributes = keyValueList('attribute', 255).refine(
  (raw) => raw.split(',').every((entry) => entry.split('=').length <= 2 || entry.trim() === ''),
  {
    message: 'has an "=" inside a key or value: percent-encode it as %3D',
  },
);
const headers = keyValueList('header');
const endpoint = url(['http', 'https']);

export const telemetryConfig = z
  .object({
    OTEL_SDK_DISABLED: otelBoolean,
    OTEL_SERVICE_NAME: z.string().optional(),
    OTEL_RESOURCE_ATTRIBUTES: resourceAttributes.optional(),

    OTEL_TRACES_EXPORTER: nameList(['otlp', 'console'] as const).optional(),
    OTEL_METRICS_EXPORTER: nameList(['otlp', 'prometheus', 'console'] as const).optional(),

    OTEL_EXPORTER_OTLP_PROTOCOL: protocol.optional(),
    OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: protocol.optional(),
    OTEL_EXPORTER_OTLP_METRICS_PROTOCOL: protocol.optional(),
    OTEL_EXPORTER_OTLP_ENDPOINT: endpoint.optional(),
    OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: endpoint.optional(),
    OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: endpoint.optional(),
    OTEL_EXPORTER_OTLP_HEADERS: headers.optional(),
    OTEL_EXPORTER_OTLP_TRACES_HEADERS: headers.optional(),
    OTEL_EXPORTER_OTLP_METRICS_HEADERS: headers.optional(),
    OTEL_EXPORTER_OTLP_TIMEOUT: milliseconds.optional(),
    OTEL_EXPORTER_OTLP_TRACES_TIMEOUT: milliseconds.optional(),
    OTEL_EXPORTER_OTLP_METRICS_TIMEOUT: milliseconds.optional(),
    OTEL_EXPORTER_OTLP_COMPRESSION: compression.optional(),
    OTEL_EXPORTER_OTLP_TRACES_COMPRESSION: compression.optional(),
    OTEL_EXPORTER_OTLP_METRICS_COMPRESSION: compression.optional(),
    OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE: oneOf(['cumulative', 'delta', 'lowmemory'] as const).optional(),

    /** Between two metric exports (the specification's default: 60 s). */
    OTEL_METRIC_EXPORT_INTERVAL: milliseconds.default(60_000),
    /** Longest one metric export may take; never more than the interval. */
    OTEL_METRIC_EXPORT_TIMEOUT: milliseconds.optional(),

    OTEL_TRACES_SAMPLER: oneOf([
      'always_on',
      'always_off',
      'traceidratio',
      'parentbased_always_on',
      'parentbased_always_off',
      'parentbased_traceidratio',
    ] as const).optional(),
    OTEL_TRACES_SAMPLER_ARG: z.string().optional(),
    OTEL_PROPAGATORS: nameList(['tracecontext', 'baggage', 'b3', 'b3multi', 'jaeger'] as const).optional(),
    OTEL_BSP_SCHEDULE_DELAY: milliseconds.optional(),
    OTEL_BSP_EXPORT_TIMEOUT: milliseconds.optional(),
    OTEL_BSP_MAX_QUEUE_SIZE: count.optional(),
    OTEL_BSP_MAX_EXPORT_BATCH_SIZE: count.optional(),
    OTEL_LOG_LEVEL: oneOf(['none', 'error', 'warn', 'info', 'debug', 'verbose', 'all'] as const).optional(),

    OTEL_EXPORTER_PROMETHEUS_HOST: z.string().optional(),
    OTEL_EXPORTER_PROMETHEUS_PORT: port.pipe(z.number().min(1, 'must be a port number')).optional(),
    /** Serve Prometheus metrics on this port at /metrics (0 or unset: off); the same as adding `prometheus` to OTEL_METRICS_EXPORTER on this port. */
    METRICS_PORT: port.default(0),
  })
  .superRefine((config, ctx) => {
    const interval = config.OTEL_METRIC_EXPORT_INTERVAL;
    if (config.OTEL_METRIC_EXPORT_TIMEOUT !== undefined && config.OTEL_METRIC_EXPORT_TIMEOUT > interval) {
      ctx.addIssue({ code: 'custom', path: ['OTEL_METRIC_EXPORT_TIMEOUT'], message: `must not exceed OTEL_METRIC_EXPORT_INTERVAL (${interval} ms)` });
    }
    if (config.OTEL_TRACES_SAMPLER?.endsWith('traceidratio') && config.OTEL_TRACES_SAMPLER_ARG !== undefined) {
      const ratio = Number(config.OTEL_TRACES_SAMPLER_ARG);
      if (!(ratio >= 0 && ratio <= 1)) ctx.addIssue({ code: 'custom', path: ['OTEL_TRACES_SAMPLER_ARG'], message: 'must be a ratio between 0 and 1' });
    }
  });
export type TelemetryConfig = z.output<typeof telemetryConfig>;

export type OtlpProtocol = 'http/protobuf' | 'http/json' | 'grpc';
export type TraceExporterName = 'otlp' | 'console';
export type MetricExporterName = 'otlp' | 'prometheus' | 'console';

/** Which exporters this process runs, and how: what the configuration means, decided in one place. */
export interface TelemetryPlan {
  traces: { exporters: TraceExporterName[]; protocol: OtlpProtocol };
  metrics: {
    exporters: MetricExporterName[];
    protocol: OtlpProtocol;
    intervalMillis: number;
    timeoutMillis: number;
    /** undefined: OTEL_EXPORTER_PROMETHEUS_PORT, else the exporter's default 9464. */
    prometheusPort: number | undefined;
  };
}

/**
 * The exporters the variables ask for. An unset OTEL_TRACES_EXPORTER / OTEL_METRICS_EXPORTER means
 * `otlp` when an OTLP endpoint for that signal is set (OTEL_EXPORTER_OTLP_ENDPOINT or the signal's own),
 * and nothing otherwise — the specification's default would send to localhost:4318 from every process
 * that never asked for telemetry. METRICS_PORT adds `prometheus`, even beside OTEL_METRICS_EXPORTER=none.
 */
export function telemetryPlan(config: TelemetryConfig): TelemetryPlan {
  const traces = config.OTEL_TRACES_EXPORTER ?? (config.OTEL_EXPORTER_OTLP_ENDPOINT || config.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ? ['otlp' as const] : []);
  const metrics: MetricExporterName[] = [
    ...(config.OTEL_METRICS_EXPORTER ?? (config.OTEL_EXPORTER_OTLP_ENDPOINT || config.OTEL_EXPORTER_OTLP_METRICS_ENDPOINT ? ['otlp' as const] : [])),
  ];
  if (config.METRICS_PORT > 0 && !metrics.includes('prometheus')) metrics.push('prometheus');
  const interval = config.OTEL_METRIC_EXPORT_INTERVAL;
  return {
    traces: {
      exporters: config.OTEL_SDK_DISABLED ? [] : traces,
      protocol: config.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ?? config.OTEL_EXPORTER_OTLP_PROTOCOL ?? 'http/protobuf',
    },
    metrics: {
      exporters: config.OTEL_SDK_DISABLED ? [] : metrics,
      protocol: config.OTEL_EXPORTER_OTLP_METRICS_PROTOCOL ?? config.OTEL_EXPORTER_OTLP_PROTOCOL ?? 'http/protobuf',
      intervalMillis: interval,
      timeoutMillis: Math.min(config.OTEL_METRIC_EXPORT_TIMEOUT ?? 30_000, interval),
      prometheusPort: config.METRICS_PORT || undefined,
    },
  };
}

/** The only variables that can ask for an exporter (see telemetryPlan). */
const exporterVariables = [
  'OTEL_TRACES_EXPORTER',
  'OTEL_METRICS_EXPORTER',
  'OTEL_EXPORTER_OTLP_ENDPOINT',
  'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT',
  'OTEL_EXPORTER_OTLP_METRICS_ENDPOINT',
  'METRICS_PORT',
] as const;

/**
 * Whether any variable that can turn an exporter on is set. When none is, telemetry is off whatever else
 * says, and nothing needs parsing: the zod schema's first parse costs milliseconds of a cold start.
 */
export function exportersRequested(env: NodeJS.ProcessEnv): boolean {
  return exporterVariables.some((name) => Boolean(env[name]));
}

/** Telemetry is on when some exporter is asked for and OTEL_SDK_DISABLED is not true; off, the SDK is never loaded. */
export function telemetryWanted(plan: TelemetryPlan): boolean {
  return plan.traces.exporters.length > 0 || plan.metrics.exporters.length > 0;
}
