/**
 * A real OTLP receiver on loopback, as a collector would be: OTLP/HTTP (protobuf or JSON, gzip or not)
 * and OTLP/gRPC, each export decoded with the official OTLP protobuf definitions (opentelemetry-proto
 * v1.11.0, vendored in ./third_party/opentelemetry-proto) and kept for the test to read.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import * as grpc from '@grpc/grpc-js';
import protobuf from 'protobufjs';

const protoRoot = fileURLToPath(new URL('./third_party/opentelemetry-proto/', import.meta.url));
const root = new protobuf.Root();
root.resolvePath = (_origin, target) => protoRoot + target;
root.loadSync(['opentelemetry/proto/collector/trace/v1/trace_service.proto', 'opentelemetry/proto/collector/metrics/v1/metrics_service.proto']);
const requestTypes = {
  traces: root.lookupType('opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest'),
  metrics: root.lookupType('opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest'),
};
const responseTypes = {
  traces: root.lookupType('opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse'),
  metrics: root.lookupType('opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceResponse'),
};

export type Signal = 'traces' | 'metrics';
type AttributeValue = string | number | boolean;

export interface ReceivedSpan {
  name: string;
  /** Lower-case hex, whichever encoding carried it. */
  traceId: string;
  spanId: string;
  parentSpanId: string;
  attributes: Record<string, AttributeValue>;
}

/** One export request as it arrived. */
export interface Export {
  signal: Signal;
  transport: 'http' | 'grpc';
  /** HTTP path, or the gRPC method path. */
  path: string;
  contentType: string;
  /** Request headers (HTTP) or metadata (gRPC), names in lower case. */
  headers: Record<string, string>;
  receivedAt: number;
  /** One per resource in the request. */
  resources: { attributes: Record<string, AttributeValue>; spans: ReceivedSpan[]; metrics: string[] }[];
}

export interface OtlpReceiver {
  /** http://127.0.0.1:<port> of the OTLP/HTTP listener. */
  httpEndpoint: string;
  /** http://127.0.0.1:<port> of the OTLP/gRPC listener. */
  grpcEndpoint: string;
  exports: Export[];
  /** The exports of one signal, or all of them. */
  received(signal?: Signal): Export[];
  /**
   * Answers OTLP/HTTP exports only after `ms` from now on (0: at once again): a slow collector. Requests
   * the exporter gave up on before the answer are counted in `abandoned`.
   */
  holdResponses(ms: number): void;
  /** OTLP/HTTP requests whose client closed the connection before the (held) answer. */
  abandoned(): number;
  close(): Promise<void>;
}

/* The protobuf decoder's and the JSON encoding's shapes: the same field names, ids in base64 vs hex. */
interface KeyValue {
  key: string;
  value?: { stringValue?: string; boolValue?: boolean; intValue?: string | number; doubleValue?: number };
}
interface RequestShape {
  resourceSpans?: {
    resource?: { attributes?: KeyValue[] };
    scopeSpans?: { spans?: { name: string; traceId?: string; spanId?: string; parentSpanId?: string; attributes?: KeyValue[] }[] }[];
  }[];
  resourceMetrics?: { resource?: { attributes?: KeyValue[] }; scopeMetrics?: { metrics?: { name: string }[] }[] }[];
}

function attributesOf(list: KeyValue[] = []): Record<string, AttributeValue> {
  const out: Record<string, AttributeValue> = {};
  for (const { key, value = {} } of list) {
    out[key] = value.stringValue ?? value.boolValue ?? value.doubleValue ?? (value.intValue !== undefined ? Number(value.intValue) : '');
  }
  return out;
}

function normalise(request: RequestShape, idToHex: (id: string | undefined) => string): Export['resources'] {
  if (request.resourceSpans) {
    return request.resourceSpans.map((rs) => ({
      attributes: attributesOf(rs.resource?.attributes),
      metrics: [],
      spans: (rs.scopeSpans ?? []).flatMap((ss) =>
        (ss.spans ?? []).map((span) => ({
          name: span.name,
          traceId: idToHex(span.traceId),
          spanId: idToHex(span.spanId),
          parentSpanId: idToHex(span.parentSpanId),
          attributes: attributesOf(span.attributes),
        })),
      ),
    }));
  }
  return (request.resourceMetrics ?? []).map((rm) => ({
    attributes: attributesOf(rm.resource?.attributes),
    spans: [],
    metrics: (rm.scopeMetrics ?? []).flatMap((sm) => (sm.metrics ?? []).map((m) => m.name)),
  }));
}

