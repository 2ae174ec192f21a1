import { describe, expect, it } from 'vitest';
import { decodeDelivery } from '../events/cloudevents';
import { decodeEnvelope, encodeEnvelope, uuidv7 } from './envelope';

const valid = { ts: '19941114', sender: 'haimeng', messageAttributes: { a: 'b' }, sent_from_ip: '0.0.0.0', priority: 1 };

describe('envelope', () => {
  it('round-trips', () => {
    const envelope = { id: uuidv7(), type: 'message.published', time: new Date().toISOString(), data: valid };
    expect(decodeEnvelope(encodeEnvelope(envelope))).toEqual(envelope);
  });

  it('is a structured-mode CloudEvent 1.0 (JSON event format), source naming the producer', () => {
    const envelope = { id: uuidv7(), type: 'job.completed', time: new Date().toISOString(), data: valid, source: '/qfn/functions/run-job' };
    const event = JSON.parse(encodeEnvelope(envelope).toString('utf8')) as Record<string, unknown>;
    expect(event).toEqual({
      specversion: '1.0',
      id: envelope.id,
      source: '/qfn/functions/run-job',
      type: 'job.completed',
      time: envelope.time,
      datacontenttype: 'application/json',
      data: valid,
    });
    expect(Object.keys(event)[0]).toBe('specversion');
    expect(JSON.parse(encodeEnvelope({ ...envelope, source: undefined }).toString('utf8'))).toMatchObject({ source: '/qfn/publish' });
    // What consumers receive: the same event, by the CloudEvents path and by the envelope's own.
    const { source: _source, ...received } = envelope;
    expect(decodeDelivery(encodeEnvelope(envelope), {})).toEqual(received);
    expect(decodeEnvelope(encodeEnvelope(envelope))).toEqual(received);
  });

  it('still reads the envelope written before it was a CloudEvent (events in queues during an upgrade)', () => {
    const older = { id: uuidv7(), type: 'message.published', time: new Date().toISOString(), data: valid };
    expect(decodeDelivery(Buffer.from(JSON.stringify(older)), {})).toEqual(older);
  });

  it('makes time-ordered version-7 ids', () => {
    const a = uuidv7(1_000);
    const b = uuidv7(2_000);
    expect(a < b).toBe(true);
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('says why a body is not an envelope', () => {
    expect(() => decodeEnvelope('nope')).toThrowError(/not JSON/);
    expect(() => decodeEnvelope('{"id":1}')).toThrowError(/not an event envelope/);
  });
});

describe('uuidv7 ids', () => {
  it('are distinct across many draws from the random pool', () => {
    const ids = new Set(Array.from({ length: 5_000 }, () => uuidv7(1_700_000_000_000)));
    expect(ids.size).toBe(5_000);
  });
});

describe('decodeEnvelope', () => {
  const envelope = { id: uuidv7(), type: 'message.published', time: new Date().toISOString(), data: {} };

  it('accepts what the publish function writes', () => {
    expect(decodeEnvelope(encodeEnvelope(envelope))).toEqual(envelope);
    expect(decodeEnvelope(encodeEnvelope({ ...envelope, time: '2024-02-29T10:00:00+02:00' })).time).toBe('2024-02-29T10:00:00+02:00');
  });

  it.each([
    ['a time that is not a date-time', { time: 'yesterday' }],
    ['a bare date', { time: '2024-02-29' }],
    ['an impossible date', { time: '2023-02-30T00:00:00Z' }],
    ['U+0000 in the id', { id: 'abc\u0000def' }],
    ['a control character in the type', { type: 'message\npublished' }],
  ])('rejects %s', (_what, change) => {
    expect(() => decodeEnvelope(encodeEnvelope({ ...envelope, ...change }))).toThrow(/not an event envelope/);
  });
});
