import { describe, expect, it } from 'vitest';
import { kedaDefaults, type ScalingPolicy } from '@qfn/shared/platform';
import { decideScale, initialScalerState, type ScaleDecision, type ScalerState } from './decide';
import { hpaDefaults, type HpaSettings } from './hpa';

/** A recorded queue-length trace: [second, depth] points, the depth holding until the next point. */
type Trace = [atSeconds: number, depth: number][];

const policyOf = (overrides: Partial<ScalingPolicy>): ScalingPolicy => ({ ...kedaDefaults, ...overrides });
const fastHpa: HpaSettings = { ...hpaDefaults, syncPeriodSeconds: 1 };

/** Drives the scaler the way the runner's loop does, on a fake clock: each look happens at the step's nextAt. */
function replay(policy: ScalingPolicy, trace: Trace, untilSeconds: number, options: { hpa?: HpaSettings; state?: ScalerState } = {}) {
  let state = options.state ?? initialScalerState(policy);
  const decisions: ScaleDecision[] = [];
  let now = 0;
  while (now <= untilSeconds * 1000) {
    const depth = trace.filter(([at]) => at * 1000 <= now).at(-1)?.[1] ?? 0;
    const step = decideScale({ name: 'fn', policy, ...(options.hpa ? { hpa: options.hpa } : {}), state, reading: { depth }, now });
    decisions.push(step.decision);
    state = step.state;
    now = step.nextAt;
  }
  const changes = decisions.filter((d) => d.from !== d.to);
  /** Replica count in effect at a second. */
  const replicasAt = (second: number) => decisions.filter((d) => d.at <= second * 1000).at(-1)?.to ?? policy.minReplicaCount;
  return { decisions, changes, replicasAt, state };
}

describe('KEDA activation (0 ↔ 1)', () => {
  it('stays at zero while the depth equals the activation value, and activates once it is strictly greater', () => {
    const policy = policyOf({ activationQueueLength: 10, pollingInterval: 1 });
    const run = replay(
      policy,
      [
        [0, 10],
        [5, 11],
      ],
      8,
      { hpa: fastHpa },
    );
    expect(run.replicasAt(4.9)).toBe(0);
    const first = run.changes[0]!;
    expect(first).toMatchObject({ at: 5000, from: 0, to: 1, by: 'keda', depth: 11, active: true });
    expect(first.reason).toBe('fn 0→1: depth 11 > activation 10');
  });

  it('goes from 0 to max(minReplicaCount, 1) on activation', () => {
    const policy = policyOf({ pollingInterval: 1, minReplicaCount: 0 });
    const step = decideScale({ name: 'store-message', policy, state: initialScalerState(policy), reading: { depth: 37 }, now: 0 });
    expect(step.decision).toMatchObject({ from: 0, to: 1, reason: 'store-message 0→1: depth 37 > activation 0' });
  });

  it('polls every pollingInterval while at zero', () => {
    const run = replay(policyOf({ pollingInterval: 30 }), [[0, 0]], 120);
    expect(run.decisions.map((d) => d.at / 1000)).toEqual([0, 30, 60, 90, 120]);
    expect(run.changes).toEqual([]);
  });
});

describe('cooldownPeriod', () => {
  const policy = policyOf({ pollingInterval: 1, cooldownPeriod: 10, targetQueueLength: 100, maxReplicaCount: 10, scaleDownStabilizationWindowSeconds: 0 });

  it('applies only to the step to zero: the HPA scales down to 1 at once, KEDA goes to 0 after the cooldown', () => {
    // Busy for 5 s, then empty.
    const run = replay(
      policy,
      [
        [0, 1000],
        [5, 0],
      ],
      30,
      { hpa: fastHpa },
    );
    expect(run.replicasAt(4)).toBeGreaterThanOrEqual(5);
    const downToOne = run.changes.find((d) => d.to === 1 && d.from > 1)!;
    expect(downToOne).toMatchObject({ at: 5000, by: 'hpa' });
    const toZero = run.changes.find((d) => d.to === 0)!;
    // Last active at 4 s; KEDA scales to 0 at the first poll strictly after 4 + 10 s.
    expect(toZero).toMatchObject({ at: 15_000, from: 1, by: 'keda' });
    expect(toZero.reason).toBe('fn 1→0: depth 0 ≤ activation 0, inactive for 11 s > cooldownPeriod 10 s');
    expect(run.replicasAt(14.9)).toBe(1);
  });

  it('restarts when the queue becomes active again during the cooldown', () => {
    const run = replay(
      policy,
      [
        [0, 50],
        [2, 0],
        [8, 50],
        [9, 0],
      ],
      40,
      { hpa: fastHpa },
    );
    const toZero = run.changes.find((d) => d.to === 0)!;
    expect(toZero.at).toBe(19_000); // last active at 8 s
  });

  it('does not delay scaling up from zero', () => {
    const run = replay(
      policyOf({ pollingInterval: 1, cooldownPeriod: 300 }),
      [
        [0, 0],
        [3, 1],
      ],
      5,
      { hpa: fastHpa },
    );
    expect(run.changes[0]).toMatchObject({ at: 3000, from: 0, to: 1 });
  });
});

