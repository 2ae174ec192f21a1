import { describe, expect, it } from 'vitest';
import { loadFunctions } from '@qfn/tooling/functions';
import { functionValues } from './function-values';
import { declaredValuesSchema } from './values-schema';

const schema = declaredValuesSchema();
const scaling = schema.scaling.properties!;

describe("the functions' part of values.schema.json", () => {
  it("takes its limits from the declaration schema: KEDA's whole seconds, the declared ranges", () => {
    expect(scaling['pollingInterval']).toMatchObject({ type: 'integer', minimum: 1 });
    expect(scaling['pollingInterval']).not.toHaveProperty('maximum');
    expect(scaling['cooldownPeriod']).toMatchObject({ type: 'integer', minimum: 0 });
    expect(scaling['targetQueueLength']).toMatchObject({ type: 'number', exclusiveMinimum: 0 });
    expect(schema.concurrency).toMatchObject({ type: 'integer', minimum: 1, maximum: 1000 });
    expect(scaling['rabbitmq']!.properties!['mode']).toEqual({ type: 'string', enum: ['QueueLength', 'MessageRate'] });
  });

  it('allows null where a declaration leaves an optional setting unset, as the generated values write it', () => {
    expect(scaling['idleReplicaCount']!['type']).toEqual(['integer', 'null']);
    expect(scaling['pausedReplicas']!['type']).toEqual(['integer', 'null']);
    expect(scaling['fallback']!['type']).toEqual(['object', 'null']);
  });

  it('requires what the templates need and leaves out what they default', () => {
    expect(schema.scaling.required).toEqual([
      'minReplicaCount',
      'maxReplicaCount',
      'targetQueueLength',
      'activationQueueLength',
      'pollingInterval',
      'cooldownPeriod',
      'scaleDownStabilizationWindowSeconds',
    ]);
    expect(scaling['fallback']!.required).toEqual(['failureThreshold', 'replicas']);
    expect(scaling['rabbitmq']!.required).toBeUndefined();
  });

  it('describes every scaling value the generated functions: block writes', async () => {
    for (const pkg of await loadFunctions()) {
      expect(Object.keys(scaling).sort()).toEqual(Object.keys(functionValues(pkg.declaration).scaling).sort());
    }
  });
});

it('describes each value with the comment it has in helm/values.yaml', () => {
  expect(scaling['pollingInterval']!['description']).toBe('Seconds between two looks at the queue.');
  expect(schema.poolSize['description']).toBe('Postgres connections one replica opens (DATABASE_POOL_SIZE); counted in database.maxConnections.');
});
