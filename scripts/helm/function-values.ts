import type { FunctionDeclaration } from '@qfn/shared';
import { wholeSeconds } from './keda-manifests';

export const generatedBlockStart = '# BEGIN GENERATED: functions (npm run manifests)';
export const generatedBlockEnd = '# END GENERATED: functions';

/** The chart values of one function, defaulted from its declaration. */
export function functionValues(fn: FunctionDeclaration) {
  return {
    enabled: true,
    image: { repository: '', tag: '' },
    concurrency: fn.concurrency,
    poolSize: fn.poolSize,
    shutdownGracePeriodSeconds: fn.shutdownGracePeriodSeconds,
    scaling: {
      minReplicaCount: fn.scaling.minReplicaCount,
      maxReplicaCount: fn.scaling.maxReplicaCount,
      targetQueueLength: fn.scaling.targetQueueLength,
      activationQueueLength: fn.scaling.activationQueueLength,
      pollingInterval: wholeSeconds(fn, 'pollingInterval'),
      cooldownPeriod: wholeSeconds(fn, 'cooldownPeriod'),
      scaleDownStabilizationWindowSeconds: fn.scaling.scaleDownStabilizationWindowSeconds,
    },
    resources: {},
    env: {},
  };
}

const oneLine = (text: string) => text.replace(/\s+/g, ' ').trim();

/** The `functions:` block of helm/values.yaml, documented value by value. */
export function renderFunctionsBlock(functions: readonly FunctionDeclaration[]): string {
  const lines = [
    generatedBlockStart,
    '# One entry per consumer function (functions/<name>/src/function.ts), defaulted from its declaration.',
    '# Edit the declaration and run `npm run manifests`, not this block; override per installation instead,',
    '# e.g. --set functions.run-job.scaling.maxReplicaCount=20 or --set functions.run-job.enabled=false.',
    'functions:',
  ];
  for (const fn of functions) {
    const v = functionValues(fn);
    lines.push(
      `  # ${oneLine(fn.description ?? fn.name)} (subscribes: ${fn.subscribes.join(', ')})`,
      `  ${fn.name}:`,
      '    # -- Deploy this function (Deployment + ScaledObject); false removes both.',
      `    enabled: ${v.enabled}`,
      '    image:',
      `      # -- Image repository; empty: <global.imageRegistry>/qfn-${fn.name}.`,
      '      repository: ""',
      '      # -- Image tag; empty: global.imageTag. `npm run deploy` changes only this one.',
      '      tag: ""',
      '    # -- Messages one replica processes at once (FUNCTION_CONCURRENCY; RabbitMQ prefetch).',
      `    concurrency: ${v.concurrency}`,
      '    # -- Postgres connections one replica opens (DATABASE_POOL_SIZE); counted in database.maxConnections.',
      `    poolSize: ${v.poolSize}`,
      '    # -- Seconds a replica drains after SIGTERM; the pod gets functionDefaults.drainMarginSeconds more.',
      `    shutdownGracePeriodSeconds: ${v.shutdownGracePeriodSeconds}`,
      '    # KEDA ScaledObject settings (same names and meaning as in KEDA).',
      '    scaling:',
      '      # -- Replicas when the queue is idle; 0 = scale to zero.',
      `      minReplicaCount: ${v.scaling.minReplicaCount}`,
      '      # -- Most replicas; maxReplicaCount x poolSize counts against database.maxConnections.',
      `      maxReplicaCount: ${v.scaling.maxReplicaCount}`,
      '      # -- Queue length (ready + unacknowledged) one replica is expected to handle.',
      `      targetQueueLength: ${v.scaling.targetQueueLength}`,
      '      # -- The function wakes from zero when the queue length is greater than this.',
      `      activationQueueLength: ${v.scaling.activationQueueLength}`,
      '      # -- Seconds between two looks at the queue.',
      `      pollingInterval: ${v.scaling.pollingInterval}`,
      '      # -- Seconds without messages before scaling back to zero.',
      `      cooldownPeriod: ${v.scaling.cooldownPeriod}`,
      '      # -- HPA scale-down stabilisation window, seconds.',
      `      scaleDownStabilizationWindowSeconds: ${v.scaling.scaleDownStabilizationWindowSeconds}`,
      '    # -- CPU/memory requests and limits; empty: functionDefaults.resources.',
      '    resources: {}',
      '    # -- Extra environment variables (plain values; credentials belong in existingSecret).',
      '    env: {}',
    );
  }
  lines.push(generatedBlockEnd);
  return `${lines.join('\n')}\n`;
}

/** Replaces the generated block of a values.yaml text with `block`. */
export function spliceFunctionsBlock(valuesYaml: string, block: string): string {
  const start = valuesYaml.indexOf(generatedBlockStart);
  const end = valuesYaml.indexOf(generatedBlockEnd);
  if (start < 0 || end < start) {
    throw new Error(`helm/values.yaml must hold the lines "${generatedBlockStart}" ... "${generatedBlockEnd}"`);
  }
  const afterEnd = valuesYaml.indexOf('\n', end);
  return valuesYaml.slice(0, start) + block + (afterEnd < 0 ? '' : valuesYaml.slice(afterEnd + 1));
}
