import { describe, expect, it } from 'vitest';
import { runScaleScenario } from './scenario';

describe('local mode on the embedded stack (SQS emulator + PGlite)', () => {
  it('scales 0 → N → 0 by KEDA rules, stores every message once, loses none when a replica stops mid-stream', async () => {
    const result = await runScaleScenario({ backend: 'embedded', messages: 2_000, workMs: 2, concurrency: 5, killOne: false });
    console.log(
      `[local e2e embedded] first publish → first processed ${result.firstPublishToFirstProcessedMs} ms; cold starts ${result.coldStartsMs.join(', ')} ms; ` +
        `scale events: ${result.decisions.map((d) => `${d.from}→${d.to}`).join(' ')}`,
    );

    expect(result.decisions[0]).toMatchObject({ from: 0, to: 1, by: 'keda' });
    expect(result.decisions[0]!.reason).toMatch(/ 0→1: depth \d+ > activation 0$/);
    expect(Math.max(...result.decisions.map((d) => d.to))).toBeGreaterThanOrEqual(2);
    expect(result.decisions.at(-1)).toMatchObject({ to: 0, by: 'keda' });

    expect(result.interrupted.map((i) => i.signal)).toEqual(['SIGTERM']);
    expect(result.accepted).toHaveLength(2_000);
    expect(result.missing).toEqual([]);
    expect(result.effects).toEqual({ rows: 2_000, distinct: 2_000 });
    expect(result.processesLeft).toBe(0);
  }, 90_000);
});
