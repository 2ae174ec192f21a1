/**
 * @qfn/shared/testing: unit-test a function without RabbitMQ, SQS or Postgres — an in-memory broker,
 * a migrated PGlite database in this process, and `runOnce(fn, event)` through the real worker.
 */
export { InMemoryBroker, type Settled } from './in-memory-broker';
export { handlerContext } from '../outbox/handler-context';
export { createTestDatabase, findMigrationsFolder, prepareTestDatabase, type TestDatabase, type TestDatabaseOptions } from './database';
export {
  runOnce,
  sharedTestContext,
  testContext,
  type EmittedEvent,
  type LogRecord,
  type RunOnceOptions,
  type RunOutcome,
  type TestContext,
  type TestContextOptions,
  type TestEvent,
} from './context';
