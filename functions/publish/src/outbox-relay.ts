import { type Broker, type Database, type Logger, observeOutbox, OutboxRelay, recordRelayMetrics } from '@qfn/shared/platform';

/** The relay source of rows the publish function writes itself (delayed events). */
export const publishSource = 'publish';

export interface PublishRelayOptions {
  db: Database;
  broker: Broker;
  log: Logger;
  adoptAfterSeconds: number;
  pollIntervalMs: number;
  telemetry: boolean;
}

/**
 * The publish function's relay: sends its own delayed events when due, and adopts any function's rows
 * left unsent for `adoptAfterSeconds` (the replica that wrote them died, or its function is at zero).
 * Sent rows are deleted after an hour.
 */
export function startPublishRelay(options: PublishRelayOptions): { relay: OutboxRelay; stop(): Promise<void> } {
  const relay = new OutboxRelay({
    db: options.db,
    broker: options.broker,
    source: publishSource,
    adoptAfterMs: options.adoptAfterSeconds * 1000,
    pollIntervalMs: options.pollIntervalMs,
  });
  relay.on('paused', ({ error, retryInMs }) => options.log.warn({ err: (error as Error).message, retryInMs }, 'outbox relay paused'));
  relay.on('send_failed', ({ count, reason }) => options.log.warn({ count, reason }, 'outbox rows not sent; tried again after a backoff'));
  recordRelayMetrics(relay, publishSource);
  if (options.telemetry) observeOutbox(options.db);
  relay.start();
  const cleanup = setInterval(() => {
    relay.deleteSent(3_600_000).catch((error: Error) => options.log.debug({ err: error.message }, 'could not delete sent outbox rows'));
  }, 300_000);
  cleanup.unref();
  return {
    relay,
    stop: async () => {
      clearInterval(cleanup);
      await relay.stop();
    },
  };
}
