import { sep } from 'node:path';

/** What a set of changed files asks the runner to do. */
export interface WatchPlan {
  /** Functions (and `publish`) whose code changed: rebuild and roll their replicas. */
  rollout: Set<string>;
  /** Functions whose declaration (src/function.ts) changed: re-derive their scaling. */
  redeclare: Set<string>;
  /** Directories under functions/ with no running function (a new one): a restart picks them up. */
  unknown: Set<string>;
}

export interface WatchedTree {
  /** shared/src: every function and publish bundle it. */
  sharedDir: string;
  /** functions/: a directory here that is no running function is reported as new. */
  functionsDir: string;
  /** functions/publish. */
  publishDir: string;
  /** Each running function's package directory. */
  functions: readonly { name: string; dir: string }[];
}

const ignored = /(^|\/)(node_modules|dist|\.cache)(\/|$)|\.test\.ts$|\.generated\.ts$/;
const source = /\.(ts|mts|js|mjs|json)$/;
const inside = (file: string, dir: string) => file.startsWith(dir.endsWith(sep) ? dir : dir + sep);
/** Dependencies, outputs and tests below a watched directory are not the function's code. */
const ignoredBelow = (file: string, dir: string) => ignored.test(file.slice(dir.length).split(sep).join('/'));

/**
 * Maps changed files (absolute paths) to the work they call for: a change under shared/src rolls every
 * function and publish (each bundles the runtime); under a function's src/ only that function, and its
 * src/function.ts also re-derives its scaling.
 *
 * @example
 * planChanges(['/repo/functions/word-count/src/function.ts'], tree);
 * // { rollout: {word-count}, redeclare: {word-count}, unknown: {} }
 */
export function planChanges(files: Iterable<string>, tree: WatchedTree): WatchPlan {
  const plan: WatchPlan = { rollout: new Set(), redeclare: new Set(), unknown: new Set() };
  for (const file of files) {
    if (!source.test(file)) continue;
    if (inside(file, tree.sharedDir)) {
      if (ignoredBelow(file, tree.sharedDir)) continue;
      for (const fn of tree.functions) plan.rollout.add(fn.name);
      plan.rollout.add('publish');
      continue;
    }
    if (inside(file, tree.publishDir)) {
      if (ignoredBelow(file, tree.publishDir)) continue;
      plan.rollout.add('publish');
      continue;
    }
    const fn = tree.functions.find((candidate) => inside(file, candidate.dir));
    if (fn) {
      if (!inside(file, `${fn.dir}${sep}src`) || ignoredBelow(file, fn.dir)) continue;
      plan.rollout.add(fn.name);
      if (file === `${fn.dir}${sep}src${sep}function.ts`) plan.redeclare.add(fn.name);
    } else if (inside(file, tree.functionsDir)) {
      plan.unknown.add(file.slice(tree.functionsDir.length + 1).split(sep)[0]!);
    }
  }
  return plan;
}
