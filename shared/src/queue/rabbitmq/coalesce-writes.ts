import type { ChannelModel } from 'amqplib';

interface MuxInternals {
  _readIncoming?: (...args: unknown[]) => void;
}
interface ConnectionInternals {
  stream?: { cork(): void; uncork(): void };
  muxer?: MuxInternals;
}

/**
 * Makes amqplib hand the socket all frames of one flush as a single write. amqplib queues frames per
 * channel and its multiplexer writes them one `socket.write` at a time, one syscall each; corking
 * the socket around that loop turns a burst of publishes (or acks) into one writev. Relies on
 * amqplib's internals (`connection.muxer`, pinned 2.3.x): when they are not there, nothing changes.
 *
 * @returns whether writes are now coalesced
 */
export function coalesceSocketWrites(model: ChannelModel): boolean {
  const connection = (model as unknown as { connection?: ConnectionInternals }).connection;
  const socket = connection?.stream;
  const muxer = connection?.muxer;
  const flush = muxer?._readIncoming;
  if (!socket || !muxer || typeof flush !== 'function' || typeof socket.cork !== 'function') return false;
  muxer._readIncoming = function coalesced(this: MuxInternals, ...args: unknown[]) {
    socket.cork();
    try {
      flush.apply(this, args);
    } finally {
      socket.uncork();
    }
  };
  return true;
}
