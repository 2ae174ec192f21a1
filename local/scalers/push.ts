import * as grpc from '@grpc/grpc-js';
import { externalScalerService, type IsActiveResponse, type ScaledObjectRef } from '@qfn/publish/push-scaler/definition';

type PushTrigger = { scalerAddress: string; metadata: Record<string, string> };
type ExternalScalerClient = grpc.Client & {
  IsActive(request: ScaledObjectRef, options: grpc.CallOptions, callback: (error: grpc.ServiceError | null, response: IsActiveResponse) => void): void;
  StreamIsActive(request: ScaledObjectRef, metadata: grpc.Metadata): grpc.ClientReadableStream<IsActiveResponse>;
};

/**
 * KEDA's external-push scaler client (pkg/scalers/external_scaler.go) for the local runner: one gRPC
 * channel per scalerAddress; a look is IsActive (as KEDA's poll calls it after GetMetrics, whose value the
 * push scaler always reports 0); `watch` holds StreamIsActive open and calls back on every `true`, retrying
 * a broken stream after 2 s, doubling up to a minute, as KEDA does.
 *
 * @example
 * const push = new PushScalers();
 * const stop = push.watch('store-message', trigger, () => autoscaler.wake());
 * await push.look('store-message', trigger)(); // { value: 0, active: true }
 */
export class PushScalers {
  readonly #clients = new Map<string, ExternalScalerClient>();
  readonly #service = externalScalerService();
  #closed = false;

  look(scaledObject: string, trigger: PushTrigger) {
    return () =>
      new Promise<{ value: number; active: boolean }>((resolve, reject) => {
        const deadline = new Date(Date.now() + 5_000);
        this.#client(trigger.scalerAddress).IsActive(ref(scaledObject, trigger), { deadline }, (error, response) =>
          error ? reject(new Error(`push scaler ${trigger.scalerAddress}: ${error.details || error.message}`)) : resolve({ value: 0, active: response.result }),
        );
      });
  }

  /** Streams StreamIsActive until the returned stop is called; `onActive` runs at every `true` pushed. */
  watch(scaledObject: string, trigger: PushTrigger, onActive: () => void, onError: (message: string) => void = () => {}): () => void {
    let stopped = false;
    let stream: grpc.ClientReadableStream<IsActiveResponse> | undefined;
    let timer: NodeJS.Timeout | undefined;
    let retryMs = 2_000;
    const open = () => {
      if (stopped || this.#closed) return;
      // waitForReady: a publish function still starting (the runner starts both at once) is waited for, not an error.
      const current = this.#client(trigger.scalerAddress).StreamIsActive(ref(scaledObject, trigger), new grpc.Metadata({ waitForReady: true }));
      stream = current;
      current.on('data', (message: IsActiveResponse) => {
        retryMs = 2_000;
        if (message.result) onActive();
      });
      let retried = false;
      const retry = (why: string) => {
        if (retried || stopped) return;
        retried = true;
        onError(why);
        timer = setTimeout(open, retryMs);
        timer.unref();
        retryMs = Math.min(retryMs * 2, 60_000);
      };
      current.on('error', (error: grpc.ServiceError) => retry(`push scaler ${trigger.scalerAddress}: ${error.details || error.message}`));
      current.on('end', () => retry(`push scaler ${trigger.scalerAddress}: stream ended`));
    };
    open();
    return () => {
      stopped = true;
      clearTimeout(timer);
      stream?.cancel();
    };
  }

  close(): void {
    this.#closed = true;
    for (const client of this.#clients.values()) client.close();
    this.#clients.clear();
  }

  #client(address: string): ExternalScalerClient {
    let client = this.#clients.get(address);
    if (!client) {
      client = new this.#service.client(address, grpc.credentials.createInsecure()) as unknown as ExternalScalerClient;
      this.#clients.set(address, client);
    }
    return client;
  }
}

const ref = (scaledObject: string, trigger: PushTrigger): ScaledObjectRef => ({ name: scaledObject, namespace: 'local', scalerMetadata: trigger.metadata });
