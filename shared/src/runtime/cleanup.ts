import { describeError } from './errors';

/** One step of a shutdown: closing one resource. */
export interface CleanupStep {
  /** Names the step in logs and in the aggregated error, e.g. `broker.close`. */
  name: string;
  run: () => unknown;
}

/** The steps that failed, each error in `errors` in the order of the steps. */
export class CleanupError extends AggregateError {
  override name = 'CleanupError';
  constructor(
    readonly failures: readonly { step: string; error: unknown }[],
    total: number,
  ) {
    super(
      failures.map((failure) => failure.error),
      `${failures.length} of ${total} shutdown steps failed: ${failures.map(({ step, error }) => `${step} (${describeError(error)})`).join('; ')}`,
    );
  }
}

/**
 * Runs every step in order, each one even when an earlier one failed (a broker that fails to close
 * must not keep the database pool, the health server or telemetry open); calls `onError` for each
 * failure as it happens, and throws a CleanupError naming all of them once every step ran.
 *
 * @example
 * await runCleanup([{ name: 'broker.close', run: () => broker.close() }, { name: 'database.close', run: () => db.close() }],
 *   (step, error) => log.error({ step, err: describeError(error) }, 'shutdown step failed'));
 */
export async function runCleanup(steps: readonly CleanupStep[], onError: (step: string, error: unknown) => void = () => {}): Promise<void> {
  const failures: { step: string; error: unknown }[] = [];
  for (const step of steps) {
    try {
      await step.run();
    } catch (error) {
      failures.push({ step: step.name, error });
      onError(step.name, error);
    }
  }
  if (failures.length > 0) throw new CleanupError(failures, steps.length);
}
