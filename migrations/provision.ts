/**
 * Creates every function's queues, retry queues, dead-letter queue and routes on the broker, idempotently
 * (`npm run provision`, and the Helm hook Job after the migrations). Queues must exist before the first
 * publish: with consumers scaled to zero, nobody else would create them.
 *
 * The specs come from QUEUE_SPECS (JSON, as the chart renders it from the declarations) or, in a
 * checkout, from the declarations themselves.
 */
import { z } from 'zod';
import { commonConfig, createBroker, describeError, loadConfig, queueSpecOf, type QueueSpec } from '@qfn/shared/platform';
import { commandLine } from '@qfn/tooling/command-line';

commandLine(
  `Usage: npm run provision

Creates every function's queues, retry queues, dead-letter queue and routes, idempotently.
Environment: the broker settings the functions read (BROKER, AMQP_URL, SQS_ENDPOINT, AWS_REGION, QUEUE_PREFIX);
QUEUE_SPECS (JSON) instead of the declarations in this checkout.`,
  {},
);

const queueSpecs = z.array(
  z.object({
    name: z.string().min(1),
    subscribes: z.array(z.string().min(1)).min(1),
    retry: z.object({ maxAttempts: z.number().int().min(1), initialDelayMs: z.number().min(0), multiplier: z.number().min(1), maxDelayMs: z.number().min(0) }),
    visibilityTimeoutSeconds: z.number().int().positive(),
  }),
);

const config = loadConfig(
  commonConfig.extend({
    QUEUE_SPECS: z
      .string()
      .transform((text, ctx) => {
        try {
          return JSON.parse(text) as unknown;
        } catch {
          ctx.addIssue({ code: 'custom', message: 'must be JSON' });
          return z.NEVER;
        }
      })
      .pipe(queueSpecs)
      .optional(),
  }),
);

async function specsFromCheckout(): Promise<QueueSpec[]> {
  const { loadFunctions } = await import('@qfn/tooling/functions');
  return (await loadFunctions()).map((fn) => queueSpecOf(fn.declaration));
}

const specs: QueueSpec[] = config.QUEUE_SPECS ?? (await specsFromCheckout());
const broker = await createBroker(config, 'provision');
try {
  await broker.connect();
  for (const spec of specs) {
    await broker.provision(spec);
    console.log(`provision: ${broker.kind} queues for ${spec.name} (${spec.subscribes.join(', ')}) are in place`);
  }
} catch (error) {
  console.error(`provision: FAILED: ${describeError(error)}`);
  process.exitCode = 1;
} finally {
  await broker.close();
}
