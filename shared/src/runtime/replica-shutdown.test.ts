/** A replica's SIGTERM sequence on RabbitMQ + Postgres: every step runs even when one fails. */
import type { Server } from 'node:http';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { databaseUrl, createTestDatabase, type TestDatabase } from '../../../test/support/database';
import { uniqueName } from '../../../test/support/names';
import { rabbitmqHarness } from '../../../test/support/brokers';
import { createDatabase } from '../db/client';
import { defineFunction } from '../function/define';
import { createLogger } from '../log/index';
import { startFunctionRelay } from '../outbox/replica';
import { CleanupError } from './cleanup';
import { startHealthServer } from './health';
import { stopReplica } from './replica-shutdown';
import { FunctionWorker } from './worker';

describe('stopReplica (RabbitMQ + Postgres)', () => {
  const prefix = uniqueName('shutdown');
  let schema: TestDatabase;
  beforeAll(async () => {
    schema = await createTestDatabase(prefix, 2);
  });
  afterAll(async () => {
    await rabbitmqHarness.cleanup(prefix);
    await schema?.drop();
  });

  async function replica(name: string) {
    const lines: Record<string, unknown>[] = [];
    const log = createLogger({ name, destination: new Writable({ write: (chunk, _encoding, done) => (lines.push(JSON.parse(String(chunk))), done()) }) });
    const broker = rabbitmqHarness.create(prefix);
    await broker.connect();
    const database = createDatabase({ url: databaseUrl, schema: prefix, poolSize: 2 });
    const declaration = defineFunction({ name, subscribes: [`${name}.test`], schema: z.object({}), handler: async () => {} });
    const worker = new FunctionWorker({ declaration, broker, db: database.db, log });
    const relay = startFunctionRelay({ worker, db: database.db, broker, source: name, log });
    await worker.start();
    const health: Server = await startHealthServer(0, () => true);
    const telemetry = { shutDown: false, shutdown: async () => void (telemetry.shutDown = true) };
    return { lines, log, broker, database, worker, relay, health, telemetry };
  }

  it('drains, closes everything and logs "stopped"', async () => {
    const parts = await replica('clean');
    expect(await stopReplica(parts, { timeoutMs: 1_000 })).toEqual({ drained: true });
    expect(parts.health.listening).toBe(false);
    expect(parts.telemetry.shutDown).toBe(true);
    await expect(parts.database.sql`select 1`).rejects.toThrow();
    expect(parts.lines.find((line) => line['msg'] === 'stopped')).toMatchObject({ drained: true });
  });

  it('still closes the database, the health server and telemetry when broker.close() fails, then reports the failure', async () => {
    const parts = await replica('brokerfails');
    const failingBroker = {
      close: async () => {
        await parts.broker.close();
        throw new Error('connection reset while closing');
      },
    };
    const error = await stopReplica({ ...parts, broker: failingBroker }, { timeoutMs: 1_000 }).catch((thrown: unknown) => thrown);

    expect(error).toBeInstanceOf(CleanupError);
    expect((error as CleanupError).failures.map((failure) => failure.step)).toEqual(['broker.close']);
    expect((error as CleanupError).message).toBe('1 of 8 shutdown steps failed: broker.close (Error: connection reset while closing)');
    await expect(parts.database.sql`select 1`).rejects.toThrow();
    expect(parts.health.listening).toBe(false);
    expect(parts.telemetry.shutDown).toBe(true);
    expect(parts.lines.find((line) => line['msg'] === 'shutdown step failed; the next steps run still')).toMatchObject({
      step: 'broker.close',
      err: 'Error: connection reset while closing',
    });
  });
});
