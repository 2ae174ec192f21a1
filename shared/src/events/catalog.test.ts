import { describe, expect, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import { defineFunction } from '../function/define';
import { buildCatalog, compareCatalogs, describeChange } from './catalog';
import { defineEvent } from './define';
import { schemaFor } from './subscriptions';

const orderPlaced = defineEvent('order.placed', z.strictObject({ orderId: z.string(), quantity: z.int().min(1), note: z.string().optional() }));
const catalogOf = (...definitions: ReturnType<typeof defineEvent>[]) => buildCatalog(definitions, [{ name: 'ship-order', subscribes: ['order.*'] }]);
const breaking = (before: ReturnType<typeof defineEvent>, after: ReturnType<typeof defineEvent>) =>
  compareCatalogs(catalogOf(before), catalogOf(after))
    .filter((c) => c.breaking)
    .map(describeChange);

describe('defineEvent', () => {
  it('refuses a type that is not dot-separated lower-case words', () => {
    expect(() => defineEvent('OrderPlaced', z.object({}))).toThrow(/dot-separated/);
  });
});

describe('a function subscribed to event definitions', () => {
  const orderCancelled = defineEvent('order.cancelled', z.strictObject({ orderId: z.string(), reason: z.string() }));
  const fn = defineFunction({
    name: 'ship-order',
    subscribes: [orderPlaced, orderCancelled],
    handler: async (event) => {
      expectTypeOf(event).toEqualTypeOf<{ orderId: string; quantity: number; note?: string | undefined } | { orderId: string; reason: string }>();
    },
  });

  it('subscribes to their types and validates each event by its own type', () => {
    expect(fn.subscribes).toEqual(['order.placed', 'order.cancelled']);
    expect(schemaFor(fn, 'order.placed').safeParse({ orderId: 'a', quantity: 1 }).success).toBe(true);
    expect(schemaFor(fn, 'order.cancelled').safeParse({ orderId: 'a', quantity: 1 }).success).toBe(false);
    expect(schemaFor(fn, 'order.shipped').safeParse({}).success).toBe(false);
  });

  it('needs a schema for topic patterns beside them', () => {
    expect(() => defineFunction({ name: 'x', subscribes: [orderPlaced, 'order.#'] as never, handler: async () => {} })).toThrow(/declare a schema/);
  });
});

describe('the catalog', () => {
  it('lists each type as JSON Schema with its version and subscribers', () => {
    const catalog = catalogOf(orderPlaced);
    expect(catalog.events['order.placed']).toMatchObject({
      version: 1,
      subscribers: ['ship-order'],
      schema: { type: 'object', required: ['orderId', 'quantity'], additionalProperties: false },
    });
    expect(catalog.revision).toMatch(/^[0-9a-f]{16}$/);
  });

  it('names a required field added and a type changed as breaking', () => {
    const changed = defineEvent(
      'order.placed',
      z.strictObject({ orderId: z.int(), quantity: z.int().min(1), note: z.string().optional(), warehouse: z.string() }),
    );
    expect(breaking(orderPlaced, changed)).toEqual([
      'order.placed data.warehouse: required field added',
      'order.placed data.orderId: type changed from string to integer',
    ]);
  });

  it('names a removed field of a closed object, a tightened bound and a removed type', () => {
    const changed = defineEvent('order.placed', z.strictObject({ orderId: z.string(), quantity: z.int().min(2) }));
    expect(breaking(orderPlaced, changed)).toEqual([
      'order.placed data.quantity: minimum tightened from 1 to 2',
      'order.placed data.note: field removed (the object refuses unknown fields)',
    ]);
    expect(compareCatalogs(catalogOf(orderPlaced), catalogOf()).map(describeChange)).toEqual(['order.placed: event type removed']);
  });

  it('accepts an optional field, a field with a default and a widened type', () => {
    const changed = defineEvent(
      'order.placed',
      z.strictObject({
        orderId: z.string(),
        quantity: z.number().min(1),
        note: z.string().optional(),
        gift: z.boolean().default(false),
        tag: z.string().optional(),
      }),
    );
    expect(breaking(orderPlaced, changed)).toEqual([]);
  });

  it('accepts a breaking change announced by a raised version', () => {
    const v2 = defineEvent('order.placed', z.strictObject({ orderId: z.string(), quantity: z.int(), warehouse: z.string() }), { version: 2 });
    expect(breaking(orderPlaced, v2)).toEqual([]);
    expect(compareCatalogs(catalogOf(orderPlaced), catalogOf(v2)).map(describeChange)).toContain('order.placed data.warehouse: required field added');
  });
});
