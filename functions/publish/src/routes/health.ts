import { Hono } from 'hono';
import type { Broker } from '@qfn/shared';

/** `/healthz`: the process runs. `/readyz`: the broker and the database answer. */
export function healthRoutes(broker: Broker, pingDatabase: () => Promise<boolean>, isStopping: () => boolean) {
  return new Hono()
    .get('/healthz', (c) => c.json({ status: 'ok' }))
    .get('/readyz', async (c) => {
      const brokerReady = broker.isReady();
      const databaseReady = await pingDatabase();
      const ready = brokerReady && databaseReady && !isStopping();
      return c.json({ status: ready ? 'ok' : 'unavailable', broker: brokerReady, database: databaseReady }, ready ? 200 : 503);
    });
}
