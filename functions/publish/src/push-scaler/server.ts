import * as grpc from '@grpc/grpc-js';
import type { QueueActivity } from './activity';
import { externalScalerService, type GetMetricsRequest, type IsActiveResponse, type MetricSpec, type MetricValue, type ScaledObjectRef } from './definition';

/** The trigger metadata key naming the function (the ScaledObject's own name carries the release prefix). */
export const functionMetadataKey = 'function';
/** The one metric the push trigger reports. */
export const activityMetricName = 'publish-activity';

export interface PushScalerServer {
  port: number;
  close(): Promise<void>;
}

/**
 * KEDA's external-push scaler (`externalscaler.ExternalScaler`) over what this process publishes:
 * StreamIsActive pushes `true` the moment a publish to the function's queue is confirmed and `false` once it
 * has been idle; IsActive answers the same flag when KEDA polls. Activation only: GetMetrics reports 0, so
 * the HPA sizes by the broker trigger beside it (which counts unacknowledged messages and every publisher,
 * where this process sees only its own publishes).
 *
 * @example
 * const push = await startPushScalerServer({ port: 9090, activity });
 * await push.close();
 */
export async function startPushScalerServer(options: { port: number; host?: string; activity: QueueActivity }): Promise<PushScalerServer> {
  const { activity } = options;
  const server = new grpc.Server();
  const streams = new Set<grpc.ServerWritableStream<ScaledObjectRef, IsActiveResponse>>();

  const functionOf = (ref: ScaledObjectRef | null | undefined): { name: string } | { error: Partial<grpc.StatusObject> } => {
    const name = ref?.scalerMetadata?.[functionMetadataKey];
    if (!name) return { error: { code: grpc.status.INVALID_ARGUMENT, details: `the trigger metadata has no "${functionMetadataKey}"` } };
    if (!activity.has(name))
      return { error: { code: grpc.status.NOT_FOUND, details: `no function ${name} subscribes to anything this publish function sends` } };
    return { name };
  };

  server.addService(externalScalerService(), {
    IsActive(call: grpc.ServerUnaryCall<ScaledObjectRef, IsActiveResponse>, callback: grpc.sendUnaryData<IsActiveResponse>) {
      const fn = functionOf(call.request);
      if ('error' in fn) return callback(fn.error);
      callback(null, { result: activity.isActive(fn.name) });
    },
    StreamIsActive(call: grpc.ServerWritableStream<ScaledObjectRef, IsActiveResponse>) {
      const fn = functionOf(call.request);
      if ('error' in fn) return call.emit('error', fn.error);
      streams.add(call);
      // Changes only, and `true` at once if already active: a `false` makes KEDA's executor consider scaling in
      // without looking at the other triggers, so it is sent only after an idle period this process saw.
      const unsubscribe = activity.onChange(fn.name, (active) => call.write({ result: active }));
      if (activity.isActive(fn.name)) call.write({ result: true });
      const end = () => {
        unsubscribe();
        streams.delete(call);
      };
      call.on('cancelled', end);
      call.on('close', end);
      call.on('error', end);
    },
    GetMetricSpec(call: grpc.ServerUnaryCall<ScaledObjectRef, { metricSpecs: MetricSpec[] }>, callback: grpc.sendUnaryData<{ metricSpecs: MetricSpec[] }>) {
      const fn = functionOf(call.request);
      if ('error' in fn) return callback(fn.error);
      callback(null, { metricSpecs: [{ metricName: activityMetricName, targetSize: 1, targetSizeFloat: 1 }] });
    },
    GetMetrics(call: grpc.ServerUnaryCall<GetMetricsRequest, { metricValues: MetricValue[] }>, callback: grpc.sendUnaryData<{ metricValues: MetricValue[] }>) {
      const fn = functionOf(call.request.scaledObjectRef);
      if ('error' in fn) return callback(fn.error);
      callback(null, { metricValues: [{ metricName: call.request.metricName || activityMetricName, metricValue: 0, metricValueFloat: 0 }] });
    },
  });

  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(`${options.host ?? '0.0.0.0'}:${options.port}`, grpc.ServerCredentials.createInsecure(), (error, bound) =>
      error ? reject(error) : resolve(bound),
    );
  });

  return {
    port,
    async close() {
      for (const stream of streams) stream.end();
      streams.clear();
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, 2_000);
        server.tryShutdown(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    },
  };
}
