/**
 * One trace from HTTP to SQL, and the metrics that explain scaling, with in-memory exporters.
 */
import { Writable } from 'node:stream';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import pino from 'pino';
import { SpanKind } from '@opentelemetry/api';
import { AggregationTemporality, MetricReader, type ResourceMetrics } from '@opentelemetry/sdk-metrics';
import { InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { messageEvent } from '@qfn/events';
import {
  type Broker,
  createDatabase,
  type QueueAdmin,
  createLogger,
  defineFunction,
  type FunctionDeclaration,
  FunctionWorker,
  type Logger,
  metricNames,
  type ProcessTelemetry,
  startProcessTelemetry,
} from '@qfn/shared/platform';
import { createPublishApp } from '@qfn/publish';
import { effectsFunction, effectsTable } from './fixtures/effects';
import { brokerHarnesses } from './support/brokers';
import { createTestDatabase, databaseUrl, type TestDatabase } from './support/database';
import { uniqueName } from './support/names';
import { waitFor } from './support/wait';

class CollectingReader extends MetricReader {
  constructor() {
    super({ aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE });
  }
  protected override async onForceFlush() {}
  protected override async onShutdown() {}
}

const spans = new InMemorySpanExporter();
const reader = new CollectingReader();
let telemetry: ProcessTelemetry;

beforeAll(async () => {
  telemetry = await startProcessTelemetry('telemetry-test', { spanProcessors: [new SimpleSpanProcessor(spans)], metricReaders: [reader] });
});
afterAll(() => telemetry.shutdown());

async function metricSum(name: string, fn: string): Promise<number> {
  const { resourceMetrics } = (await reader.collect()) as { resourceMetrics: ResourceMetrics };
  let total = 0;
  for (const scopeMetrics of resourceMetrics.scopeMetrics) {
    for (const metric of scopeMetrics.metrics) {
      if (metric.descriptor.name !== name) continue;
      for (const point of metric.dataPoints) {
        if (point.attributes['qfn.function'] !== fn) continue;
        const value = point.value as number | { count: number };
        total += typeof value === 'number' ? value : value.count;
      }
    }
  }
  return total;
}

/** A stream that parses each JSON log line into `lines`. */
function collect(lines: Record<string, unknown>[]): Writable {
  return new Writable({
    write(chunk, _encoding, done) {
      lines.push(JSON.parse(String(chunk)));
      done();
    },
  });
}

const message = (sender = 'otel') => ({ ts: '2026-11-25', sender, messageAttributes: {}, sent_from_ip: '10.0.0.1', priority: 3 });

describe.each(brokerHarnesses)('telemetry on $kind', (harness) => {
  let prefix: string;
  let database: TestDatabase;
  let traced: ReturnType<typeof createDatabase>;
  let broker: Broker;
  let queueAdmin: QueueAdmin;
  const workers: FunctionWorker[] = [];
  const capture = pino({ level: 'silent' });

  beforeAll(() => harness.setUp(), 60_000);
  afterAll(() => harness.tearDown());

  afterEach(async () => {
    for (const worker of workers.splice(0)) await worker.stop({ timeoutMs: 2_000 });
    await broker?.close();
    await traced?.close();
    await harness.cleanup(prefix);
    await database?.drop();
  });

  async function setUp(label: string) {
    prefix = uniqueName(label);
    database = await createTestDatabase(prefix);
    await database.db.execute(effectsTable);
    traced = createDatabase({ url: databaseUrl, schema: prefix, poolSize: 5, instrument: telemetry.sql });
    const created = harness.create(prefix);
    queueAdmin = created;
    broker = telemetry.broker(created);
    await broker.connect();
  }

  async function startWorker(fn: FunctionDeclaration, logger: Logger = capture) {
    const worker = new FunctionWorker({
      declaration: fn,
      broker,
      db: traced.db,
      log: logger,
      tracer: telemetry.tracer(fn.name, broker),
    });
    telemetry.observeWorker(worker, fn.name);
    await worker.start();
    workers.push(worker);
  }

  it('follows one message from the HTTP request through the broker to the handler and its SQL', async () => {
    await setUp('trace');
    const lines: Record<string, unknown>[] = [];
    const fn = defineFunction({
      name: 'traced-store',
      subscribes: ['message.published'],
      schema: messageEvent,
      handler: async (event, ctx) => {
        ctx.log.info({ sender: event.sender }, 'handling');
        await ctx.db.execute(sql`insert into effects (function_name, event_id, attempt) values ('traced-store', ${ctx.eventId}, ${ctx.attempt})`);
      },
    });
    await startWorker(fn, createLogger({ name: 'traced', destination: collect(lines) }));

    spans.reset();
    const app = createPublishApp({ broker, queueAdmin, db: traced.db, pingDatabase: database.ping, log: capture, maxBodyBytes: 65536, telemetry: true });
    const incomingTrace = '4bf92f3577b34da6a3ce929d0e0e4736';
    const res = await app.request('/message/publish', {
      method: 'POST',
      headers: { 'content-type': 'application/json', traceparent: `00-${incomingTrace}-00f067aa0ba902b7-01` },
      body: JSON.stringify(message()),
    });
    expect(res.status).toBe(202);
    const { id } = (await res.json()) as { id: string };
    await waitFor('the ack span', () => spans.getFinishedSpans().some((s) => s.name === 'ack' && s.spanContext().traceId === incomingTrace));

    const trace = spans.getFinishedSpans().filter((s) => s.spanContext().traceId === incomingTrace);
    const byName = (name: string) => trace.find((s) => s.name === name) as ReadableSpan;
    const parentOf = (span: ReadableSpan) => span.parentSpanContext?.spanId;
    const server = byName('POST /message/publish');
    const producer = byName('publish message.published');
    const consumer = byName('process traced-store');
    const insert = trace.find((s) => s.name === 'INSERT' && String(s.attributes['db.query.text']).includes('effects'))!;
    const ack = byName('ack');

    expect(server.kind).toBe(SpanKind.SERVER);
    expect(server.attributes['http.response.status_code']).toBe(202);
    expect(parentOf(producer)).toBe(server.spanContext().spanId);
    expect(producer.kind).toBe(SpanKind.PRODUCER);
    expect(producer.attributes['messaging.message.id']).toBe(id);
    expect(parentOf(consumer)).toBe(producer.spanContext().spanId);
    expect(consumer.kind).toBe(SpanKind.CONSUMER);
    expect(parentOf(insert)).toBe(consumer.spanContext().spanId);
    expect(parentOf(ack)).toBe(consumer.spanContext().spanId);
    // The inbox row is written in the same trace too.
    expect(trace.some((s) => String(s.attributes['db.query.text']).includes('"inbox"'))).toBe(true);

    const handling = lines.find((l) => l['msg'] === 'handling');
    expect(handling).toMatchObject({ trace_id: incomingTrace, eventId: id });
  });

  it('counts processed, retried and dead-lettered messages, duration and lag', async () => {
    await setUp('metrics');
    const flaky = effectsFunction({ name: `flaky-${harness.kind}`, failUntilAttempt: 1 });
    const doomed = effectsFunction({ name: `doomed-${harness.kind}`, failUntilAttempt: 99, subscribes: ['message.doomed'] });
    await startWorker(flaky);
    await startWorker(doomed);
    const before = {
      processed: await metricSum(metricNames.processed, flaky.name),
      retried: await metricSum(metricNames.retried, flaky.name),
      dead: await metricSum(metricNames.deadLettered, doomed.name),
    };
    const app = createPublishApp({ broker, queueAdmin, db: traced.db, pingDatabase: database.ping, log: capture, maxBodyBytes: 65536, telemetry: true });
    const post = (body: object) =>
      app.request('/message/publish', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect((await post(message())).status).toBe(202);
    expect((await post({ ...message(), type: 'message.doomed' })).status).toBe(202);

    await waitFor('the processed count', async () => (await metricSum(metricNames.processed, flaky.name)) === before.processed + 1);
    await waitFor('the dead-letter count', async () => (await metricSum(metricNames.deadLettered, doomed.name)) === before.dead + 1);
    expect(await metricSum(metricNames.retried, flaky.name)).toBe(before.retried + 1);
    expect(await metricSum(metricNames.failed, doomed.name)).toBeGreaterThanOrEqual(3);
    expect(await metricSum(metricNames.retried, doomed.name)).toBeGreaterThanOrEqual(2);
    expect(await metricSum(metricNames.received, flaky.name)).toBeGreaterThanOrEqual(2);
    expect(await metricSum(metricNames.handlerDuration, flaky.name)).toBeGreaterThanOrEqual(1);
    expect(await metricSum(metricNames.queueLag, flaky.name)).toBeGreaterThanOrEqual(2);

    const { resourceMetrics } = (await reader.collect()) as { resourceMetrics: ResourceMetrics };
    const names = resourceMetrics.scopeMetrics.flatMap((s) => s.metrics.map((m) => m.descriptor.name));
    expect(names).toEqual(expect.arrayContaining([metricNames.httpRequests, metricNames.publishConfirm, metricNames.inFlight]));
  });
});
