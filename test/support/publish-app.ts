import pino from 'pino';
import type { BrokerWithAdmin, DatabaseHandle } from '@qfn/shared/platform';
import { createPublishApp, type PublishAppOptions } from '@qfn/publish';

/**
 * The publish function's app as the tests build it: one broker connection for publishing and for the
 * queue admin, a test database, a silent log and a 2 KiB body limit; `overrides` sets anything else.
 */
export function createTestPublishApp(broker: BrokerWithAdmin, database: Pick<DatabaseHandle, 'db' | 'ping'>, overrides: Partial<PublishAppOptions> = {}) {
  return createPublishApp({
    broker,
    queueAdmin: broker,
    db: database.db,
    pingDatabase: database.ping,
    log: pino({ level: 'silent' }),
    maxBodyBytes: 2048,
    ...overrides,
  });
}
