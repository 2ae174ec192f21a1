import type { CommonConfig } from '@qfn/shared/platform';
import { managementUrlFor } from '@qfn/shared/platform';
import { readTrigger, type TriggerReading } from '../autoscaler/scalers';
import type { QueueTrigger } from '../autoscaler/scaled-object';
import { PushScalers } from './push';
import { AmqpQueueScaler } from './rabbitmq-amqp';
import { rabbitmqHttpLook } from './rabbitmq-http';
import { SqsQueueScaler } from './sqs';

/**
 * The local runner's KEDA scalers: one look per trigger of a ScaledObject, read the way KEDA's scaler for
 * that trigger reads it (management API, AMQP passive declare, SQS GetQueueAttributes), sharing one
 * connection per broker across functions.
 *
 * @example
 * const scalers = createQueueScalers(infrastructure.config);
 * const read = scalers.reader(triggers);
 * const readings = await read(); // [{ trigger: 'queue', value: 37, active: true, ... }, ...]
 * await scalers.close();
 */
export function createQueueScalers(config: CommonConfig, env: Readonly<Record<string, string | undefined>> = process.env) {
  // Static keys are taken now: the SDK would otherwise look for them at the first call, in whatever environment is left then.
  const accessKeyId = env['AWS_ACCESS_KEY_ID'];
  const secretAccessKey = env['AWS_SECRET_ACCESS_KEY'];
  const credentials = accessKeyId && secretAccessKey ? { accessKeyId, secretAccessKey } : undefined;
  let amqpScaler: AmqpQueueScaler | undefined;
  let sqsScaler: SqsQueueScaler | undefined;
  let pushScalers: PushScalers | undefined;
  const vhost = config.BROKER === 'rabbitmq' ? decodeURIComponent(new URL(config.AMQP_URL).pathname.slice(1)) || '/' : '/';
  const lookFor = (trigger: QueueTrigger, scaledObject: string) => {
    if (trigger.type === 'external-push') {
      pushScalers ??= new PushScalers();
      return pushScalers.look(scaledObject, trigger);
    }
    if (trigger.type === 'aws-sqs-queue') {
      sqsScaler ??= new SqsQueueScaler({
        region: config.AWS_REGION ?? 'us-east-1',
        ...(config.SQS_ENDPOINT ? { endpoint: config.SQS_ENDPOINT } : {}),
        ...(credentials ? { credentials } : {}),
      });
      return sqsScaler.look(trigger);
    }
    if (trigger.protocol === 'amqp') {
      amqpScaler ??= new AmqpQueueScaler(config.AMQP_URL);
      return amqpScaler.look(trigger);
    }
    return rabbitmqHttpLook(config.RABBITMQ_MANAGEMENT_URL ?? managementUrlFor(config.AMQP_URL), vhost, trigger);
  };
  return {
    /** Every trigger's reading, looked at in parallel as KEDA's scale loop does. */
    reader(triggers: readonly QueueTrigger[], scaledObject = ''): () => Promise<TriggerReading[]> {
      const looks = triggers.map((trigger) => ({ trigger, look: lookFor(trigger, scaledObject) }));
      return () => Promise.all(looks.map(({ trigger, look }) => readTrigger(trigger, look)));
    },
    /** Holds KEDA's StreamIsActive open for each external-push trigger; `onActive` at every `true`. Returns the stop. */
    watchPush(triggers: readonly QueueTrigger[], scaledObject: string, onActive: () => void, onError?: (message: string) => void): () => void {
      const stops = triggers.flatMap((trigger) => {
        if (trigger.type !== 'external-push') return [];
        pushScalers ??= new PushScalers();
        return [pushScalers.watch(scaledObject, trigger, onActive, onError)];
      });
      return () => stops.forEach((stop) => stop());
    },
    async close(): Promise<void> {
      pushScalers?.close();
      sqsScaler?.close();
      await amqpScaler?.close();
    },
  };
}

export type QueueScalers = ReturnType<typeof createQueueScalers>;
