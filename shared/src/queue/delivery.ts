import type { Delivery } from './types';

type Settlement = Pick<Delivery, 'ack' | 'retry' | 'deadLetter' | 'release'>;

/**
 * A delivery with the same message and some settlement methods replaced: what a decorator (telemetry spans,
 * a fault injector) wraps. The message's fields are copied here, once, so a field added to Delivery reaches
 * every decorator instead of being dropped by one that lists them by hand.
 *
 * @example
 * interceptDelivery(delivery, { ack: () => traced('ack', () => delivery.ack()) });
 */
export function interceptDelivery(delivery: Delivery, replaced: Partial<Settlement>): Delivery {
  return {
    body: delivery.body,
    messageId: delivery.messageId,
    headers: delivery.headers,
    attempt: delivery.attempt,
    ...(delivery.redelivered !== undefined ? { redelivered: delivery.redelivered } : {}),
    ack: replaced.ack ?? (() => delivery.ack()),
    retry: replaced.retry ?? ((delayMs, reason) => delivery.retry(delayMs, reason)),
    deadLetter: replaced.deadLetter ?? ((reason) => delivery.deadLetter(reason)),
    release: replaced.release ?? (() => delivery.release()),
  };
}
