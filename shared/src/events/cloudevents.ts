import { z } from 'zod';
import { decodeEnvelope, type Envelope, EnvelopeError, envelopeSchema } from '../messages/envelope';

/**
 * Prefixes of CloudEvents attributes carried beside the data (binary mode): `cloudEvents:` is the AMQP
 * binding's, `cloudEvents_` its JMS-safe form; SQS attribute names cannot hold a colon, so there
 * `ce-` or `ce_` (as the HTTP and Kafka bindings spell it).
 */
const binaryPrefixes = ['cloudEvents:', 'cloudEvents_', 'ce-', 'ce_'];

/** The attributes the CloudEvents 1.0 specification requires, checked before the event's own schema. */
const cloudEventAttributes = z.object({
  specversion: z.literal('1.0', { error: 'specversion must be "1.0"' }),
  id: envelopeSchema.shape.id,
  source: z.string().min(1, 'source is required'),
  type: envelopeSchema.shape.type,
  time: envelopeSchema.shape.time.optional(),
  datacontenttype: z.string().optional(),
});

function binaryAttributes(headers: Readonly<Record<string, string>>): Record<string, string> | undefined {
  let found: Record<string, string> | undefined;
  for (const [key, value] of Object.entries(headers)) {
    const prefix = binaryPrefixes.find((p) => key.length > p.length && key.slice(0, p.length).toLowerCase() === p.toLowerCase());
    if (prefix) (found ??= {})[key.slice(prefix.length).toLowerCase()] = value;
  }
  return found && 'specversion' in found ? found : undefined;
}

function checked(attributes: Record<string, unknown>, mode: string): z.output<typeof cloudEventAttributes> {
  const result = cloudEventAttributes.safeParse(attributes);
  if (!result.success) throw new EnvelopeError(`not a CloudEvent (${mode} mode): ${z.prettifyError(result.error)}`);
  if (result.data.datacontenttype !== undefined && !/^application\/([\w.+-]+\+)?json(;|$)/i.test(result.data.datacontenttype)) {
    throw new EnvelopeError(`CloudEvent ${result.data.id}: datacontenttype ${result.data.datacontenttype} is not JSON; only JSON data is accepted`);
  }
  return result.data;
}

function parseJson(body: Buffer, what: string): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch (error) {
    throw new EnvelopeError(`${what} is not JSON: ${(error as Error).message}`);
  }
}

/**
 * The event a delivery carries, in any of the forms producers may use:
 * - the project's envelope, itself a structured-mode CloudEvent (what the publish function and relays send), or its
 *   older form `{id, type, time, data}`;
 * - a CloudEvent in binary mode: attributes in `cloudEvents:`-prefixed application properties (AMQP) or
 *   `ce-`-prefixed message attributes (SQS), the JSON data as the body;
 * - a CloudEvent in structured mode: the body is `application/cloudevents+json` (`specversion`, `id`, `source`, `type`, `data`).
 * A CloudEvent without `time` takes the time it was received. What cannot be read is an EnvelopeError (dead-lettered at once).
 */
export function decodeDelivery(body: Buffer, headers: Readonly<Record<string, string>>): Envelope {
  const binary = binaryAttributes(headers);
  if (binary) {
    const attributes = checked(binary, 'binary');
    const data = body.length === 0 ? null : parseJson(body, `CloudEvent ${attributes.id} data`);
    return { id: attributes.id, type: attributes.type, time: attributes.time ?? new Date().toISOString(), data };
  }
  // Cheap test first (the project's own envelope is a structured CloudEvent too, specversion first); the older
  // envelope without it (events written before the upgrade) still decodes below.
  if (body.includes('"specversion"')) {
    const parsed = parseJson(body, 'body');
    if (typeof parsed === 'object' && parsed !== null && 'specversion' in parsed) {
      const attributes = checked(parsed as Record<string, unknown>, 'structured');
      const event = parsed as { data?: unknown; data_base64?: unknown };
      if (event.data_base64 !== undefined) throw new EnvelopeError(`CloudEvent ${attributes.id}: data_base64 is not accepted; send JSON data`);
      return { id: attributes.id, type: attributes.type, time: attributes.time ?? new Date().toISOString(), data: event.data ?? null };
    }
  }
  return decodeEnvelope(body);
}
