import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  SendMessageBatchCommand,
  type BatchResultErrorEntry,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { Batcher, type EntryFailure } from './batcher';
import { sqsMessageSize, type OutgoingSqsMessage } from './message';
import type { SqsSession } from './session';

export interface OperationsOptions {
  /** How long a delete waits for others to share its DeleteMessageBatch call. */
  deleteLingerMs: number;
}

/** Longest visibility timeout SQS accepts: 12 hours. */
export const maxVisibilitySeconds = 43_200;

/** The largest payload one SendMessageBatch call takes. */
const maxBatchBytes = 256 * 1024;

/**
 * The per-message calls of the adapter (send, delete, change visibility), each collected per queue into
 * SQS batch calls. Entries SQS failed through no fault of the sender are tried again; each caller
 * learns its own entry's outcome.
 */
export class SqsOperations {
  readonly #sends: Batcher<OutgoingSqsMessage>;
  readonly #deletes: Batcher<string>;
  readonly #visibility: Batcher<{ receiptHandle: string; timeoutSeconds: number }>;

  constructor(session: SqsSession, options: OperationsOptions) {
    this.#sends = new Batcher({
      maxBytes: maxBatchBytes,
      sizeOf: sqsMessageSize,
      retries: 3,
      send: (queueUrl, entries) => batchCall(session, (c) => c.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: entries.map(messageEntry) }))),
    });
    this.#deletes = new Batcher({
      lingerMs: options.deleteLingerMs,
      retries: 2,
      send: (queueUrl, entries) => batchCall(session, (c) => c.send(new DeleteMessageBatchCommand({ QueueUrl: queueUrl, Entries: entries.map(deleteEntry) }))),
    });
    this.#visibility = new Batcher({
      retries: 2,
      send: (queueUrl, entries) =>
        batchCall(session, (c) => c.send(new ChangeMessageVisibilityBatchCommand({ QueueUrl: queueUrl, Entries: entries.map(visibilityEntry) }))),
    });
  }

  /** Resolves once SQS has stored the message. */
  send(queueUrl: string, message: OutgoingSqsMessage): Promise<void> {
    return this.#sends.add(queueUrl, message);
  }

  delete(queueUrl: string, receiptHandle: string): Promise<void> {
    return this.#deletes.add(queueUrl, receiptHandle);
  }

  /** Hides the received message for `timeoutSeconds` more from now (0: visible at once). */
  changeVisibility(queueUrl: string, receiptHandle: string, timeoutSeconds: number): Promise<void> {
    const seconds = Math.min(maxVisibilitySeconds, Math.max(0, Math.ceil(timeoutSeconds)));
    return this.#visibility.add(queueUrl, { receiptHandle, timeoutSeconds: seconds });
  }

  /** Sends whatever is still collected and waits for every call under way. */
  async drain(): Promise<void> {
    await Promise.all([this.#sends.drain(), this.#deletes.drain(), this.#visibility.drain()]);
  }
}

/** A batcher's entry: the id it gives the operation within one batch call, and the operation's value. */
type Entry<T> = { id: string; value: T };

const messageEntry = ({ id, value }: Entry<OutgoingSqsMessage>) => ({ Id: id, MessageBody: value.body, MessageAttributes: value.attributes });
const deleteEntry = ({ id, value }: Entry<string>) => ({ Id: id, ReceiptHandle: value });
const visibilityEntry = ({ id, value }: Entry<{ receiptHandle: string; timeoutSeconds: number }>) => ({
  Id: id,
  ReceiptHandle: value.receiptHandle,
  VisibilityTimeout: value.timeoutSeconds,
});

/** One SQS batch call; the entries it failed are the batcher's to try again. */
async function batchCall(session: SqsSession, send: (client: SQSClient) => Promise<{ Failed?: BatchResultErrorEntry[] }>): Promise<{ failed: EntryFailure[] }> {
  const reply = await session.call(send);
  return { failed: failures(reply.Failed) };
}

function failures(entries: BatchResultErrorEntry[] | undefined): EntryFailure[] {
  return (entries ?? []).map((entry) => ({
    id: entry.Id ?? '',
    error: Object.assign(new Error(`${entry.Code}: ${entry.Message ?? 'failed'}`), { name: entry.Code ?? 'Error' }),
    retryable: entry.SenderFault !== true,
  }));
}
