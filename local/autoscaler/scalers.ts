/**
 * What KEDA's rabbitmq and aws-sqs-queue scalers compute from a broker's answer (GetMetricsAndActivity):
 * the metric the HPA gets and whether the trigger is active. Pure. Stricter than KEDA in one way, on
 * purpose: a count that is absent or not an integer is an error, never zero (KEDA's Go JSON decoding turns
 * a missing `messages` into 0, which reads as an empty queue).
 */
import type { QueueTrigger } from './scaled-object';

/** One trigger's look: its metric and activity, or why it could not be read. */
export type TriggerReading =
  | { trigger: string; value: number; active: boolean; target: number; activation: number }
  | { trigger: string; error: string; target: number; activation: number };

export class ScalerError extends Error {
  override name = 'ScalerError';
}

/** aws_sqs_queue_scaler.go `awsSqsQueueMetricNames`: visible, then in flight and delayed as the metadata asks. */
export function sqsAttributeNames(trigger: { scaleOnInFlight: boolean; scaleOnDelayed: boolean }): string[] {
  const names = ['ApproximateNumberOfMessages'];
  if (trigger.scaleOnInFlight) names.push('ApproximateNumberOfMessagesNotVisible');
  if (trigger.scaleOnDelayed) names.push('ApproximateNumberOfMessagesDelayed');
  return names;
}

/** aws_sqs_queue_scaler.go `processQueueLengthFromSqsQueueAttributesOutput`: the sum; an absent or non-integer attribute is an error. */
export function sqsQueueLength(attributes: Readonly<Record<string, string | undefined>> | undefined, names: readonly string[]): number {
  let total = 0;
  for (const name of names) {
    const raw = attributes?.[name];
    if (raw === undefined) throw new ScalerError(`metric ${name} not found in SQS queue attributes`);
    total += parseInteger(name, raw);
  }
  return total;
}

/** Go's strconv.ParseInt(s, 10, 64). */
function parseInteger(name: string, raw: string): number {
  if (!/^[+-]?\d+$/.test(raw)) throw new ScalerError(`${name} "${raw}" is not an integer`);
  return Number(raw);
}

function count(info: Record<string, unknown>, field: string): number {
  const value = info[field];
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    throw new ScalerError(
      value === undefined ? `the management API reported no ${field} (statistics not collected yet?)` : `${field} ${JSON.stringify(value)} is not an integer`,
    );
  }
  return value;
}

function publishRate(info: Record<string, unknown>): number {
  const stats = info['message_stats'] as { publish_details?: { rate?: unknown } } | undefined;
  const rate = stats?.publish_details?.rate;
  // No publish since the queue was declared: the management API leaves message_stats out (KEDA reads 0).
  if (rate === undefined) return 0;
  if (typeof rate !== 'number' || !Number.isFinite(rate)) throw new ScalerError(`message_stats.publish_details.rate ${JSON.stringify(rate)} is not a number`);
  return rate;
}

/**
 * rabbitmq_scaler.go over HTTP: `messages` (ready + unacknowledged) or `messages_ready` with
 * excludeUnacknowledged; mode MessageRate reads the publish rate and is active on either.
 */
export function rabbitmqHttpMetric(
  info: unknown,
  trigger: { mode: 'QueueLength' | 'MessageRate'; excludeUnacknowledged: boolean; activation: number },
): { value: number; active: boolean } {
  if (!info || typeof info !== 'object') throw new ScalerError('the management API answered no queue object');
  const queue = info as Record<string, unknown>;
  const messages = trigger.excludeUnacknowledged ? count(queue, 'messages_ready') : count(queue, 'messages');
  if (trigger.mode === 'QueueLength') return { value: messages, active: messages > trigger.activation };
  const rate = publishRate(queue);
  return { value: rate, active: rate > trigger.activation || messages > trigger.activation };
}

/** rabbitmq_scaler.go over AMQP: QueueDeclarePassive's message count (ready messages only). */
export function rabbitmqAmqpMetric(messageCount: unknown, trigger: { activation: number }): { value: number; active: boolean } {
  if (typeof messageCount !== 'number' || !Number.isInteger(messageCount) || messageCount < 0) {
    throw new ScalerError(`the passive queue declare answered message count ${JSON.stringify(messageCount)}`);
  }
  return { value: messageCount, active: messageCount > trigger.activation };
}

/** Turns one look (a metric or a thrown error) into a reading for the decision functions. */
export async function readTrigger(trigger: QueueTrigger, look: () => Promise<{ value: number; active: boolean }>): Promise<TriggerReading> {
  const base = { trigger: trigger.name, target: trigger.target, activation: trigger.activation };
  try {
    return { ...base, ...(await look()) };
  } catch (error) {
    return { ...base, error: error instanceof Error ? error.message : String(error) };
  }
}
