import { loadFunctions } from '@qfn/tooling/functions';
import type { FunctionBundle } from './bundles';
import { createBenchEnvironment } from './environment';
import type { BenchContext, FigureLine } from './figure';

/** One consumer function to measure: its declared name, its bundle as the images ship it. */
export interface ConsumerTarget {
  name: string;
  bundle: FunctionBundle;
  /** Environment of a replica in the bench environment (broker, database, queue prefix). */
  env: Record<string, string>;
}

/**
 * One figure line per consumer function, measured by `measure` one function after another, in a bench environment
 * (`label`) where every function's queue is provisioned; the environment is cleaned up afterwards.
 */
export async function measureEachConsumer(
  context: BenchContext,
  label: string,
  measure: (target: ConsumerTarget) => Promise<FigureLine>,
): Promise<FigureLine[]> {
  const functions = await loadFunctions();
  const bundles = await context.bundles();
  const environment = await createBenchEnvironment(label);
  const lines: FigureLine[] = [];
  try {
    await environment.provision(...functions.map((fn) => fn.declaration));
    for (const { declaration } of functions) {
      const { name } = declaration;
      lines.push(await measure({ name, bundle: bundles.get(name)!, env: environment.env }));
    }
  } finally {
    await environment.cleanUp();
  }
  return lines;
}
