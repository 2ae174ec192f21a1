import * as grpc from '@grpc/grpc-js';
import { fromJSON } from '@grpc/proto-loader';

/**
 * KEDA's `externalscaler.proto` (v2.19.0, vendored in ./third_party/keda) as protobufjs JSON, so the bundled
 * image needs no .proto file at run time; definition.test.ts proves it is the vendored file's.
 */
export const externalScalerDescriptor = {
  nested: {
    externalscaler: {
      options: { go_package: '.;externalscaler' },
      nested: {
        ExternalScaler: {
          methods: {
            IsActive: { requestType: 'ScaledObjectRef', responseType: 'IsActiveResponse' },
            StreamIsActive: { requestType: 'ScaledObjectRef', responseType: 'IsActiveResponse', responseStream: true },
            GetMetricSpec: { requestType: 'ScaledObjectRef', responseType: 'GetMetricSpecResponse' },
            GetMetrics: { requestType: 'GetMetricsRequest', responseType: 'GetMetricsResponse' },
          },
        },
        ScaledObjectRef: {
          fields: { name: { type: 'string', id: 1 }, namespace: { type: 'string', id: 2 }, scalerMetadata: { keyType: 'string', type: 'string', id: 3 } },
        },
        IsActiveResponse: { fields: { result: { type: 'bool', id: 1 } } },
        GetMetricSpecResponse: { fields: { metricSpecs: { rule: 'repeated', type: 'MetricSpec', id: 1 } } },
        MetricSpec: { fields: { metricName: { type: 'string', id: 1 }, targetSize: { type: 'int64', id: 2 }, targetSizeFloat: { type: 'double', id: 3 } } },
        GetMetricsRequest: { fields: { scaledObjectRef: { type: 'ScaledObjectRef', id: 1 }, metricName: { type: 'string', id: 2 } } },
        GetMetricsResponse: { fields: { metricValues: { rule: 'repeated', type: 'MetricValue', id: 1 } } },
        MetricValue: { fields: { metricName: { type: 'string', id: 1 }, metricValue: { type: 'int64', id: 2 }, metricValueFloat: { type: 'double', id: 3 } } },
      },
    },
  },
};

export interface ScaledObjectRef {
  name: string;
  namespace: string;
  scalerMetadata: Record<string, string>;
}
export interface IsActiveResponse {
  result: boolean;
}
export interface MetricSpec {
  metricName: string;
  targetSize: number;
  targetSizeFloat: number;
}
export interface MetricValue {
  metricName: string;
  metricValue: number;
  metricValueFloat: number;
}
export interface GetMetricsRequest {
  scaledObjectRef: ScaledObjectRef | null;
  metricName: string;
}

/** int64 as JS numbers, absent fields as their defaults (what Go's generated code gives KEDA). */
const loaderOptions = { longs: Number, defaults: true, keepCase: true } as const;

/** The `externalscaler.ExternalScaler` service, for a grpc-js server or client. */
export function externalScalerService(): grpc.ServiceDefinition & { client: grpc.ServiceClientConstructor } {
  const definition = fromJSON(externalScalerDescriptor as Parameters<typeof fromJSON>[0], loaderOptions);
  const loaded = grpc.loadPackageDefinition(definition) as unknown as { externalscaler: { ExternalScaler: grpc.ServiceClientConstructor } };
  const client = loaded.externalscaler.ExternalScaler;
  return Object.assign(client.service, { client });
}
