import { ReceiveMessageCommand, type Message } from '@aws-sdk/client-sqs';
import { BrokerUnavailableError, type DeadLetter } from '../types';
import { fromSqsMessage, toReplayedMessage } from './message';
import type { SqsOperations } from './operations';
import type { FunctionQueues } from './provision';
import type { SqsSession } from './session';

/** Seconds the messages being listed or moved stay hidden, so one pass never sees a message twice. */
const holdSeconds = 30;

/**
 * Operator actions on a function's dead-letter queue. SQS has no peek: messages are received (hidden
 * for a moment) and made visible again, moved, or deleted.
 */
export class DeadLetterQueue {
  constructor(
    private readonly session: SqsSession,
    private readonly operations: SqsOperations,
    private readonly queues: FunctionQueues,
    /** Long-poll wait when looking for more; 0 would sample only some SQS servers and miss messages. */
    private readonly waitTimeSeconds: number,
  ) {}

  /** Up to `limit` dead letters, oldest first; they stay in the queue. */
  async list(limit: number): Promise<DeadLetter[]> {
    const received = await this.#receiveUpTo(limit);
    await Promise.all(received.map((m) => this.operations.changeVisibility(this.queues.deadLetterQueueUrl, m.ReceiptHandle!, 0)));
    return received
      .map(toDeadLetter)
      .sort((a, b) => a.sentAt - b.sentAt)
      .map(({ sentAt: _, ...letter }) => letter);
  }

  /** Sends up to `limit` dead letters back to the function's queue (event id kept), removing them here. */
  async replay(limit: number): Promise<number> {
    // Take them all before sending any back: a replayed message that fails again must not be met
    // (and replayed) a second time in the same pass.
    const taken = await this.#receiveUpTo(limit);
    const outcomes = await Promise.allSettled(
      taken.map(async (message) => {
        await this.operations.send(this.queues.queueUrl, toReplayedMessage(message));
        await this.operations.delete(this.queues.deadLetterQueueUrl, message.ReceiptHandle!);
      }),
    );
    const failed = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
    if (failed.length > 0) {
      const reason = (failed[0]!.reason as Error).message;
      throw new BrokerUnavailableError(`replayed ${taken.length - failed.length} of ${taken.length} dead letters; the rest stay (${reason})`);
    }
    return taken.length;
  }

  /** Deletes every dead letter (PurgeQueue would refuse a second call within 60 s and count nothing). */
  async purge(): Promise<number> {
    let purged = 0;
    for (;;) {
      const batch = await this.#receive(10);
      if (batch.length === 0) return purged;
      await Promise.all(batch.map((m) => this.operations.delete(this.queues.deadLetterQueueUrl, m.ReceiptHandle!)));
      purged += batch.length;
    }
  }

  async #receiveUpTo(limit: number): Promise<Message[]> {
    const received: Message[] = [];
    while (received.length < limit) {
      const batch = await this.#receive(Math.min(10, limit - received.length));
      if (batch.length === 0) break;
      received.push(...batch);
    }
    return received;
  }

  async #receive(count: number): Promise<Message[]> {
    const reply = await this.session.call((c) =>
      c.send(
        new ReceiveMessageCommand({
          QueueUrl: this.queues.deadLetterQueueUrl,
          MaxNumberOfMessages: count,
          WaitTimeSeconds: this.waitTimeSeconds,
          VisibilityTimeout: holdSeconds,
          MessageSystemAttributeNames: ['ApproximateReceiveCount', 'SentTimestamp'],
          MessageAttributeNames: ['All'],
        }),
      ),
    );
    return reply.Messages ?? [];
  }
}

function toDeadLetter(message: Message): DeadLetter & { sentAt: number } {
  const decoded = fromSqsMessage(message);
  const attempts = Number(decoded.attempts);
  return {
    handle: message.MessageId ?? '',
    eventId: decoded.eventId,
    // Without a reason the runtime did not move it: SQS did, after maxReceiveCount receives.
    reason: decoded.reason ?? 'broker: received more often than the queue’s maxReceiveCount',
    attempts: Number.isFinite(attempts) && decoded.attempts !== undefined ? attempts : decoded.receiveCount - 1,
    deadLetteredAt: decoded.deadLetteredAt,
    body: decoded.body,
    sentAt: decoded.sentAt,
  };
}
