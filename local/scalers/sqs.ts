import { GetQueueAttributesCommand, GetQueueUrlCommand, SQSClient, type QueueAttributeName } from '@aws-sdk/client-sqs';
import { sqsAttributeNames, sqsQueueLength } from '../autoscaler/scalers';

/**
 * KEDA's aws-sqs-queue scaler: GetQueueAttributes with the attributes its metadata asks for, summed.
 * A missing queue, a failed call or an attribute absent or not an integer is an error.
 *
 * @example
 * const sqs = new SqsQueueScaler({ endpoint: 'http://127.0.0.1:4599', region: 'us-east-1' });
 * await sqs.look({ queueName: 'qfn-store-message', scaleOnInFlight: true, scaleOnDelayed: false, activation: 0 })();
 */
export class SqsQueueScaler {
  readonly #client: SQSClient;
  readonly #urls = new Map<string, string>();

  constructor(options: { endpoint?: string; region: string; credentials?: { accessKeyId: string; secretAccessKey: string } }) {
    this.#client = new SQSClient({
      region: options.region,
      maxAttempts: 1,
      ...(options.endpoint ? { endpoint: options.endpoint } : {}),
      ...(options.credentials ? { credentials: options.credentials } : {}),
    });
  }

  look(trigger: { queueName: string; scaleOnInFlight: boolean; scaleOnDelayed: boolean; activation: number }) {
    const names = sqsAttributeNames(trigger);
    return async () => {
      const queueUrl = await this.#urlOf(trigger.queueName);
      try {
        const reply = await this.#client.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: names as QueueAttributeName[] }), {
          abortSignal: AbortSignal.timeout(5_000),
        });
        const value = sqsQueueLength(reply.Attributes, names);
        return { value, active: value > trigger.activation };
      } catch (error) {
        this.#urls.delete(trigger.queueName);
        throw error;
      }
    };
  }

  close(): void {
    this.#client.destroy();
  }

  async #urlOf(queueName: string): Promise<string> {
    const known = this.#urls.get(queueName);
    if (known) return known;
    const { QueueUrl } = await this.#client.send(new GetQueueUrlCommand({ QueueName: queueName }), { abortSignal: AbortSignal.timeout(5_000) });
    if (!QueueUrl) throw new Error(`queue ${queueName}: GetQueueUrl answered no URL`);
    this.#urls.set(queueName, QueueUrl);
    return QueueUrl;
  }
}
