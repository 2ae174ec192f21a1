/**
 * The standard OTEL_* variables, end to end: the publish function and the store-message function run as
 * real processes from the bundles the images ship, publish through the real RabbitMQ, and export to a
 * real OTLP receiver on loopback (HTTP protobuf, HTTP JSON, gRPC) that decodes what arrives. Each case
 * sets some variables and checks what the receiver got.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRabbitMqBroker, queueSpecOf } from '@qfn/shared/platform';
import { buildImageBundle, findImageTarget } from '@qfn/tooling/images';
import { loadFunctions } from '@qfn/tooling/functions';
import { createTestDatabase, databaseUrl, type TestDatabase } from './support/database';
import { uniqueName } from './support/names';
import { followJsonLogs, type FunctionProcess } from './support/process';
import { amqpUrl, deleteRabbitTopology } from './support/rabbitmq';
import { metricNamesOf, spansOf, startOtlpReceiver, type Export, type OtlpReceiver } from './support/otlp/receiver';
import { waitFor } from './support/wait';
import { freePort } from './faults/support';

interface Running extends FunctionProcess {
  port: number;
  stdout: () => string;
  stderr: () => string;
}

const prefix = uniqueName('otelenv');
const outRoot = mkdtempSync(join(tmpdir(), 'qfn-otel-'));
let receiver: OtlpReceiver;
let database: TestDatabase;
let bundles: { publish: string; storeMessage: string };
const running: Running[] = [];

/** This test's environment without any OTEL_* or METRICS_PORT of the machine's. */
const baseEnv = () =>
  Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('OTEL_') && name !== 'METRICS_PORT' && name !== 'NODE_OPTIONS'));

