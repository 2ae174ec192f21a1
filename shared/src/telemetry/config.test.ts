import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../config/index';
import { exportersRequested, telemetryConfig, telemetryPlan, telemetryWanted } from './config';

const plan = (env: Record<string, string>) => telemetryPlan(parseConfig(telemetryConfig, env));
const problem = (env: Record<string, string>) => {
  try {
    parseConfig(telemetryConfig, env);
  } catch (error) {
    if (error instanceof ConfigError) return error.message;
    throw error;
  }
  return undefined;
};

describe('telemetryPlan', () => {
  it('is off with nothing configured: no exporter, so the SDK is never loaded', () => {
    expect(telemetryWanted(plan({}))).toBe(false);
    expect(telemetryWanted(plan({ OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc', OTEL_SERVICE_NAME: 'x', OTEL_METRIC_EXPORT_INTERVAL: '1000' }))).toBe(false);
  });

  it('exports both signals over OTLP http/protobuf, the specification default, when an endpoint is set', () => {
    expect(plan({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' })).toMatchObject({
      traces: { exporters: ['otlp'], protocol: 'http/protobuf' },
      metrics: { exporters: ['otlp'], protocol: 'http/protobuf', intervalMillis: 60_000, timeoutMillis: 30_000 },
    });
  });

  it('exports only the signal whose own endpoint is set', () => {
    expect(plan({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://c:4318/v1/traces' })).toMatchObject({
      traces: { exporters: ['otlp'] },
      metrics: { exporters: [] },
    });
    expect(plan({ OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: 'http://c:4318/v1/metrics' })).toMatchObject({
      traces: { exporters: [] },
      metrics: { exporters: ['otlp'] },
    });
  });

  it('turns on for an exporter named without any endpoint (console, otlp to the default localhost)', () => {
    expect(telemetryWanted(plan({ OTEL_TRACES_EXPORTER: 'console' }))).toBe(true);
    expect(plan({ OTEL_METRICS_EXPORTER: 'otlp' }).metrics.exporters).toEqual(['otlp']);
  });

  it('reads exporter lists and enum values case-insensitively, deduplicated, per-signal protocol over the generic one', () => {
    expect(
      plan({
        OTEL_TRACES_EXPORTER: ' OTLP , console,otlp',
        OTEL_EXPORTER_OTLP_PROTOCOL: 'HTTP/JSON',
        OTEL_EXPORTER_OTLP_METRICS_PROTOCOL: 'grpc',
        OTEL_METRICS_EXPORTER: 'otlp',
      }),
    ).toMatchObject({
      traces: { exporters: ['otlp', 'console'], protocol: 'http/json' },
      metrics: { exporters: ['otlp'], protocol: 'grpc' },
    });
  });

  it('lets none switch a signal off although an endpoint is set; METRICS_PORT still serves Prometheus', () => {
    const p = plan({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_TRACES_EXPORTER: 'none', OTEL_METRICS_EXPORTER: 'none', METRICS_PORT: '9464' });
    expect(p).toMatchObject({ traces: { exporters: [] }, metrics: { exporters: ['prometheus'], prometheusPort: 9464 } });
  });

  it('clamps the default export timeout to a shorter interval', () => {
    expect(plan({ OTEL_METRICS_EXPORTER: 'console', OTEL_METRIC_EXPORT_INTERVAL: '1000' }).metrics).toMatchObject({
      intervalMillis: 1000,
      timeoutMillis: 1000,
    });
    expect(plan({ OTEL_METRICS_EXPORTER: 'console', OTEL_METRIC_EXPORT_TIMEOUT: '5000' }).metrics).toMatchObject({
      intervalMillis: 60_000,
      timeoutMillis: 5000,
    });
  });

  it('is off with OTEL_SDK_DISABLED=true whatever else is set (case-insensitive), and treats empty values as unset', () => {
    expect(telemetryWanted(plan({ OTEL_SDK_DISABLED: 'TRUE', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', METRICS_PORT: '9464' }))).toBe(false);
    expect(telemetryWanted(plan({ OTEL_SDK_DISABLED: '', OTEL_TRACES_EXPORTER: '', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318' }))).toBe(true);
  });
});

describe('exportersRequested', () => {
  it('is false, so nothing is parsed, when only names and attributes are set (as the chart does without an endpoint)', () => {
    expect(
      exportersRequested({ OTEL_SERVICE_NAME: 'publish', OTEL_RESOURCE_ATTRIBUTES: 'k8s.pod.name=p', OTEL_TRACES_SAMPLER: 'bogus', OTEL_TRACES_EXPORTER: '' }),
    ).toBe(false);
  });

  it.each([
    'OTEL_TRACES_EXPORTER',
    'OTEL_METRICS_EXPORTER',
    'OTEL_EXPORTER_OTLP_ENDPOINT',
    'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT',
    'OTEL_EXPORTER_OTLP_METRICS_ENDPOINT',
    'METRICS_PORT',
  ])('is true with %s set, even to a bad value or none, so the values are validated', (name) => {
    expect(exportersRequested({ [name]: 'none' })).toBe(true);
  });
});

describe('bad OTEL_* values stop the process, naming the variable', () => {
  it.each([
    [{ OTEL_TRACES_EXPORTER: 'zipkin' }, 'OTEL_TRACES_EXPORTER: "zipkin" is not one of otlp, console, none'],
    [{ OTEL_METRICS_EXPORTER: 'none,prometheus' }, 'OTEL_METRICS_EXPORTER: "none" cannot be combined with other values'],
    [{ OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http' }, 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: must be one of http/protobuf, http/json, grpc'],
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' }, 'OTEL_EXPORTER_OTLP_ENDPOINT: must be a http or https URL'],
    [{ OTEL_EXPORTER_OTLP_METRICS_TIMEOUT: '-5' }, 'OTEL_EXPORTER_OTLP_METRICS_TIMEOUT: must be a whole number of milliseconds'],
    [{ OTEL_METRIC_EXPORT_INTERVAL: '0' }, 'OTEL_METRIC_EXPORT_INTERVAL: must be greater than 0'],
    [
      { OTEL_METRIC_EXPORT_INTERVAL: '1000', OTEL_METRIC_EXPORT_TIMEOUT: '5000' },
      'OTEL_METRIC_EXPORT_TIMEOUT: must not exceed OTEL_METRIC_EXPORT_INTERVAL (1000 ms)',
    ],
    [{ OTEL_TRACES_SAMPLER: 'sometimes' }, 'OTEL_TRACES_SAMPLER: must be one of always_on'],
    [{ OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: 'half' }, 'OTEL_TRACES_SAMPLER_ARG: must be a ratio between 0 and 1'],
    [{ OTEL_RESOURCE_ATTRIBUTES: 'k8s.pod.name=a,broken' }, 'OTEL_RESOURCE_ATTRIBUTES: attribute "broken" is not key=value'],
    [{ OTEL_RESOURCE_ATTRIBUTES: 'note=a=b' }, 'OTEL_RESOURCE_ATTRIBUTES: has an "=" inside a key or value'],
    [{ OTEL_EXPORTER_OTLP_METRICS_HEADERS: 'x-key=%E0%A4%A' }, 'OTEL_EXPORTER_OTLP_METRICS_HEADERS: header "x-key=%E0%A4%A" is not valid percent-encoding'],
    [{ OTEL_SDK_DISABLED: 'yes' }, 'OTEL_SDK_DISABLED: must be true or false'],
    [{ OTEL_PROPAGATORS: 'tracecontext,xray' }, 'OTEL_PROPAGATORS: "xray" is not one of'],
  ])('%j', (env, message) => {
    expect(problem(env)).toContain(message);
  });

  it('accepts what the specification allows: headers with "=" in values, percent-encoded attributes, a sampler argument ignored by its sampler', () => {
    expect(
      problem({
        OTEL_EXPORTER_OTLP_HEADERS: 'authorization=Basic dXNlcjpwdw==',
        OTEL_RESOURCE_ATTRIBUTES: 'note=a%3Db%2Cc,team=core',
        OTEL_TRACES_SAMPLER: 'always_on',
        OTEL_TRACES_SAMPLER_ARG: 'x',
      }),
    ).toBeUndefined();
  });
});
