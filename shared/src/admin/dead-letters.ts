import type { DeadLetter } from '../queue/types';

/**
 * The dead-letter view operators read, the same in the CLI (`npm run dlq`) and the publish function's
 * admin routes (`/admin/dlq/...`).
 */

/** A dead letter as operators read it: the body decoded when it is JSON, base64 when it is not. */
export interface DeadLetterView {
  handle: string;
  eventId: string | null;
  reason: string;
  attempts: number;
  deadLetteredAt: string | null;
  body: unknown;
  bodyBase64?: string;
}

export function deadLetterView(letter: DeadLetter): DeadLetterView {
  const view: DeadLetterView = {
    handle: letter.handle,
    eventId: letter.eventId ?? null,
    reason: letter.reason,
    attempts: letter.attempts,
    deadLetteredAt: letter.deadLetteredAt ?? null,
    body: null,
  };
  try {
    view.body = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(letter.body));
  } catch {
    view.bodyBase64 = letter.body.toString('base64');
  }
  return view;
}

/** Dead letters looked at to find one by id (show). */
export const showSearchLimit = 1_000;
/** Most messages one replay or list call moves or returns. */
export const maxBatch = 10_000;

/** How RabbitMQ (404 NOT_FOUND) and SQS say a queue does not exist. */
export const missingQueue = /NOT_FOUND|NonExistentQueue|QueueDoesNotExist/;
