import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { parseConfig } from '@qfn/shared';
import publish from './function';

const chartValues = parse(readFileSync(new URL('../../../helm/values.yaml', import.meta.url), 'utf8')) as {
  publish: { port: number; poolSize: number; shutdownGracePeriodSeconds: number; maxBodyBytes: number };
};

describe('the publish function declaration', () => {
  it('is an HTTP function that publishes any declared type, probed on /healthz and /readyz', () => {
    expect(publish).toMatchObject({ kind: 'http', name: 'publish', publishes: 'any', probes: { liveness: '/healthz', readiness: '/readyz' } });
  });

  it("agrees with the chart's defaults: port, pool, drain time and body limit", () => {
    const defaults = parseConfig(publish.config, {});
    expect({
      port: defaults.PORT,
      poolSize: publish.poolSize,
      shutdownGracePeriodSeconds: defaults.SHUTDOWN_GRACE_PERIOD_SECONDS ?? publish.shutdownGracePeriodSeconds,
      maxBodyBytes: defaults.MAX_BODY_BYTES,
    }).toEqual({
      port: chartValues.publish.port,
      poolSize: chartValues.publish.poolSize,
      shutdownGracePeriodSeconds: chartValues.publish.shutdownGracePeriodSeconds,
      maxBodyBytes: chartValues.publish.maxBodyBytes,
    });
    expect(publish.shutdownGracePeriodSeconds).toBe(defaults.SHUTDOWN_GRACE_PERIOD_SECONDS);
  });
});
