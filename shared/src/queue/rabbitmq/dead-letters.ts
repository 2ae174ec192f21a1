import type { Channel } from 'amqplib';
import type { DeadLetter, QueueSpec } from '../types';
import { forwardedProperties, replayHeaders, toDeadLetter } from './message';
import type { ConfirmPublisher } from './publisher';
import type { TopologyNames } from './topology';

/** Runs `work` on a channel of its own that is closed afterwards (closing requeues what it left unacked). */
export type ScratchChannels = <T>(work: (channel: Channel) => Promise<T>) => Promise<T>;

/**
 * Operator actions on a function's dead-letter queue. Messages are fetched with `basic.get` on a
 * scratch channel: unacked ones go back to the queue when it closes.
 */
export class RabbitMqDeadLetters {
  constructor(
    private readonly names: TopologyNames,
    private readonly publisher: ConfirmPublisher,
    private readonly scratch: ScratchChannels,
  ) {}

  /** Up to `limit` dead letters, oldest first; they stay in the queue. */
  list(spec: QueueSpec, limit: number): Promise<DeadLetter[]> {
    return this.scratch(async (channel) => {
      const letters: DeadLetter[] = [];
      while (letters.length < limit) {
        const message = await channel.get(this.names.deadLetterQueue(spec.name), { noAck: false });
        if (!message) break;
        letters.push(toDeadLetter(message));
      }
      return letters;
    });
  }

  /** Sends up to `limit` dead letters back to the function's queue (event id kept, attempt 1), removing them here. */
  replay(spec: QueueSpec, limit: number): Promise<number> {
    return this.scratch(async (channel) => {
      let replayed = 0;
      while (replayed < limit) {
        const message = await channel.get(this.names.deadLetterQueue(spec.name), { noAck: false });
        if (!message) break;
        await this.publisher.publish('', this.names.queue(spec.name), message.content, forwardedProperties(message, replayHeaders));
        channel.ack(message);
        replayed++;
      }
      return replayed;
    });
  }

  purge(spec: QueueSpec): Promise<number> {
    return this.scratch(async (channel) => (await channel.purgeQueue(this.names.deadLetterQueue(spec.name))).messageCount);
  }
}
