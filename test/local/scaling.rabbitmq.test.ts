import { describe, expect, it } from 'vitest';
import { runScaleScenario } from './scenario';

describe('local mode on RabbitMQ and Postgres', () => {
  it('scales 0 → N → 0 by KEDA rules, stores every message once, loses none when replicas stop mid-stream', async () => {
    const result = await runScaleScenario({ backend: 'rabbitmq-postgres', messages: 2_000, workMs: 10, concurrency: 5, killOne: true });
    console.log(
      `[local e2e rabbitmq] first publish → first processed ${result.firstPublishToFirstProcessedMs} ms; cold starts ${result.coldStartsMs.join(', ')} ms; ` +
        `scale events: ${result.decisions.map((d) => `${d.from}→${d.to}`).join(' ')}`,
    );

    expect(result.decisions[0]).toMatchObject({ from: 0, to: 1, by: 'keda' });
    expect(result.decisions[0]!.reason).toMatch(/ 0→1: depth \d+ > activation 0$/);
    expect(Math.max(...result.decisions.map((d) => d.to))).toBeGreaterThanOrEqual(2);
    expect(result.decisions.at(-1)).toMatchObject({ to: 0, by: 'keda' });
    expect(result.decisions.at(-1)!.reason).toMatch(/→0: depth 0 ≤ activation 0, inactive for [\d.]+ s > cooldownPeriod 3 s$/);

    expect(result.interrupted.map((i) => i.signal)).toEqual(['SIGTERM', 'SIGKILL']);
    expect(result.accepted).toHaveLength(2_000);
    expect(result.missing).toEqual([]);
    expect(result.effects).toEqual({ rows: 2_000, distinct: 2_000 });
    expect(result.processesLeft).toBe(0);
  }, 90_000);
});
