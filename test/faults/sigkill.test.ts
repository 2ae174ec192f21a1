/**
 * Fault 1: a consumer process SIGKILLed five times at random moments while it works through 5,000
 * messages, restarted each time as a ReplicaSet would. Nothing may be lost or processed twice.
 */
import { describe, expect, it } from 'vitest';
import { setTimeout as sleep } from 'node:timers/promises';
import { brokerHarnesses } from '../support/brokers';
import { waitFor } from '../support/wait';
import type { FunctionProcess } from '../support/process';
import { deadLetters, expectExactlyOnce, faultScenario, freePort, isReady, publishEvents, report, terminate, waitForEmptyQueue } from './support';

const messages = 5_000;
const kills = 5;

describe.each(brokerHarnesses)('SIGKILL during processing on $kind', (harness) => {
  const setUp = faultScenario(harness);

  it(`processes ${messages} messages exactly once across ${kills} SIGKILLs`, async () => {
    const fn = 'killed';
    const { world, spec } = await setUp('sigkill', fn);
    const started = performance.now();
    const ids = await publishEvents(world.broker, messages);

    // Kill points: five random progress marks between 5 % and 90 % of the work.
    const marks = Array.from({ length: kills }, () => Math.floor(messages * (0.05 + Math.random() * 0.85))).sort((a, b) => a - b);
    const healthPort = await freePort();
    const env = { HEALTH_PORT: String(healthPort), LOG_LEVEL: 'debug' };
    const generations: FunctionProcess[] = [];
    let current = world.start(fn, env);
    generations.push(current);
    const killedAt: number[] = [];
    for (const mark of marks) {
      await waitFor(`${mark} effects`, async () => (await world.effectCount(fn)) >= mark, 60_000, 20);
      await sleep(Math.random() * 200);
      current.child.kill('SIGKILL');
      expect(await current.exited).toBeNull();
      killedAt.push(await world.effectCount(fn));
      current = world.start(fn, env);
      generations.push(current);
    }
    await waitFor('every message', async () => (await world.effectCount(fn)) >= messages, 90_000, 100);
    const processedMs = Math.round(performance.now() - started);

    await waitForEmptyQueue(world.broker, spec);
    expect(await deadLetters(world.broker, spec)).toEqual([]);
    await expectExactlyOnce(world, fn, ids);
    await waitFor('the last replica to be ready', () => isReady(healthPort), 10_000);
    const duplicatesAbsorbed = generations.flatMap((g) => g.logs).filter((l) => l['msg'] === 'message processed' && l['duplicate'] === true).length;
    const { code, exitMs } = await terminate(current);
    expect(code).toBe(0);
    report(`sigkill/${harness.kind}`, { messages, kills, killedAtEffects: killedAt, duplicatesAbsorbed, processedMs, lastExitMs: exitMs });
  }, 180_000);
});
