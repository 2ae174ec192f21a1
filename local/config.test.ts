import { describe, expect, it } from 'vitest';
import { messageEvent } from '@qfn/events';
import { ConfigError, defineFunction, parseConfig } from '@qfn/shared';
import { localConfig } from './config';
import { localScalingPolicy } from './runner';

const declaration = defineFunction({
  name: 'fn',
  subscribes: ['message.published'],
  schema: messageEvent,
  scaling: { maxReplicaCount: 10, cooldownPeriod: 60 },
  handler: async () => {},
});

describe('local configuration', () => {
  it('defaults to the embedded stack on the usual ports', () => {
    const config = parseConfig(localConfig, {});
    expect(config).toMatchObject({ PORT: 3000, LOCAL_STATUS_PORT: 3001, LOCAL_RUNTIME: 'bundle', LOCAL_HPA_SYNC_PERIOD_SECONDS: 15 });
    expect(config.AMQP_URL ?? config.DATABASE_URL ?? config.DATA_DIR).toBeUndefined();
  });

  it('names the variable of a bad LOCAL_SCALING', () => {
    const problem = (value: string) => {
      try {
        parseConfig(localConfig, { LOCAL_SCALING: value });
        return undefined;
      } catch (error) {
        return (error as ConfigError).issues[0];
      }
    };
    expect(problem('{nope')).toMatchObject({ variable: 'LOCAL_SCALING', problem: expect.stringMatching(/must be JSON/) });
    expect(problem('{"fn":{"coolDown":5}}')?.problem).toMatch(/coolDown/);
    expect(problem('{"fn":{"cooldownPeriod":"5"}}')?.problem).toMatch(/cooldownPeriod/);
  });

  it('applies "*" then the function’s own overrides, and checks the result like a declaration', () => {
    const overrides = parseConfig(localConfig, { LOCAL_SCALING: '{"*":{"cooldownPeriod":5,"pollingInterval":1},"fn":{"cooldownPeriod":2}}' }).LOCAL_SCALING;
    expect(localScalingPolicy(declaration, overrides)).toMatchObject({ cooldownPeriod: 2, pollingInterval: 1, maxReplicaCount: 10 });
    expect(localScalingPolicy(declaration, undefined)).toBe(declaration.scaling);
    expect(() => localScalingPolicy(declaration, { fn: { minReplicaCount: 11 } })).toThrow(/minReplicaCount must not exceed maxReplicaCount/);
    expect(() => localScalingPolicy(declaration, { '*': { pollingInterval: 0 } })).toThrow(/pollingInterval/);
  });

  it('takes nested scaling overrides (broker options, fallback), merged into the declaration’s', () => {
    const overrides = parseConfig(localConfig, {
      LOCAL_SCALING: '{"fn":{"rabbitmq":{"activationOverAmqp":false},"fallback":{"failureThreshold":2,"replicas":3}}}',
    }).LOCAL_SCALING;
    expect(localScalingPolicy(declaration, overrides)).toMatchObject({
      rabbitmq: { mode: 'QueueLength', excludeUnacknowledged: false, activationOverAmqp: false },
      fallback: { failureThreshold: 2, replicas: 3, behavior: 'static' },
    });
    expect(() => localScalingPolicy(declaration, { fn: { rabbitmq: { mode: 'Sometimes' as never } } })).toThrow(/rabbitmq.mode/);
  });
});