/** Runs an image bundle with `node`, the way its container does. */
async function start(bundle: string, env: Record<string, string>, ready: string | null = 'listening'): Promise<Running> {
  const port = await freePort();
  const child = spawn(process.execPath, [bundle], {
    env: {
      ...baseEnv(),
      BROKER: 'rabbitmq',
      AMQP_URL: amqpUrl,
      DATABASE_URL: databaseUrl,
      DATABASE_SCHEMA: database.schema,
      QUEUE_PREFIX: prefix,
      PORT: String(port),
      HEALTH_PORT: '0',
      LOG_LEVEL: 'info',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const process_: Running = { child, port, ...followJsonLogs(child), stdout: () => stdout, stderr: () => stderr };
  running.push(process_);
  if (ready) await process_.waitForLog(ready, 30_000);
  return process_;
}

const startPublish = (env: Record<string, string>) => start(bundles.publish, env);

/** SIGTERM, then the exit code: the process flushes its telemetry on the way out. */
async function stop(process_: Running): Promise<number | null> {
  process_.child.kill('SIGTERM');
  return process_.exited;
}

const message = { ts: '20261201', sender: 'otel-env', messageAttributes: {}, sent_from_ip: '10.0.0.1', priority: 1 };

async function publish(process_: Running, headers: Record<string, string> = {}): Promise<string> {
  const response = await fetch(`http://127.0.0.1:${process_.port}/message/publish`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(message),
  });
  expect(response.status).toBe(202);
  return ((await response.json()) as { id: string }).id;
}

/** The exports that arrived since `from` (an index into receiver.exports). */
const since = (from: number) => receiver.exports.slice(from);
const resourceOf = (exports: Export[]) => exports[0]!.resources[0]!.attributes;
/** Exports are batched: fast, so a case does not wait 5 s for its spans. */
const fastSpans = { OTEL_BSP_SCHEDULE_DELAY: '100' };

beforeAll(async () => {
  const [publishTarget, storeTarget] = await Promise.all([findImageTarget('publish'), findImageTarget('store-message')]);
  [receiver, database] = await Promise.all([startOtlpReceiver(), createTestDatabase(prefix)]);
  await Promise.all([buildImageBundle(publishTarget, outRoot), buildImageBundle(storeTarget, outRoot)]);
  bundles = { publish: join(outRoot, 'publish', 'index.mjs'), storeMessage: join(outRoot, 'store-message', 'index.mjs') };
  // store-message's queue, so every case's events are routable (202) before its process ever ran.
  const storeMessage = (await loadFunctions()).find((pkg) => pkg.declaration.name === 'store-message')!.declaration;
  const broker = createRabbitMqBroker({ url: amqpUrl, prefix, clientName: `${prefix}-setup` });
  await broker.connect();
  await broker.provision(queueSpecOf(storeMessage));
  await broker.close();
}, 120_000);

afterAll(async () => {
  for (const p of running) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
  await receiver?.close();
  await deleteRabbitTopology(prefix);
  await database?.drop();
  rmSync(outRoot, { recursive: true, force: true });
}, 60_000);

describe('OTLP over HTTP with protobuf, the default protocol', { timeout: 90_000 }, () => {
  it('sends traces and metrics as protobuf to <endpoint>/v1/…, with the resource attributes, headers and export interval asked for, and one trace across both functions', async () => {
    const from = receiver.exports.length;
    const env = {
      ...fastSpans,
      OTEL_EXPORTER_OTLP_ENDPOINT: `${receiver.httpEndpoint}/collector`,
      OTEL_EXPORTER_OTLP_HEADERS: 'authorization=Bearer%20t0ken,x-tenant=acme',
      OTEL_RESOURCE_ATTRIBUTES: 'k8s.pod.name=publish-7d9f,k8s.namespace.name=qfn,deployment.environment.name=test',
      OTEL_METRIC_EXPORT_INTERVAL: '1000',
    };
    const consumer = await start(bundles.storeMessage, { ...env, OTEL_RESOURCE_ATTRIBUTES: 'k8s.pod.name=store-message-5c4b' }, 'consuming');
    const publisher = await startPublish(env);
    const id = await publish(publisher);

    // Metrics every second: several exports within a few seconds (the default interval is 60 s).
    await waitFor(
      'three metrics exports from the publish function',
      () => since(from).filter((e) => e.signal === 'metrics' && resourceOf([e])['service.name'] === 'publish').length >= 3,
      15_000,
    );
    const consumerSpan = await waitFor('the consumer span of the published message', () =>
      spansOf(receiver.received('traces').slice(0)).find((s) => s.name === 'process store-message' && s.attributes['messaging.message.id'] === id),
    );

    const traces = since(from).filter((e) => e.signal === 'traces');
    const metrics = since(from).filter((e) => e.signal === 'metrics');
    expect(new Set(traces.map((e) => `${e.path} ${e.contentType}`))).toEqual(new Set(['/collector/v1/traces application/x-protobuf']));
    expect(new Set(metrics.map((e) => `${e.path} ${e.contentType}`))).toEqual(new Set(['/collector/v1/metrics application/x-protobuf']));
    for (const e of [...traces, ...metrics]) expect(e.headers).toMatchObject({ authorization: 'Bearer t0ken', 'x-tenant': 'acme' });

    const publishTraces = traces.filter((e) => resourceOf([e])['service.name'] === 'publish');
    expect(resourceOf(publishTraces)).toMatchObject({
      'service.name': 'publish',
      'k8s.pod.name': 'publish-7d9f',
      'k8s.namespace.name': 'qfn',
      'deployment.environment.name': 'test',
      'telemetry.sdk.language': 'nodejs',
    });
    expect(resourceOf(publishTraces)['process.pid']).toBe(publisher.child.pid);
    const storeTraces = traces.filter((e) => resourceOf([e])['service.name'] === 'store-message');
    expect(resourceOf(storeTraces)).toMatchObject({ 'service.name': 'store-message', 'k8s.pod.name': 'store-message-5c4b' });

    const producer = spansOf(publishTraces).find((s) => s.name === 'publish message.published' && s.attributes['messaging.message.id'] === id)!;
    const server = spansOf(publishTraces).find((s) => s.spanId === producer.parentSpanId)!;
    expect(server.name).toBe('POST /message/publish');
    expect(consumerSpan.traceId).toBe(producer.traceId);
    expect(consumerSpan.parentSpanId).toBe(producer.spanId);

    const gaps = metrics
      .filter((e) => resourceOf([e])['service.name'] === 'publish')
      .map((e, i, all) => (i === 0 ? 0 : e.receivedAt - all[i - 1]!.receivedAt))
      .slice(1);
    console.log(`OTEL_METRIC_EXPORT_INTERVAL=1000: gaps between metrics exports ${gaps.join(', ')} ms`);
    expect([...metricNamesOf(metrics)]).toEqual(
      expect.arrayContaining(['qfn.http.requests', 'qfn.publish.confirm.duration', 'qfn.messages.processed', 'qfn.cold_start.duration']),
    );

    expect(await stop(publisher)).toBe(0);
    expect(await stop(consumer)).toBe(0);
  });

  it('exports metrics only at the default 60 s interval (and at shutdown) when OTEL_METRIC_EXPORT_INTERVAL is unset', async () => {
    const from = receiver.exports.length;
    const publisher = await startPublish({ ...fastSpans, OTEL_EXPORTER_OTLP_ENDPOINT: receiver.httpEndpoint });
    await publish(publisher);
    await waitFor('the spans', () => since(from).some((e) => e.signal === 'traces'));
    await sleep(2_500);
    expect(since(from).filter((e) => e.signal === 'metrics')).toHaveLength(0);
    expect(await stop(publisher)).toBe(0);
    expect(since(from).filter((e) => e.signal === 'metrics').length).toBe(1);
    expect(since(from).find((e) => e.signal === 'traces')!.path).toBe('/v1/traces');
  });
});

describe('OTEL_EXPORTER_OTLP_PROTOCOL', { timeout: 90_000 }, () => {
  it('http/json: JSON bodies, and service.name from OTEL_RESOURCE_ATTRIBUTES when OTEL_SERVICE_NAME is unset', async () => {
    const from = receiver.exports.length;
    const publisher = await startPublish({
      ...fastSpans,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.httpEndpoint,
      OTEL_METRIC_EXPORT_INTERVAL: '1000',
      OTEL_RESOURCE_ATTRIBUTES: 'service.name=edge-api,service.version=1.2.3',
    });
    await publish(publisher);
    await waitFor('spans and metrics', () => since(from).some((e) => e.signal === 'traces') && since(from).some((e) => e.signal === 'metrics'), 15_000);
    for (const e of since(from)) expect(e.contentType).toBe('application/json');
    expect(new Set(since(from).map((e) => e.path))).toEqual(new Set(['/v1/traces', '/v1/metrics']));
    expect(resourceOf(since(from))).toMatchObject({ 'service.name': 'edge-api', 'service.version': '1.2.3' });
    expect(spansOf(since(from)).map((s) => s.name)).toContain('publish message.published');
    expect(spansOf(since(from))[0]!.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(await stop(publisher)).toBe(0);
  });

  it('grpc: both signals over gRPC with the headers as metadata, OTEL_SERVICE_NAME above OTEL_RESOURCE_ATTRIBUTES', async () => {
    const from = receiver.exports.length;
    const publisher = await startPublish({
      ...fastSpans,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.grpcEndpoint,
      OTEL_EXPORTER_OTLP_HEADERS: 'x-api-key=s3cret',
      OTEL_METRIC_EXPORT_INTERVAL: '1000',
      OTEL_SERVICE_NAME: 'publish-grpc',
      OTEL_RESOURCE_ATTRIBUTES: 'service.name=ignored,k8s.deployment.name=qfn-publish',
    });
    await publish(publisher);
    await waitFor(
      'spans and metrics over gRPC',
      () => since(from).some((e) => e.signal === 'traces') && since(from).some((e) => e.signal === 'metrics'),
      15_000,
    );
    for (const e of since(from)) {
      expect(e.transport).toBe('grpc');
      expect(e.headers['x-api-key']).toBe('s3cret');
    }
    expect(new Set(since(from).map((e) => e.path))).toEqual(
      new Set(['/opentelemetry.proto.collector.trace.v1.TraceService/Export', '/opentelemetry.proto.collector.metrics.v1.MetricsService/Export']),
    );
    expect(resourceOf(since(from))).toMatchObject({ 'service.name': 'publish-grpc', 'k8s.deployment.name': 'qfn-publish' });
    expect(spansOf(since(from)).map((s) => s.name)).toContain('POST /message/publish');
    expect(await stop(publisher)).toBe(0);
  });

  it('per signal: traces over gRPC to their own endpoint, metrics as JSON to theirs (used as given, no /v1/metrics added), each with its own headers', async () => {
    const from = receiver.exports.length;
    const publisher = await startPublish({
      ...fastSpans,
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9/unused',
      OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'grpc',
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: receiver.grpcEndpoint,
      OTEL_EXPORTER_OTLP_TRACES_HEADERS: 'x-signal=traces',
      OTEL_EXPORTER_OTLP_METRICS_PROTOCOL: 'http/json',
      OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: `${receiver.httpEndpoint}/ingest/metrics`,
      OTEL_EXPORTER_OTLP_METRICS_HEADERS: 'x-signal=metrics',
      OTEL_EXPORTER_OTLP_HEADERS: 'x-common=both',
      OTEL_METRIC_EXPORT_INTERVAL: '1000',
    });
    await publish(publisher);
    await waitFor('spans and metrics', () => since(from).some((e) => e.signal === 'traces') && since(from).some((e) => e.signal === 'metrics'), 15_000);
    for (const e of since(from).filter((x) => x.signal === 'traces')) {
      expect([e.transport, e.headers['x-signal'], e.headers['x-common']]).toEqual(['grpc', 'traces', 'both']);
    }
    for (const e of since(from).filter((x) => x.signal === 'metrics')) {
      expect([e.transport, e.path, e.contentType, e.headers['x-signal'], e.headers['x-common']]).toEqual([
        'http',
        '/ingest/metrics',
        'application/json',
        'metrics',
        'both',
      ]);
    }
    expect(await stop(publisher)).toBe(0);
  });
});

describe('OTEL_TRACES_SAMPLER', { timeout: 90_000 }, () => {
  it('always_off: metrics still arrive, no span does, not even for a sampled incoming traceparent', async () => {
    const from = receiver.exports.length;
    const publisher = await startPublish({
      ...fastSpans,
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.httpEndpoint,
      OTEL_METRIC_EXPORT_INTERVAL: '500',
      OTEL_TRACES_SAMPLER: 'always_off',
    });
    await publish(publisher);
    await publish(publisher, { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' });
    await waitFor('two metrics exports', () => since(from).filter((e) => e.signal === 'metrics').length >= 2, 15_000);
    expect(await stop(publisher)).toBe(0);
    expect(spansOf(since(from))).toEqual([]);
  });

  it('parentbased_traceidratio with OTEL_TRACES_SAMPLER_ARG=0: only the trace a caller sampled is exported', async () => {
    const from = receiver.exports.length;
    const publisher = await startPublish({
      ...fastSpans,
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.httpEndpoint,
      OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
      OTEL_TRACES_SAMPLER_ARG: '0',
    });
    const sampledTrace = '0af7651916cd43dd8448eb211c80319c';
    for (let i = 0; i < 5; i++) await publish(publisher);
    await publish(publisher, { traceparent: `00-${sampledTrace}-b7ad6b7169203331-01` });
    await waitFor('the sampled trace', () => spansOf(since(from)).some((s) => s.name === 'publish message.published'));
    expect(await stop(publisher)).toBe(0);
    expect(new Set(spansOf(since(from)).map((s) => s.traceId))).toEqual(new Set([sampledTrace]));
  });
});

describe('OTEL_TRACES_EXPORTER / OTEL_METRICS_EXPORTER', { timeout: 90_000 }, () => {
  it('none for both: nothing is exported although an endpoint is set, and telemetry stays off', async () => {
    const from = receiver.exports.length;
    const publisher = await startPublish({
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.httpEndpoint,
      OTEL_TRACES_EXPORTER: 'none',
      OTEL_METRICS_EXPORTER: 'none',
      OTEL_METRIC_EXPORT_INTERVAL: '200',
      ...fastSpans,
    });
    expect((await publisher.waitForLog('listening'))['telemetry']).toBe(false);
    await publish(publisher);
    await sleep(1_000);
    expect(await stop(publisher)).toBe(0);
    expect(since(from)).toEqual([]);
  });

  it('traces none: only metrics; metrics none: only traces', async () => {
    const from = receiver.exports.length;
    const metricsOnly = await startPublish({
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.httpEndpoint,
      OTEL_TRACES_EXPORTER: 'none',
      OTEL_METRIC_EXPORT_INTERVAL: '500',
      ...fastSpans,
    });
    await publish(metricsOnly);
    await waitFor('metrics', () => since(from).some((e) => e.signal === 'metrics'), 15_000);
    expect(await stop(metricsOnly)).toBe(0);
    expect(since(from).filter((e) => e.signal === 'traces')).toEqual([]);

    const middle = receiver.exports.length;
    const tracesOnly = await startPublish({
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.httpEndpoint,
      OTEL_METRICS_EXPORTER: 'none',
      OTEL_METRIC_EXPORT_INTERVAL: '200',
      ...fastSpans,
    });
    await publish(tracesOnly);
    await waitFor('traces', () => since(middle).some((e) => e.signal === 'traces'));
    await sleep(600);
    expect(await stop(tracesOnly)).toBe(0);
    expect(since(middle).filter((e) => e.signal === 'metrics')).toEqual([]);
  });

  it('console, with no endpoint at all: telemetry turns on, spans and metrics are printed to stdout', async () => {
    const from = receiver.exports.length;
    const publisher = await startPublish({ OTEL_TRACES_EXPORTER: 'console', OTEL_METRICS_EXPORTER: 'console', OTEL_METRIC_EXPORT_INTERVAL: '300' });
    expect((await publisher.waitForLog('listening'))['telemetry']).toBe(true);
    const id = await publish(publisher);
    await waitFor('the producer span on stdout', () => publisher.stdout().includes(`'messaging.message.id': '${id}'`));
    expect(publisher.stdout()).toMatch(/name: 'POST \/message\/publish'/);
    await waitFor('the request counter on stdout', () => /name: 'qfn\.http\.requests'/.test(publisher.stdout()));
    expect(await stop(publisher)).toBe(0);
    expect(since(from)).toEqual([]);
  });

  it('prometheus: a scrape endpoint on OTEL_EXPORTER_PROMETHEUS_PORT, nothing pushed', async () => {
    const from = receiver.exports.length;
    const metricsPort = await freePort();
    const publisher = await startPublish({ OTEL_METRICS_EXPORTER: 'prometheus', OTEL_EXPORTER_PROMETHEUS_PORT: String(metricsPort) });
    await publish(publisher);
    const scrape = await waitFor('a scrape with the request counter', async () => {
      const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
      return text.includes('qfn_http_requests') ? text : undefined;
    });
    expect(scrape).toMatch(/qfn_publish_confirm_duration/);
    expect(await stop(publisher)).toBe(0);
    expect(since(from)).toEqual([]);
  });
});

describe('OTEL_EXPORTER_OTLP_TIMEOUT, OTEL_SDK_DISABLED and bad values', { timeout: 90_000 }, () => {
  it('gives up on a collector slower than OTEL_EXPORTER_OTLP_TRACES_TIMEOUT', async () => {
    const from = receiver.exports.length;
    receiver.holdResponses(30_000);
    try {
      const abandonedBefore = receiver.abandoned();
      const publisher = await startPublish({
        ...fastSpans,
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${receiver.httpEndpoint}/v1/traces`,
        OTEL_EXPORTER_OTLP_TRACES_TIMEOUT: '300',
      });
      await publish(publisher);
      // Without the timeout (10 s by default) the exporter would still be waiting for the held answer (30 s).
      await waitFor('the exporter to give up on the held request', () => receiver.abandoned() > abandonedBefore, 8_000);
      publisher.child.kill('SIGKILL');
      await publisher.exited;
    } finally {
      receiver.holdResponses(0);
    }
    expect(since(from)).toEqual([]);
  });

  it('OTEL_SDK_DISABLED=true: nothing loaded, nothing exported', async () => {
    const from = receiver.exports.length;
    const publisher = await startPublish({
      OTEL_SDK_DISABLED: 'true',
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.httpEndpoint,
      OTEL_METRIC_EXPORT_INTERVAL: '200',
      ...fastSpans,
    });
    expect((await publisher.waitForLog('listening'))['telemetry']).toBe(false);
    await publish(publisher);
    await sleep(800);
    expect(await stop(publisher)).toBe(0);
    expect(since(from)).toEqual([]);
  });

  it.each([
    ['OTEL_EXPORTER_OTLP_PROTOCOL', 'http/xml', 'must be one of http/protobuf, http/json, grpc'],
    ['OTEL_TRACES_EXPORTER', 'otlp,zipkin', '"zipkin" is not one of otlp, console, none'],
    ['OTEL_METRIC_EXPORT_INTERVAL', 'soon', 'must be a whole number of milliseconds'],
    ['OTEL_TRACES_SAMPLER_ARG', '1.5', 'must be a ratio between 0 and 1'],
    ['OTEL_EXPORTER_OTLP_HEADERS', 'authorization', 'header "authorization" is not key=value'],
  ])('%s=%s stops the process with exit code 78, naming the variable', async (variable, value, problem) => {
    const extra: Record<string, string> = variable === 'OTEL_TRACES_SAMPLER_ARG' ? { OTEL_TRACES_SAMPLER: 'traceidratio' } : {};
    const publisher = await start(bundles.publish, { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.httpEndpoint, ...extra, [variable]: value }, null);
    expect(await publisher.exited).toBe(78);
    expect(publisher.stderr()).toContain(`configuration error: ${variable}: ${problem}`);
  });
});
