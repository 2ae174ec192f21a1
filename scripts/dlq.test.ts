import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FunctionWorker, queueSpecOf, uuidv7 } from '@qfn/shared/platform';
import storeMessage from '@qfn/store-message';
import { brokerHarnesses } from '../test/support/brokers';
import { seedDeadLetters } from '../test/support/dead-letters';
import { useConsumingBroker } from '../test/support/consuming';
import { uniqueName } from '../test/support/names';
import { waitFor } from '../test/support/wait';

const run = promisify(execFile);
const cli = fileURLToPath(new URL('./dlq.ts', import.meta.url));
const tsxLoader = fileURLToPath(new URL('../node_modules/tsx/dist/loader.mjs', import.meta.url));

describe.each(brokerHarnesses)('npm run dlq on $kind', (harness) => {
  const prefix = uniqueName('dlqcli');
  const fixture = useConsumingBroker({ prefix, harness });
  let worker: FunctionWorker | undefined;
  const spec = queueSpecOf(storeMessage);
  const ids = [uuidv7(), uuidv7()];

  /** Runs the CLI as an operator would; resolves with its exit code and output, whatever the code. */
  const dlq = async (...args: string[]) => {
    try {
      const { stdout, stderr } = await run(process.execPath, ['--import', tsxLoader, cli, ...args], {
        env: { ...process.env, ...harness.env(prefix) },
        timeout: 60_000,
      });
      return { code: 0, stdout, stderr };
    } catch (error) {
      const failed = error as { code: number; stdout: string; stderr: string };
      return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
    }
  };

  beforeAll(async () => {
    // Invalid for store-message's schema: dead-lettered at once.
    const data = { ts: '19941114', sender: 'cli', messageAttributes: {}, sent_from_ip: '10.0.0.1', priority: 'urgent' };
    worker = await seedDeadLetters({ declaration: storeMessage, broker: fixture.broker, db: fixture.database.db, ids, data });
  }, 60_000);

  afterAll(async () => {
    await worker?.stop({ timeoutMs: 2_000 });
  });

  it('lists dead letters with reason and attempts', async () => {
    const { code, stdout } = await dlq('list', 'store-message');
    expect(code).toBe(0);
    expect(stdout).toContain('store-message: 2 dead letters');
    expect(stdout).toContain(ids[0]);
    expect(stdout).toMatch(/attempts=1 .*schema validation failed/);
    const json = JSON.parse((await dlq('list', 'store-message', '--json', '--limit', '1')).stdout) as { eventId: string }[];
    expect(json.map((v) => v.eventId)).toEqual([ids[0]]);
  });

  it('shows one message with its full body and reason', async () => {
    const { code, stdout } = await dlq('show', 'store-message', ids[1]!);
    expect(code).toBe(0);
    expect(stdout).toContain(`event id:          ${ids[1]}`);
    expect(stdout).toMatch(/reason:\nschema validation failed/);
    expect(stdout).toContain('"priority": "urgent"');
    expect((await dlq('show', 'store-message', uuidv7())).code).toBe(1);
  });

  it('explains usage mistakes with exit code 2', async () => {
    const unknown = await dlq('list', 'nope');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown function "nope"; known: .*store-message/);
    expect((await dlq('explode', 'store-message')).code).toBe(2);
    expect((await dlq('list', 'store-message', '--limit', '0')).code).toBe(2);
  }, 90_000);

  it('replays with ids kept, and purges only with --yes when nobody can confirm', async () => {
    const replay = await dlq('replay', 'store-message');
    expect(replay.code).toBe(0);
    expect(replay.stdout).toContain('replayed 2 messages');
    // Still invalid: the worker dead-letters them again, with the same ids.
    await waitFor('the replayed messages back', async () => {
      const letters = await fixture.broker.listDeadLetters(spec, 10);
      return letters.length === 2 && ids.every((id) => letters.some((l) => l.eventId === id));
    });

    const refused = await dlq('purge', 'store-message');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('refusing to purge without --yes');
    expect(await fixture.broker.listDeadLetters(spec, 10)).toHaveLength(2);

    const purged = await dlq('purge', 'store-message', '--yes');
    expect(purged.code).toBe(0);
    expect(purged.stdout).toContain('purged 2 dead letters');
    expect(await fixture.broker.listDeadLetters(spec, 10)).toHaveLength(0);
  }, 90_000);
});
