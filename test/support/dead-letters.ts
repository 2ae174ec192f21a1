import pino from 'pino';
import { type BrokerWithAdmin, encodeEnvelope, FunctionWorker, queueSpecOf, type WorkerOptions } from '@qfn/shared/platform';
import { waitFor } from './wait';

export interface DeadLetterSeed {
  declaration: WorkerOptions['declaration'];
  broker: BrokerWithAdmin;
  db: WorkerOptions['db'];
  /** One message.published event of each id, carrying `data`, which the function must dead-letter. */
  ids: readonly string[];
  data: unknown;
}

/** Starts the function's worker and publishes events it dead-letters; resolves with the running worker once they are all dead letters. */
export async function seedDeadLetters({ declaration, broker, db, ids, data }: DeadLetterSeed): Promise<FunctionWorker> {
  const worker = new FunctionWorker({ declaration, broker, db, log: pino({ level: 'silent' }) });
  await worker.start();
  for (const id of ids) {
    await broker.publish({ id, type: 'message.published', body: encodeEnvelope({ id, type: 'message.published', time: new Date().toISOString(), data }) });
  }
  await waitFor(`${ids.length} dead letters`, async () => (await broker.listDeadLetters(queueSpecOf(declaration), 10)).length === ids.length);
  return worker;
}
