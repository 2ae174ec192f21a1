import * as grpc from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import { QueueActivity } from './activity';
import { externalScalerService, type IsActiveResponse } from './definition';
import { activityMetricName, startPushScalerServer, type PushScalerServer } from './server';

/** A real grpc-js client of the service, as KEDA's Go client calls it. */
function clientFor(port: number) {
  const { client: Client } = externalScalerService();
  return new Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure()) as grpc.Client & Record<string, any>;
}

const unary = <T>(client: Record<string, any>, method: string, request: object) =>
  new Promise<T>((resolve, reject) => client[method](request, (error: grpc.ServiceError | null, response: T) => (error ? reject(error) : resolve(response))));

const ref = (fn: string) => ({ name: `qfn-${fn}`, namespace: 'default', scalerMetadata: { scalerAddress: 'x:9090', function: fn } });

function nextMessage(stream: grpc.ClientReadableStream<IsActiveResponse>, timeoutMs: number): Promise<IsActiveResponse> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no message within ${timeoutMs} ms`)), timeoutMs);
    stream.once('data', (message: IsActiveResponse) => {
      clearTimeout(timer);
      resolve(message);
    });
  });
}

describe('push scaler server', () => {
  let server: PushScalerServer | undefined;
  let activity: QueueActivity | undefined;
  let client: grpc.Client | undefined;
  afterEach(async () => {
    client?.close();
    await server?.close();
    activity?.close();
  });

  async function start(idleMs: number) {
    activity = new QueueActivity(
      [
        { name: 'store-message', subscribes: ['message.published'] },
        { name: 'audit', subscribes: ['#'] },
      ],
      { idleMs },
    );
    server = await startPushScalerServer({ port: 0, host: '127.0.0.1', activity });
    const c = clientFor(server.port);
    client = c;
    return { activity, client: c };
  }

  it('streams true the moment a publish routed to the queue is confirmed, false once idle; IsActive says the same', async () => {
    const { activity, client } = await start(300);
    expect(await unary<IsActiveResponse>(client, 'IsActive', ref('store-message'))).toEqual({ result: false });
    const stream = client['StreamIsActive'](ref('store-message')) as grpc.ClientReadableStream<IsActiveResponse>;
    stream.on('error', () => {});
    await new Promise((resolve) => setTimeout(resolve, 100)); // the stream is open on the server
    const first = nextMessage(stream, 2_000);
    activity.published('other.type'); // routed to audit only
    activity.published('message.published');
    expect(await first).toEqual({ result: true });
    expect(await unary<IsActiveResponse>(client, 'IsActive', ref('store-message'))).toEqual({ result: true });
    expect(await nextMessage(stream, 3_000)).toEqual({ result: false });
    expect(await unary<IsActiveResponse>(client, 'IsActive', ref('store-message'))).toEqual({ result: false });
    stream.cancel();
  });

  it('sends true at once to a stream opened while the function is active', async () => {
    const { activity, client } = await start(10_000);
    activity.published('message.published');
    const stream = client['StreamIsActive'](ref('audit')) as grpc.ClientReadableStream<IsActiveResponse>;
    stream.on('error', () => {});
    expect(await nextMessage(stream, 2_000)).toEqual({ result: true });
    stream.cancel();
  });

  it('is activation only: one metric with target 1, always 0', async () => {
    const { activity, client } = await start(10_000);
    activity.published('message.published');
    expect(await unary(client, 'GetMetricSpec', ref('store-message'))).toEqual({
      metricSpecs: [{ metricName: activityMetricName, targetSize: 1, targetSizeFloat: 1 }],
    });
    expect(await unary(client, 'GetMetrics', { scaledObjectRef: ref('store-message'), metricName: activityMetricName })).toEqual({
      metricValues: [{ metricName: activityMetricName, metricValue: 0, metricValueFloat: 0 }],
    });
  });

  it('refuses a function it does not know and a trigger without one', async () => {
    const { client } = await start(10_000);
    await expect(unary(client, 'IsActive', ref('nobody'))).rejects.toMatchObject({ code: grpc.status.NOT_FOUND });
    await expect(unary(client, 'IsActive', { name: 'x', namespace: 'y', scalerMetadata: {} })).rejects.toMatchObject({ code: grpc.status.INVALID_ARGUMENT });
    const stream = client['StreamIsActive'](ref('nobody')) as grpc.ClientReadableStream<IsActiveResponse>;
    await expect(new Promise((_, reject) => stream.on('error', reject))).rejects.toMatchObject({ code: grpc.status.NOT_FOUND });
  });
});
