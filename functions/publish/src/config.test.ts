import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '@qfn/shared';
import { publishConfig } from './config';

describe('publish configuration', () => {
  it('defaults the broker liveness and idempotency settings', () => {
    const config = parseConfig(publishConfig, {});
    expect(config).toMatchObject({
      BROKER_LIVENESS_TIMEOUT_SECONDS: 60,
      BROKER_CONNECT_TIMEOUT_SECONDS: 10,
      IDEMPOTENCY_LEASE_SECONDS: 30,
      IDEMPOTENCY_KEY_TTL_SECONDS: 86_400,
    });
    expect(config.PUSH_SCALER_PORT, 'the push scaler is off unless asked for').toBeUndefined();
  });

  it.each([
    [{ IDEMPOTENCY_LEASE_SECONDS: '5' }, 'IDEMPOTENCY_LEASE_SECONDS'],
    [{ IDEMPOTENCY_LEASE_SECONDS: '30', IDEMPOTENCY_KEY_TTL_SECONDS: '20' }, 'IDEMPOTENCY_KEY_TTL_SECONDS'],
    [{ BROKER_LIVENESS_TIMEOUT_SECONDS: '-1' }, 'BROKER_LIVENESS_TIMEOUT_SECONDS'],
    [{ BROKER_CONNECT_TIMEOUT_SECONDS: '0' }, 'BROKER_CONNECT_TIMEOUT_SECONDS'],
    [{ PUSH_SCALER_PORT: '70000' }, 'PUSH_SCALER_PORT'],
    [{ PUSH_SCALER_PORT: '9090', PUSH_SCALER_IDLE_SECONDS: '0' }, 'PUSH_SCALER_IDLE_SECONDS'],
  ])('names the variable of a bad setting: %j', (env, variable) => {
    try {
      parseConfig(publishConfig, env);
      expect.unreachable('accepted');
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).issues.map((i) => i.variable)).toEqual([variable]);
    }
  });
});
