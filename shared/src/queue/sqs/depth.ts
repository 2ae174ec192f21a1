import { GetQueueAttributesCommand, type QueueAttributeName } from '@aws-sdk/client-sqs';
import type { QueueDepth } from '../types';
import type { FunctionQueues } from './provision';
import type { SqsSession } from './session';

/** What KEDA's aws-sqs-queue scaler reads: visible, in flight (received, unsettled or waiting to retry), delayed; and the dead letters. */
export async function sqsQueueDepth(session: SqsSession, queues: FunctionQueues): Promise<QueueDepth> {
  const [main, deadLetters] = await Promise.all([
    queueCounts(session, queues.queueUrl, ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed']),
    queueCounts(session, queues.deadLetterQueueUrl, ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible']),
  ]);
  return {
    ready: main.ApproximateNumberOfMessages,
    inFlight: main.ApproximateNumberOfMessagesNotVisible,
    delayed: main.ApproximateNumberOfMessagesDelayed,
    // Listing dead letters hides them for a moment: count those too.
    deadLettered: deadLetters.ApproximateNumberOfMessages + deadLetters.ApproximateNumberOfMessagesNotVisible,
  };
}

/** The named count attributes of a queue; one SQS did not answer, or answered with something else than a count, is an error. */
async function queueCounts<N extends QueueAttributeName>(session: SqsSession, queueUrl: string, names: N[]): Promise<Record<N, number>> {
  const reply = await session.call((client) => client.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: names })));
  const counts = {} as Record<N, number>;
  for (const name of names) counts[name] = countAttribute(queueUrl, name, reply.Attributes?.[name]);
  return counts;
}

/** A queue attribute read as a count: missing or not a whole number ≥ 0 is an error naming the queue and the attribute. */
export function countAttribute(queueUrl: string, name: string, value: string | undefined): number {
  const count = value === undefined || value.trim() === '' ? Number.NaN : Number(value);
  if (Number.isInteger(count) && count >= 0) return count;
  const queue = queueUrl.split('/').pop() || queueUrl;
  const got = value === undefined ? 'missing' : `${JSON.stringify(value)}, not a count`;
  throw new Error(`SQS queue ${queue}: attribute ${name} is ${got}`);
}
