import type { Delivery } from './types';

/** The four ways a delivery is settled. */
export type SettlementName = 'ack' | 'retry' | 'deadLetter' | 'release';
export type Settlement = Pick<Delivery, SettlementName>;
/** What a delivery carries, without how it is settled. */
export type DeliveredMessage = Omit<Delivery, SettlementName>;

/**
 * A delivery an adapter hands out: the broker calls in `settlement` run at most once between them.
 * The first settlement wins and runs `onSettle` at once (before the broker call: free the prefetch
 * slot, stop the heartbeat); any later one rejects with "delivery already settled".
 *
 * @example
 * createDelivery({ body, messageId, headers, attempt: 1 }, { ack: () => channel.ack(m), … }, () => slots.give(1));
 */
export function createDelivery(message: DeliveredMessage, settlement: Settlement, onSettle?: (operation: SettlementName) => void): Delivery {
  let settled = false;
  const once = (operation: SettlementName) => {
    if (settled) throw new Error('delivery already settled');
    settled = true;
    onSettle?.(operation);
  };
  return {
    ...messageOf(message),
    ack: async () => {
      once('ack');
      await settlement.ack();
    },
    retry: async (delayMs, reason) => {
      once('retry');
      await settlement.retry(delayMs, reason);
    },
    deadLetter: async (reason) => {
      once('deadLetter');
      await settlement.deadLetter(reason);
    },
    release: async () => {
      once('release');
      await settlement.release();
    },
  };
}

/** Runs around one settlement of a wrapped delivery; `proceed` settles it (with the caller's arguments). */
export type SettlementInterceptor = (operation: SettlementName, proceed: () => Promise<void>) => Promise<void>;

/**
 * The same delivery with every settlement going through `around`: what a decorator (telemetry spans,
 * a fault injector) wraps. The message's fields are copied here, once, so a field added to Delivery
 * reaches every decorator instead of being dropped by one that lists them by hand.
 *
 * @example
 * interceptDelivery(delivery, (operation, proceed) => traced(operation, proceed));
 */
export function interceptDelivery(delivery: Delivery, around: SettlementInterceptor): Delivery {
  return {
    ...messageOf(delivery),
    ack: () => around('ack', () => delivery.ack()),
    retry: (delayMs, reason) => around('retry', () => delivery.retry(delayMs, reason)),
    deadLetter: (reason) => around('deadLetter', () => delivery.deadLetter(reason)),
    release: () => around('release', () => delivery.release()),
  };
}

function messageOf(message: DeliveredMessage): DeliveredMessage {
  return {
    body: message.body,
    messageId: message.messageId,
    headers: message.headers,
    attempt: message.attempt,
    ...(message.redelivered !== undefined ? { redelivered: message.redelivered } : {}),
  };
}
