import type { FunctionBundle } from './bundles';

/** One comparable result: printed as `bench <name>: <value> <unit> (baseline <value> <unit>, ratio <r>)`. */
export interface FigureLine {
  name: string;
  value: number;
  unit: string;
  baseline: { value: number; unit: string; what: string };
  /** value / baseline. */
  ratio: number;
  goal?: { text: string; met: boolean };
  /** Extra facts for the table (runs, spread, failures). */
  note?: string;
}

export interface BenchContext {
  /** Timed runs per figure (median reported). */
  runs: number;
  /** Seconds per load run. */
  seconds: number;
  /** Bundles of every function as the images ship them (`npm run build`) and of the bare Hono baseline, built once per bench run. */
  bundles(): Promise<Map<string, FunctionBundle>>;
  progress(message: string): void;
  /** Scratch directory of this bench run (removed at the end). */
  outDir: string;
  /** Node options for the processes a figure measures: `--cpu-prof` into `profileDir` when BENCH_PROFILE=1. */
  profileArgs(label: string): string[];
  /** Prints the summary of the profiles written under `label` (no-op without BENCH_PROFILE); with `cpuUsPerUnit` (measured CPU µs per request or message), each row's share of it. */
  reportProfiles(label: string, cpuUsPerUnit?: number): void;
}

export interface Figure {
  name: string;
  run(context: BenchContext): Promise<FigureLine[]>;
}

export function line(fields: Omit<FigureLine, 'ratio'> & { ratio?: number }): FigureLine {
  return { ...fields, ratio: fields.ratio ?? fields.value / fields.baseline.value };
}