const base64ToHex = (id: string | undefined) => (id ? Buffer.from(id, 'base64').toString('hex') : '');
const hexAsIs = (id: string | undefined) => (id ?? '').toLowerCase();

function decodeProtobuf(signal: Signal, bytes: Uint8Array): Export['resources'] {
  const type = requestTypes[signal];
  const object = type.toObject(type.decode(bytes), { longs: String, bytes: String }) as RequestShape;
  return normalise(object, base64ToHex);
}

const signalOfPath = (path: string): Signal => (/metric/i.test(path) ? 'metrics' : 'traces');

async function bodyOf(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  const body = Buffer.concat(chunks);
  return request.headers['content-encoding'] === 'gzip' ? gunzipSync(body) : body;
}

function flatHeaders(headers: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), Array.isArray(value) ? value.join(',') : String(value)]));
}

/**
 * Starts both listeners. A traces export goes to any path without "metric" in it (so per-signal
 * endpoints with paths of their own are received too), a metrics export to any path with it.
 *
 * @example
 * const receiver = await startOtlpReceiver();
 * spawn(node, [bundle], { env: { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.httpEndpoint } });
 * await waitFor('spans', () => receiver.received('traces').length > 0);
 */
export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const exports: Export[] = [];
  let holdMs = 0;
  let abandoned = 0;

  const http: Server = createServer(async (request, response) => {
    if (holdMs > 0) {
      const held = holdMs;
      const gaveUp = await new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => resolve(false), held);
        response.on('close', () => {
          clearTimeout(timer);
          resolve(!response.writableFinished);
        });
      });
      if (gaveUp) {
        abandoned++;
        return;
      }
    }
    const path = request.url ?? '/';
    const signal = signalOfPath(path);
    const contentType = (request.headers['content-type'] ?? '').split(';')[0]!.trim();
    try {
      const body = await bodyOf(request);
      const resources =
        contentType === 'application/json' ? normalise(JSON.parse(body.toString('utf8')) as RequestShape, hexAsIs) : decodeProtobuf(signal, body);
      exports.push({ signal, transport: 'http', path, contentType, headers: flatHeaders(request.headers), receivedAt: Date.now(), resources });
      if (contentType === 'application/json') response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      else response.writeHead(200, { 'content-type': 'application/x-protobuf' }).end(responseTypes[signal].encode({}).finish());
    } catch (error) {
      response.writeHead(400, { 'content-type': 'text/plain' }).end(String(error));
    }
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));

  const grpcServer = new grpc.Server();
  for (const signal of ['traces', 'metrics'] as const) {
    const service = signal === 'traces' ? 'opentelemetry.proto.collector.trace.v1.TraceService' : 'opentelemetry.proto.collector.metrics.v1.MetricsService';
    const path = `/${service}/Export`;
    grpcServer.addService(
      {
        Export: {
          path,
          requestStream: false,
          responseStream: false,
          requestSerialize: (value: Buffer) => value,
          requestDeserialize: (bytes: Buffer) => bytes,
          responseSerialize: () => Buffer.from(responseTypes[signal].encode({}).finish()),
          responseDeserialize: (bytes: Buffer) => bytes,
        },
      },
      {
        Export: (call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) => {
          exports.push({
            signal,
            transport: 'grpc',
            path,
            contentType: 'application/grpc',
            headers: flatHeaders(call.metadata.getMap()),
            receivedAt: Date.now(),
            resources: decodeProtobuf(signal, call.request),
          });
          callback(null, Buffer.alloc(0));
        },
      },
    );
  }
  const grpcPort = await new Promise<number>((resolve, reject) =>
    grpcServer.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, port) => (error ? reject(error) : resolve(port))),
  );

  return {
    httpEndpoint: `http://127.0.0.1:${(http.address() as AddressInfo).port}`,
    grpcEndpoint: `http://127.0.0.1:${grpcPort}`,
    exports,
    received: (signal) => (signal ? exports.filter((e) => e.signal === signal) : [...exports]),
    holdResponses: (ms) => {
      holdMs = ms;
    },
    abandoned: () => abandoned,
    close: async () => {
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
      await new Promise<void>((resolve) => grpcServer.tryShutdown(() => resolve()));
    },
  };
}

/** Every span of these exports. */
export const spansOf = (exports: Export[]) => exports.flatMap((e) => e.resources.flatMap((r) => r.spans));
/** Every metric name of these exports. */
export const metricNamesOf = (exports: Export[]) => new Set(exports.flatMap((e) => e.resources.flatMap((r) => r.metrics)));
