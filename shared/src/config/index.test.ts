import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { commonConfig, ConfigError, parseConfig, port } from './index';

describe('parseConfig', () => {
  it('applies defaults when variables are unset or empty', () => {
    const config = parseConfig(commonConfig, { LOG_LEVEL: '' });
    expect(config.LOG_LEVEL).toBe('info');
    expect(config.BROKER).toBe('rabbitmq');
    expect(config.DATABASE_POOL_SIZE).toBeUndefined();
  });

  it('names the variable and the problem of a bad value', () => {
    expect(() => parseConfig(commonConfig, { DATABASE_URL: 'mysql://x' })).toThrowError(/DATABASE_URL: must be a postgres or postgresql URL/);
    expect(() => parseConfig(z.object({ PORT: port(3000) }), { PORT: '70000' })).toThrowError(/PORT: /);
  });

  it('says a required variable is missing', () => {
    try {
      parseConfig(z.object({ API_TOKEN: z.string() }), {});
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).issues).toEqual([{ variable: 'API_TOKEN', problem: 'is required but not set' }]);
    }
  });

  it('says a number variable holding something else is not a number, not that it is unset', () => {
    try {
      parseConfig(z.object({ PORT: port(3000) }), { PORT: 'abc' });
      expect.unreachable();
    } catch (error) {
      expect((error as ConfigError).issues).toEqual([{ variable: 'PORT', problem: expect.stringMatching(/number/) }]);
    }
  });

  it('collects every bad variable at once', () => {
    expect(() => parseConfig(commonConfig, { BROKER: 'kafka', DATABASE_POOL_SIZE: '0' })).toThrowError(/BROKER: must be rabbitmq or sqs; DATABASE_POOL_SIZE: /);
  });
});
