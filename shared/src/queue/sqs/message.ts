import type { Message, MessageAttributeValue } from '@aws-sdk/client-sqs';

/** Message attributes the platform writes; everything else is a propagation header. */
export const attributeNames = {
  eventId: 'qfn-event-id',
  eventType: 'qfn-event-type',
  /** `base64` when the body is not text SQS accepts. */
  bodyEncoding: 'qfn-body-encoding',
  reason: 'qfn-reason',
  attempts: 'qfn-attempts',
  deadLetteredAt: 'qfn-dead-lettered-at',
  function: 'qfn-function',
} as const;

/** SQS carries at most 10 attributes; dead-lettering adds 4 to what the message had. */
const maxAttributes = 10;
const deadLetterAttributeCount = 4;
const maxReasonLength = 4_000;

export type Attributes = Record<string, MessageAttributeValue>;

/** A message as SendMessage(Batch) takes it. */
export interface OutgoingSqsMessage {
  body: string;
  attributes: Attributes;
}

// Characters SQS accepts in a message body.
// eslint-disable-next-line no-control-regex
const invalidBodyCharacter = /[^\x09\x0A\x0D\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;

const text = (value: string): MessageAttributeValue => ({ DataType: 'String', StringValue: value });

/** Body as text when SQS can carry it unchanged, else base64 (with an attribute saying so). */
export function encodeBody(body: Buffer): { body: string; base64: boolean } {
  const asText = body.toString('utf8');
  if (!invalidBodyCharacter.test(asText) && Buffer.from(asText, 'utf8').equals(body)) {
    return { body: asText, base64: false };
  }
  return { body: body.toString('base64'), base64: true };
}

/** An event as an SQS message: event id, type and each header (e.g. `traceparent`) as message attributes. */
export function toSqsMessage(event: { id: string; type: string; body: Buffer; headers?: Record<string, string> }): OutgoingSqsMessage {
  const { body, base64 } = encodeBody(event.body);
  const attributes: Attributes = { [attributeNames.eventId]: text(event.id), [attributeNames.eventType]: text(event.type) };
  if (base64) attributes[attributeNames.bodyEncoding] = text('base64');
  for (const [key, value] of Object.entries(event.headers ?? {})) {
    if (value === '') continue; // SQS rejects empty attribute values
    if (key.startsWith('qfn-')) throw new Error(`header ${key} uses the platform's reserved qfn- prefix`);
    attributes[key] = text(value);
  }
  if (Object.keys(attributes).length > maxAttributes - deadLetterAttributeCount) {
    const headers = Object.keys(event.headers ?? {}).join(', ');
    throw new Error(
      `too many headers for SQS (${headers}): a message carries at most ${maxAttributes} attributes, ${deadLetterAttributeCount} kept for dead-lettering`,
    );
  }
  return { body, attributes };
}

/** What a received message carries, decoded. */
export function fromSqsMessage(message: Message) {
  const attributes = message.MessageAttributes ?? {};
  const stringAttribute = (name: string) => attributes[name]?.StringValue;
  const raw = message.Body ?? '';
  const body = stringAttribute(attributeNames.bodyEncoding) === 'base64' ? Buffer.from(raw, 'base64') : Buffer.from(raw, 'utf8');
  const headers: Record<string, string> = {};
  for (const [key, value] of Object.entries(attributes)) {
    if (!key.startsWith('qfn-') && value.StringValue !== undefined) headers[key] = value.StringValue;
  }
  const receiveCount = Number(message.Attributes?.ApproximateReceiveCount ?? 1);
  return {
    body,
    eventId: stringAttribute(attributeNames.eventId),
    eventType: stringAttribute(attributeNames.eventType),
    headers,
    receiveCount: Number.isFinite(receiveCount) && receiveCount > 0 ? receiveCount : 1,
    sentAt: Number(message.Attributes?.SentTimestamp ?? 0),
    reason: stringAttribute(attributeNames.reason),
    attempts: stringAttribute(attributeNames.attempts),
    deadLetteredAt: stringAttribute(attributeNames.deadLetteredAt),
  };
}

/**
 * The message as it goes to the dead-letter queue: unchanged, plus why, after how many attempts, when
 * and where. SQS takes at most 10 attributes: when the message had more than 6 (another producer's),
 * propagation headers are dropped to make room, and the reason names them.
 */
export function toDeadLetterMessage(message: Message, details: { reason: string; attempts: number; fn: string; at?: Date }): OutgoingSqsMessage {
  const kept = withoutDeadLetterAttributes(message.MessageAttributes ?? {});
  const dropped: string[] = [];
  const room = maxAttributes - deadLetterAttributeCount;
  for (const name of Object.keys(kept).reverse()) {
    if (Object.keys(kept).length <= room) break;
    if (name.startsWith('qfn-')) continue;
    delete kept[name];
    dropped.unshift(name);
  }
  const note = dropped.length > 0 ? ` [attributes dropped to fit SQS's limit of ${maxAttributes}: ${dropped.join(', ')}]` : '';
  const reason = details.reason.slice(0, maxReasonLength - note.length) + note;
  return {
    body: message.Body ?? '',
    attributes: {
      ...kept,
      [attributeNames.reason]: text(reason || 'unknown'),
      [attributeNames.attempts]: { DataType: 'Number', StringValue: String(details.attempts) },
      [attributeNames.deadLetteredAt]: text((details.at ?? new Date()).toISOString()),
      [attributeNames.function]: text(details.fn),
    },
  };
}

/** A dead letter as it goes back to its function's queue: the event as first published. */
export function toReplayedMessage(message: Message): OutgoingSqsMessage {
  return { body: message.Body ?? '', attributes: withoutDeadLetterAttributes(message.MessageAttributes ?? {}) };
}

function withoutDeadLetterAttributes(attributes: Attributes): Attributes {
  const kept: Attributes = {};
  for (const [key, value] of Object.entries(attributes)) {
    if (key === attributeNames.reason || key === attributeNames.attempts || key === attributeNames.deadLetteredAt || key === attributeNames.function) continue;
    kept[key] = {
      DataType: value.DataType,
      ...(value.StringValue !== undefined ? { StringValue: value.StringValue } : {}),
      ...(value.BinaryValue !== undefined ? { BinaryValue: value.BinaryValue } : {}),
    };
  }
  return kept;
}

/** Bytes SQS counts against its message size limit: body plus attribute names, types and values. */
export function sqsMessageSize(message: OutgoingSqsMessage): number {
  let size = Buffer.byteLength(message.body);
  for (const [name, value] of Object.entries(message.attributes)) {
    size += Buffer.byteLength(name) + Buffer.byteLength(value.DataType ?? '') + Buffer.byteLength(value.StringValue ?? '') + (value.BinaryValue?.length ?? 0);
  }
  return size;
}
