import { spawnSync } from 'node:child_process';
import { rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { brokerConfigured, endpointsDir, findLocalRunner, liveRunners, publishEndpoints, withdrawEndpoints, type LocalEndpoints } from './endpoints';

// Ports no real runner of this machine uses (npm start refuses a port it cannot bind, so two runners never share one).
const port = 60_000 + Math.floor(Math.random() * 5_000);
const deadPort = port + 1;
const endpoints = (pid: number): LocalEndpoints => ({
  pid,
  startedAt: new Date().toISOString(),
  publishUrl: `http://127.0.0.1:${port}`,
  statusUrl: null,
  consoleUrl: null,
  adminToken: 'a'.repeat(48),
  env: { BROKER: 'sqs', SQS_ENDPOINT: 'http://127.0.0.1:4566', AWS_REGION: 'us-east-1', QUEUE_PREFIX: 'qfn' },
});

afterEach(() => {
  withdrawEndpoints(port);
});

describe('the local runner endpoints file', () => {
  it('is written for the publish port, readable by its owner only, and found by the tools', () => {
    const file = publishEndpoints(port, endpoints(process.pid));
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(findLocalRunner(port)).toMatchObject({ pid: process.pid, adminToken: 'a'.repeat(48), env: { SQS_ENDPOINT: 'http://127.0.0.1:4566' } });
    withdrawEndpoints(port);
    expect(findLocalRunner(port)?.pid).not.toBe(process.pid);
  });

  it('ignores a runner that is gone (killed without removing its file)', () => {
    const exited = spawnSync(process.execPath, ['-e', '0']).pid!;
    const file = join(endpointsDir, `endpoints-${deadPort}.json`);
    writeFileSync(file, JSON.stringify(endpoints(exited)));
    try {
      expect(liveRunners().map((runner) => runner.port)).not.toContain(deadPort);
    } finally {
      rmSync(file, { force: true });
    }
  });

  it("leaves another runner's file alone", () => {
    publishEndpoints(port, endpoints(process.ppid));
    withdrawEndpoints(port);
    expect(liveRunners().find((runner) => runner.port === port)?.endpoints.pid).toBe(process.ppid);
    publishEndpoints(port, endpoints(process.pid));
  });

  it('is not used when the environment names a broker', () => {
    expect(brokerConfigured({ AMQP_URL: 'amqp://x' })).toBe(true);
    expect(brokerConfigured({ BROKER: 'sqs', SQS_ENDPOINT: 'http://x' })).toBe(true);
    expect(brokerConfigured({ DATABASE_URL: 'postgres://x' })).toBe(false);
  });
});
