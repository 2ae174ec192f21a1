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
  return new SettledOnce(message, settlement, onSettle);
}

// A class rather than closures: a replica makes one per message, and four closures each cost allocation and GC.
class SettledOnce implements Delivery {
  readonly body: Buffer;
  readonly messageId: string | undefined;
  readonly headers: Readonly<Record<string, string>>;
  readonly attempt: number;
  declare readonly redelivered?: boolean;
  readonly #settlement: Settlement;
  readonly #onSettle: ((operation: SettlementName) => void) | undefined;
  #settled = false;

  constructor(message: DeliveredMessage, settlement: Settlement, onSettle: ((operation: SettlementName) => void) | undefined) {
    this.body = message.body;
    this.messageId = message.messageId;
    this.headers = message.headers;
    this.attempt = message.attempt;
    if (message.redelivered !== undefined) (this as { redelivered?: boolean }).redelivered = message.redelivered;
    this.#settlement = settlement;
    this.#onSettle = onSettle;
  }

  async ack(): Promise<void> {
    this.#once('ack');
    await this.#settlement.ack();
  }

  async retry(delayMs: number, reason: string): Promise<void> {
    this.#once('retry');
    await this.#settlement.retry(delayMs, reason);
  }

  async deadLetter(reason: string): Promise<void> {
    this.#once('deadLetter');
    await this.#settlement.deadLetter(reason);
  }

  async release(): Promise<void> {
    this.#once('release');
    await this.#settlement.release();
  }

  #once(operation: SettlementName): void {
    if (this.#settled) throw new Error('delivery already settled');
    this.#settled = true;
    this.#onSettle?.(operation);
  }
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
