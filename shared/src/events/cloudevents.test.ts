import { describe, expect, it } from 'vitest';
import { encodeEnvelope } from '../messages/envelope';
import { decodeDelivery } from './cloudevents';

const data = { orderId: 'o-1', quantity: 2 };
const json = (value: unknown) => Buffer.from(JSON.stringify(value));

describe('decodeDelivery', () => {
  it("reads the project's own envelope", () => {
    const envelope = { id: 'e1', type: 'order.placed', time: '2026-12-01T10:00:00.000Z', data };
    expect(decodeDelivery(encodeEnvelope(envelope), {})).toEqual(envelope);
  });

  it('reads an AMQP binary-mode CloudEvent: cloudEvents:-prefixed properties, the data as the body', () => {
    const headers = {
      'cloudEvents:specversion': '1.0',
      'cloudEvents:id': 'ce-1',
      'cloudEvents:source': '/billing',
      'cloudEvents:type': 'order.placed',
      'cloudEvents:time': '2026-12-01T10:00:00Z',
      traceparent: 'x',
    };
    expect(decodeDelivery(json(data), headers)).toEqual({ id: 'ce-1', type: 'order.placed', time: '2026-12-01T10:00:00Z', data });
  });

  it('reads ce- prefixed SQS attributes, and gives an event without time the time it arrived', () => {
    const event = decodeDelivery(json(data), { 'ce-specversion': '1.0', 'ce-id': 'ce-2', 'ce-source': 'arn:aws:lambda:x', 'ce-type': 'order.placed' });
    expect(event).toMatchObject({ id: 'ce-2', type: 'order.placed', data });
    expect(Date.now() - Date.parse(event.time)).toBeLessThan(5_000);
  });

  it('reads a structured-mode CloudEvent (application/cloudevents+json)', () => {
    const body = json({ specversion: '1.0', id: 'ce-3', source: '/billing', type: 'order.placed', datacontenttype: 'application/json', data });
    expect(decodeDelivery(body, {})).toMatchObject({ id: 'ce-3', type: 'order.placed', data });
  });

  it.each([
    ['a missing source', { 'cloudEvents:specversion': '1.0', 'cloudEvents:id': 'x', 'cloudEvents:type': 'order.placed' }, /source/],
    [
      'another spec version',
      { 'cloudEvents:specversion': '0.3', 'cloudEvents:id': 'x', 'cloudEvents:source': 's', 'cloudEvents:type': 'order.placed' },
      /specversion/,
    ],
    [
      'non-JSON data',
      {
        'cloudEvents:specversion': '1.0',
        'cloudEvents:id': 'x',
        'cloudEvents:source': 's',
        'cloudEvents:type': 'a.b',
        'cloudEvents:datacontenttype': 'text/plain',
      },
      /not JSON/,
    ],
  ])('refuses a binary CloudEvent with %s', (_what, headers, error) => {
    expect(() => decodeDelivery(json(data), headers)).toThrow(error);
  });

  it('refuses a structured CloudEvent without an id, and base64 data', () => {
    expect(() => decodeDelivery(json({ specversion: '1.0', source: 's', type: 'a.b', data }), {})).toThrow(/not a CloudEvent \(structured mode\)/);
    expect(() => decodeDelivery(json({ specversion: '1.0', id: 'i', source: 's', type: 'a.b', data_base64: 'AA==' }), {})).toThrow(/data_base64/);
  });
});
