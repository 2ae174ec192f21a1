import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { ReplicaSet, type BackoffPolicy, type ReplicaSetEvents } from './replica-set';

/** A stand-in for a function process: logs "consuming", then behaves as told on SIGTERM. */
function fakeFunction(behaviour: { onTerm: 'drain' | 'ignore'; crashAfterMs?: number; drainMs?: number }) {
  // The SIGTERM handler is in place before "consuming": a loaded machine must not let a stop land before it.
  const code = `
    process.on('SIGTERM', () => {
      ${behaviour.onTerm === 'drain' ? `console.log('draining'); setTimeout(() => process.exit(0), ${behaviour.drainMs ?? 50});` : `console.log('ignoring SIGTERM');`}
    });
    console.log(JSON.stringify({ level: 'info', msg: 'consuming', coldStartMs: Math.round(performance.now()) }));
    ${behaviour.crashAfterMs !== undefined ? `setTimeout(() => { console.error('boom'); process.exit(3); }, ${behaviour.crashAfterMs});` : ''}
    setInterval(() => {}, 1000);
  `;
  return { command: process.execPath, args: ['-e', code], env: process.env };
}

/** A stand-in that reports, over the IPC channel the runner opens, that it holds `inFlight` messages. */
function busyFunction(inFlight: number) {
  const code = `
    process.on('SIGTERM', () => process.exit(0));
    process.send({ type: 'qfn.in-flight', inFlight: ${inFlight} });
    console.log(JSON.stringify({ level: 'info', msg: 'consuming' }));
    setInterval(() => {}, 1000);
  `;
  return { command: process.execPath, args: ['-e', code], env: process.env, watchParent: true };
}

const sets: ReplicaSet[] = [];
function replicaSet(options: ConstructorParameters<typeof ReplicaSet>[0]): ReplicaSet {
  const set = new ReplicaSet(options);
  sets.push(set);
  return set;
}
/** Replicas that crash (exit 3) 30 ms after they start. */
const crashingSet = (backoff: BackoffPolicy) =>
  replicaSet({ name: 'fake', launch: fakeFunction({ onTerm: 'drain', crashAfterMs: 30 }), shutdownGracePeriodSeconds: 1, backoff });

afterEach(async () => {
  for (const set of sets.splice(0)) {
    set.kill();
    await set.stop();
  }
});

function collect<K extends keyof ReplicaSetEvents>(set: ReplicaSet, event: K): ReplicaSetEvents[K][0][] {
  const seen: ReplicaSetEvents[K][0][] = [];
  set.on(event, ((payload: ReplicaSetEvents[K][0]) => seen.push(payload)) as never);
  return seen;
}

async function until(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('ReplicaSet', () => {
  it('starts numbered processes, reports them ready, and prefixes their output with the replica', async () => {
    const set = replicaSet({ name: 'fake', launch: fakeFunction({ onTerm: 'drain' }), shutdownGracePeriodSeconds: 5 });
    const ready = collect(set, 'replica_ready');
    const output = collect(set, 'output');
    set.scale(3);
    await until(() => ready.length === 3);
    expect(ready.map((r) => r.index).sort()).toEqual([1, 2, 3]);
    expect(ready.every((r) => r.coldStartMs > 0 && r.reportedColdStartMs !== undefined)).toBe(true);
    expect(set.status()).toMatchObject({ desired: 3, ready: 3, starting: 0 });
    expect(
      output
        .filter((o) => o.line.includes('consuming'))
        .map((o) => o.index)
        .sort(),
    ).toEqual([1, 2, 3]);
  });

  it('scales down with SIGTERM, newest first, and waits for the drain', async () => {
    const set = replicaSet({ name: 'fake', launch: fakeFunction({ onTerm: 'drain', drainMs: 200 }), shutdownGracePeriodSeconds: 5 });
    const ready = collect(set, 'replica_ready');
    const stopped = collect(set, 'replica_stopped');
    set.scale(3);
    await until(() => ready.length === 3);
    set.scale(1);
    expect(set.status()).toMatchObject({ desired: 1, terminating: 2 });
    await until(() => stopped.length === 2);
    expect(stopped.map((s) => s.index).sort()).toEqual([2, 3]);
    for (const exit of stopped) {
      expect(exit).toMatchObject({ code: 0, requested: true, killed: false });
      expect(exit.drainMs).toBeGreaterThanOrEqual(150);
    }
    expect(set.status().replicas.map((r) => r.index)).toEqual([1]);
  });

  it('SIGKILLs a replica that does not exit within the grace period', async () => {
    const set = replicaSet({ name: 'fake', launch: fakeFunction({ onTerm: 'ignore' }), shutdownGracePeriodSeconds: 1 });
    const ready = collect(set, 'replica_ready');
    set.scale(1);
    await until(() => ready.length === 1);
    const [stopped] = (await Promise.all([once(set, 'replica_stopped'), set.stop()]))[0] as ReplicaSetEvents['replica_stopped'];
    expect(stopped).toMatchObject({ killed: true, signal: 'SIGKILL', requested: true });
    expect(stopped.drainMs).toBeGreaterThanOrEqual(1000);
  });

  it('restarts a crashing replica in its slot with a growing back-off', async () => {
    const set = crashingSet({ initialMs: 100, maxMs: 400, resetAfterMs: 60_000 });
    const crashes = collect(set, 'replica_crashed');
    set.scale(1);
    await until(() => crashes.length === 4);
    expect(crashes.map((c) => c.restartInMs)).toEqual([100, 200, 400, 400]);
    expect(crashes.every((c) => c.index === 1 && c.code === 3 && !c.requested)).toBe(true);
    expect(set.status().replicas).toHaveLength(1);
  });

  it('stops a replica waiting in back-off without starting it', async () => {
    const set = crashingSet({ initialMs: 5_000, maxMs: 5_000, resetAfterMs: 60_000 });
    const crashes = collect(set, 'replica_crashed');
    const started = collect(set, 'replica_started');
    set.scale(1);
    await until(() => crashes.length === 1);
    expect(set.status()).toMatchObject({ backoff: 1 });
    set.scale(0);
    expect(set.status().replicas).toEqual([]);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(started).toHaveLength(1);
  });

  it('scales in the replica with the least in-flight work first (the pod-deletion-cost rule), not the newest', async () => {
    const inFlight: Record<number, number> = { 1: 5, 2: 0, 3: 2 };
    const set = replicaSet({ name: 'fake', launch: (index) => busyFunction(inFlight[index] ?? 0), shutdownGracePeriodSeconds: 5 });
    const stopped = collect(set, 'replica_stopped');
    set.scale(3);
    await until(() => set.status().replicas.every((r) => r.phase === 'ready' && r.inFlight !== undefined) && set.status().replicas.length === 3);
    expect(set.status().replicas.map((r) => [r.index, r.inFlight])).toEqual([
      [1, 5],
      [2, 0],
      [3, 2],
    ]);
    set.scale(2);
    await until(() => stopped.length === 1);
    expect(stopped[0]!.index).toBe(2);
    set.scale(1);
    await until(() => stopped.length === 2);
    expect(stopped[1]!.index).toBe(3);
    expect(set.status().replicas.map((r) => r.index)).toEqual([1]);
  });
});
