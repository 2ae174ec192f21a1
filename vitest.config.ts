import { defineConfig } from 'vitest/config';

const allTests = [
  'shared/**/*.test.ts',
  'events/**/*.test.ts',
  'functions/**/*.test.ts',
  'test/**/*.test.ts',
  'local/**/*.test.ts',
  'scripts/**/*.test.ts',
  'tooling/**/*.test.ts',
];

/**
 * Tests that need no service: no Postgres, RabbitMQ, SQS emulator, Docker, Helm or child process of the
 * platform (PGlite in the test's own process and the in-memory broker are fine). They must pass with
 * every service stopped, in seconds: `npm run test:unit`. A test not listed here is an integration test,
 * so a new test that needs a service can never break the unit run; list it here once it needs none.
 * A function's own handler test (`functions/<fn>/src/function.test.ts`, as the scaffold writes it) is a unit test.
 */
export const unitTests = [
  'shared/src/testing/**/*.test.ts',
  'shared/src/admin/**/*.test.ts',
  'shared/src/config/**/*.test.ts',
  'shared/src/db/**/*.test.ts',
  'shared/src/events/**/*.test.ts',
  'shared/src/function/**/*.test.ts',
  'shared/src/messages/**/*.test.ts',
  'shared/src/telemetry/config.test.ts',
  'shared/src/queue/connection-monitor.test.ts',
  'shared/src/queue/delivery.test.ts',
  'shared/src/queue/names.test.ts',
  'shared/src/queue/rabbitmq/ack-batcher.test.ts',
  'shared/src/queue/rabbitmq/prefetch-lender.test.ts',
  'shared/src/queue/sqs/batcher.test.ts',
  'shared/src/queue/sqs/depth.test.ts',
  'shared/src/queue/sqs/names.test.ts',
  'shared/src/runtime/batch-collector.test.ts',
  'shared/src/runtime/cleanup.test.ts',
  'shared/src/runtime/database-wait.test.ts',
  'shared/src/runtime/in-flight.test.ts',
  'shared/src/runtime/failure-policy.test.ts',
  'shared/src/runtime/handler-signals.test.ts',
  'shared/src/runtime/health.test.ts',
  'shared/src/runtime/in-flight-report.test.ts',
  'shared/src/runtime/inbox.test.ts',
  'shared/src/runtime/stall.test.ts',
  'events/**/*.test.ts',
  'functions/*/src/function.test.ts',
  'functions/publish/src/config.test.ts',
  'functions/publish/src/credentials.test.ts',
  'functions/publish/src/publish-request.test.ts',
  'functions/publish/src/middleware/**/*.test.ts',
  'functions/publish/src/push-scaler/**/*.test.ts',
  'functions/run-job/src/**/*.test.ts',
  'local/autoscaler/**/*.test.ts',
  'local/config.test.ts',
  'local/status/format.test.ts',
  'local/supervisor/replica-set.test.ts',
  'scripts/event-catalog.test.ts',
  'scripts/function-queues.test.ts',
  'scripts/helm/values-schema.test.ts',
  'scripts/new-function.test.ts',
  'tooling/**/*.test.ts',
  'test/public-api.test.ts',
];

const excluded = ['**/node_modules/**', '**/dist/**'];

export default defineConfig({
  test: {
    exclude: excluded,
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    projects: [
      // globalSetup: the migrated PGlite copy the unit tests load, made once before they start (shared/src/testing/database.ts).
      // isolate: false: unit tests hold no module state between files, and re-importing the runtime for each of 54 files
      // was most of the run (48 s isolated against 20 s shared, on 2 cores).
      {
        extends: true,
        test: { name: 'unit', include: unitTests, isolate: false, globalSetup: ['shared/src/testing/vitest-setup.ts'] },
      },
      { extends: true, test: { name: 'integration', include: allTests, exclude: [...excluded, ...unitTests] } },
    ],
  },
});
