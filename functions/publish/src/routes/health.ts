import { Hono } from 'hono';
import type { Broker } from '@qfn/shared/platform';

export interface HealthChecks {
  broker: Broker;
  pingDatabase: () => Promise<boolean>;
  isStopping: () => boolean;
  /** False once the broker connection has been down longer than BROKER_LIVENESS_TIMEOUT_SECONDS. */
  isAlive?: () => boolean;
}

/**
 * `/healthz`: the process is alive (its broker connection has not been down for too long).
 * `/readyz`: it can take publishes: the broker is connected and not blocked. The database is reported
 * but does not decide: publishing without an Idempotency-Key never touches it.
 */
export function healthRoutes(checks: HealthChecks) {
  const { broker, pingDatabase, isStopping, isAlive = () => true } = checks;
  return new Hono()
    .get('/healthz', (c) => (isAlive() ? c.json({ status: 'ok' }) : c.json({ status: 'unavailable', broker: false }, 503)))
    .get('/readyz', async (c) => {
      const brokerReady = broker.isReady();
      const databaseReady = await pingDatabase();
      const ready = brokerReady && !isStopping();
      return c.json({ status: ready ? 'ok' : 'unavailable', broker: brokerReady, database: databaseReady }, ready ? 200 : 503);
    });
}
