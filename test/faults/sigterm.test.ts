/**
 * Fault 6: SIGTERM under load, what KEDA's scale-down does to a replica. In-flight messages finish
 * (or, when they cannot within the grace period, go back to the queue) and the process exits within
 * its grace period; the replica that takes over processes the rest, nothing twice.
 */
import { describe, expect, it } from 'vitest';
import { brokerHarnesses } from '../support/brokers';
import { waitFor } from '../support/wait';
import { expectDrainedExactlyOnce, faultScenario, publishEvents, report, terminate } from './support';

describe.each(brokerHarnesses)('SIGTERM under load on $kind', (harness) => {
  const setUp = faultScenario(harness);

  it('finishes in-flight messages and exits within the grace period', async () => {
    const fn = 'drained';
    const { world, spec } = await setUp('sigterm', fn);
    const messages = 1_000;
    const graceSeconds = 5;
    const ids = await publishEvents(world.broker, messages);
    const env = { FIXTURE_WORK_MS: '50', SHUTDOWN_GRACE_PERIOD_SECONDS: String(graceSeconds) };

    const first = world.start(fn, env);
    await waitFor('some progress', async () => (await world.effectCount(fn)) >= 100, 30_000, 20);
    const { code, exitMs } = await terminate(first);
    expect(code).toBe(0);
    expect(exitMs).toBeLessThan(graceSeconds * 1000);
    const draining = first.logs.find((l) => l['msg'] === 'draining')!;
    expect(first.logs.find((l) => l['msg'] === 'stopped')).toMatchObject({ drained: true });
    const afterFirst = await world.effectCount(fn);
    expect(afterFirst).toBeLessThan(messages);

    const second = world.start(fn, env);
    await expectDrainedExactlyOnce(world, fn, spec, ids);
    expect((await terminate(second)).code).toBe(0);
    report(`sigterm-drain/${harness.kind}`, { messages, graceSeconds, inFlightAtSignal: draining['inFlight'], exitMs, doneByFirst: afterFirst });
  }, 120_000);

  it('hands back messages that cannot finish in time and still exits within the grace period', async () => {
    const fn = 'too-slow';
    const { world, spec } = await setUp('sigtermslow', fn);
    const messages = 40;
    const graceSeconds = 1;
    const ids = await publishEvents(world.broker, messages);

    // Each handler needs 12 s inside its transaction: none can finish within a 1 s grace period, and a replica
    // that waited for them would miss the bound below by far.
    const handlerMs = 12_000;
    const first = world.start(fn, { FIXTURE_WORK_MS: String(handlerMs), SHUTDOWN_GRACE_PERIOD_SECONDS: String(graceSeconds) });
    await first.waitForLog('consuming', 30_000);
    await new Promise((resolve) => setTimeout(resolve, 500));
    const { code, exitMs } = await terminate(first);
    expect(code).toBe(0);
    expect(first.logs.find((l) => l['msg'] === 'stopped')).toMatchObject({ drained: false });
    // Well before the handlers could end, and inside the pod's terminationGracePeriodSeconds (grace + the chart's
    // drainMarginSeconds, 10 s by default); the slack is for a loaded 2-core machine (2.3 s seen with 1 s of slack).
    expect(exitMs).toBeLessThan(graceSeconds * 1000 + 5_000);
    expect(exitMs).toBeLessThan(handlerMs / 2);
    const inFlight = Number(first.logs.find((l) => l['msg'] === 'draining')!['inFlight']);
    expect(inFlight).toBeGreaterThan(0);
    expect(await world.effectCount(fn)).toBe(0);

    const second = world.start(fn, { FIXTURE_WORK_MS: '0' });
    await expectDrainedExactlyOnce(world, fn, spec, ids);
    expect((await terminate(second)).code).toBe(0);
    report(`sigterm-handback/${harness.kind}`, { messages, graceSeconds, inFlightAtSignal: inFlight, exitMs });
  }, 120_000);
});