describe('HPA between 1 and maxReplicaCount', () => {
  const policy = policyOf({ pollingInterval: 1, targetQueueLength: 10, maxReplicaCount: 20, scaleDownStabilizationWindowSeconds: 0 });
  const at = (replicas: number): ScalerState => ({ ...initialScalerState(policy), replicas, lastActiveAt: 0, lastPollAt: 0, lastHpaSyncAt: 0 });
  const sync = (replicas: number, depth: number) =>
    decideScale({ name: 'fn', policy, hpa: fastHpa, state: at(replicas), reading: { depth }, now: 1000 }).decision;

  it('holds within the 10 % tolerance of the current ratio and moves just outside it', () => {
    expect(sync(10, 109)).toMatchObject({ to: 10, by: 'none', reason: 'fn 10: depth 109 is within 10 % of 10 × target 10' });
    expect(sync(10, 90).to).toBe(10);
    // |1 − 1.1| is 0.10000000000000009 in float64, in Go as here: exactly +10 % already moves, as in Kubernetes.
    expect(sync(10, 110).to).toBe(11);
    expect(sync(10, 111)).toMatchObject({ to: 12, by: 'hpa', reason: 'fn 10→12: depth 111, target 10 per replica → 12' });
    expect(sync(10, 89)).toMatchObject({ to: 9, by: 'hpa' });
  });

  it('clamps to maxReplicaCount', () => {
    expect(sync(16, 1000)).toMatchObject({ to: 20, reason: 'fn 16→20: depth 1000, target 10 per replica → 100, capped at maxReplicaCount 20' });
  });

  it('scales up at most max(+4, ×2) per 15 s', () => {
    const run = replay(policyOf({ pollingInterval: 1, targetQueueLength: 10, maxReplicaCount: 100 }), [[0, 10_000]], 50, {
      hpa: { ...hpaDefaults, syncPeriodSeconds: 5 },
    });
    const ups = run.changes.map((d) => [d.at / 1000, d.to]);
    // 0→1 by KEDA at 0 s; HPA first looks at 1 s: 1→5 (+4); 16 s: 10 (×2); 31 s: 20; 46 s: 40.
    expect(ups).toEqual([
      [0, 1],
      [1, 5],
      [16, 10],
      [31, 20],
      [46, 40],
    ]);
    expect(run.changes[1]!.reason).toBe('fn 1→5: depth 10000, target 10 per replica → 1000, limited to 5 by the scale-up rate max(+4, ×2) per 15 s');
  });

  it('syncs on its own 15 s period while KEDA polls more often', () => {
    const run = replay(policyOf({ pollingInterval: 5, targetQueueLength: 10 }), [[0, 30]], 40);
    const hpaLooks = run.decisions.filter((d) => d.inputs.hpa).map((d) => d.at / 1000);
    expect(hpaLooks).toEqual([5, 20, 35]);
    expect(run.replicasAt(5)).toBe(3);
  });
});

describe('scale-down stabilisation window', () => {
  const policy = policyOf({ pollingInterval: 1, targetQueueLength: 10, maxReplicaCount: 20, scaleDownStabilizationWindowSeconds: 30 });

  it('scales down to the highest recommendation of the window, step by step as old ones expire', () => {
    // 100 → wants 10 (reached at 16 s, the scale-up rate allowing); at 20 s 50 → wants 5; at 30 s 10 → wants 1.
    const run = replay(
      policy,
      [
        [0, 100],
        [20, 50],
        [30, 10],
      ],
      90,
      { hpa: fastHpa },
    );
    expect(run.replicasAt(19)).toBe(10);
    // The last recommendation of 10 was made at 19 s; the window is (now − 30 s, now], so it leaves at 49 s.
    expect(run.replicasAt(48)).toBe(10);
    expect(run.replicasAt(49)).toBe(5);
    // The last 5 was recommended at 29 s.
    expect(run.replicasAt(58)).toBe(5);
    expect(run.replicasAt(59)).toBe(1);
    const held = run.decisions.find((d) => d.at === 35_000)!;
    expect(held.reason).toBe('fn 10: depth 10, target 10 per replica → 1, held at 10 by the highest recommendation of the last 30 s (10)');
  });

  it('never delays a scale-up', () => {
    const run = replay(
      policy,
      [
        [0, 20],
        [5, 50],
      ],
      7,
      { hpa: fastHpa },
    );
    expect(run.changes.find((d) => d.at === 5000)).toMatchObject({ from: 2, to: 5 });
  });
});

describe('minReplicaCount ≥ 1', () => {
  const policy = policyOf({
    minReplicaCount: 1,
    activationQueueLength: 100,
    pollingInterval: 1,
    cooldownPeriod: 5,
    targetQueueLength: 10,
    scaleDownStabilizationWindowSeconds: 0,
  });

  it('starts at min, scales on depth below the activation value, and never goes to zero', () => {
    const run = replay(
      policy,
      [
        [0, 0],
        [2, 50],
        [6, 0],
      ],
      60,
      { hpa: fastHpa },
    );
    expect(run.replicasAt(0)).toBe(1);
    expect(run.changes[0]).toMatchObject({ at: 2000, from: 1, to: 5, by: 'hpa', active: false });
    expect(run.replicasAt(6)).toBe(1);
    expect(run.decisions.every((d) => d.to >= 1)).toBe(true);
  });

  it('activates from zero to minReplicaCount', () => {
    const min3 = policyOf({ minReplicaCount: 3, pollingInterval: 1 });
    const step = decideScale({ name: 'fn', policy: min3, state: { ...initialScalerState(min3), replicas: 0 }, reading: { depth: 1 }, now: 0 });
    expect(step.decision).toMatchObject({ to: 3, reason: 'fn 0→3: depth 1 > activation 0 (minReplicaCount 3)' });
  });
});

describe('unreadable queue', () => {
  it('holds the replica count and says why', () => {
    const policy = policyOf({ pollingInterval: 1 });
    const state = { ...initialScalerState(policy), replicas: 2, lastActiveAt: 0 };
    const step = decideScale({ name: 'fn', policy, state, reading: { error: 'connection refused' }, now: 400_000 });
    expect(step.decision).toMatchObject({ from: 2, to: 2, by: 'none', reason: 'fn 2: holding, queue length unavailable (connection refused)' });
  });
});
