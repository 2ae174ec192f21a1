import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import type { FunctionDeclaration } from '@qfn/shared';
import { repoRoot } from '@qfn/tooling/paths';

/** The Postgres connection budget the chart's default values allow (helm/templates/validate.yaml's arithmetic). */
export interface ConnectionBudget {
  /** database.maxConnections - database.reservedConnections. */
  budget: number;
  /** The publish function at its most replicas plus every function's maxReplicaCount x poolSize. */
  used: number;
  left: number;
  /** "name replicas x pool = n" for each part, as the chart's message lists them. */
  parts: string[];
}

interface ChartDefaults {
  database: { maxConnections: number; reservedConnections: number };
  publish: { poolSize: number; autoscaling: { maxReplicaCount: number } };
}

export function connectionBudget(declarations: readonly FunctionDeclaration[], valuesFile = join(repoRoot, 'helm', 'values.yaml')): ConnectionBudget {
  const values = parse(readFileSync(valuesFile, 'utf8')) as ChartDefaults;
  const budget = values.database.maxConnections - values.database.reservedConnections;
  const publish = values.publish.autoscaling.maxReplicaCount * values.publish.poolSize;
  const parts = [`publish ${values.publish.autoscaling.maxReplicaCount} x ${values.publish.poolSize} = ${publish}`];
  let used = publish;
  for (const fn of declarations) {
    const share = fn.scaling.maxReplicaCount * fn.poolSize;
    used += share;
    parts.push(`${fn.name} ${fn.scaling.maxReplicaCount} x ${fn.poolSize} = ${share}`);
  }
  return { budget, used, left: budget - used, parts };
}

/**
 * A new function's poolSize and maxReplicaCount: 2 connections and up to 5 replicas, fewer replicas (then
 * a pool of 1) when that is all the budget leaves; undefined when not even one connection is left.
 */
export function fittingScaling(left: number): { poolSize: number; maxReplicaCount: number } | undefined {
  if (left >= 2) return { poolSize: 2, maxReplicaCount: Math.min(5, Math.floor(left / 2)) };
  if (left >= 1) return { poolSize: 1, maxReplicaCount: 1 };
  return undefined;
}
