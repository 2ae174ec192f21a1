import type { FunctionDeclaration } from '@qfn/shared';

export const generatedBlockStart = '# BEGIN GENERATED: functions (npm run generate)';
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
      pollingInterval: fn.scaling.pollingInterval,
      cooldownPeriod: fn.scaling.cooldownPeriod,
      scaleDownStabilizationWindowSeconds: fn.scaling.scaleDownStabilizationWindowSeconds,
      initialCooldownPeriod: fn.scaling.initialCooldownPeriod,
      idleReplicaCount: fn.scaling.idleReplicaCount ?? null,
      fallback: fn.scaling.fallback ?? null,
      behavior: fn.scaling.behavior,
      paused: fn.scaling.paused,
      pausedReplicas: fn.scaling.pausedReplicas ?? null,
      pausedScaleIn: fn.scaling.pausedScaleIn,
      pausedScaleOut: fn.scaling.pausedScaleOut,
      pushActivation: fn.scaling.pushActivation,
      rabbitmq: fn.scaling.rabbitmq,
      sqs: fn.scaling.sqs,
    },
    resources: {},
    env: {},
  };
}

const oneLine = (text: string) => text.replace(/\s+/g, ' ').trim();
/** A value in YAML's flow style (JSON is YAML), so nested settings stay on the line their comment documents. */
const flow = (value: unknown) => JSON.stringify(value);

/**
 * What each value from the declaration means: the comment above it in helm/values.yaml (the first line after
 * `# --`) and its description in helm/values.schema.json.
 */
export const declaredValueDocs = {
  concurrency: ['Messages one replica processes at once (FUNCTION_CONCURRENCY; RabbitMQ prefetch).'],
  poolSize: ['Postgres connections one replica opens (DATABASE_POOL_SIZE); counted in database.maxConnections.'],
  shutdownGracePeriodSeconds: ['Seconds a replica drains after SIGTERM; the pod gets functionDefaults.drainMarginSeconds more.'],
} as const;

export const scalingValueDocs = {
  minReplicaCount: ['Replicas when the queue is idle; 0 = scale to zero.'],
  maxReplicaCount: ['Most replicas; maxReplicaCount x poolSize counts against database.maxConnections.'],
  targetQueueLength: ['Queue length (ready + unacknowledged) one replica is expected to handle.'],
  activationQueueLength: ['The function wakes from zero when the queue length is greater than this.'],
  pollingInterval: ['Seconds between two looks at the queue.'],
  cooldownPeriod: ['Seconds without messages before scaling back to zero.'],
  scaleDownStabilizationWindowSeconds: ['HPA scale-down stabilisation window, seconds.'],
  initialCooldownPeriod: ['Seconds after the ScaledObject is created before KEDA may first scale to zero.'],
  idleReplicaCount: ['Replicas while inactive, below minReplicaCount (only 0 works with the HPA); null: minReplicaCount.'],
  fallback: [
    'KEDA fallback {failureThreshold, replicas, behavior: static|currentReplicas|currentReplicasIfHigher|currentReplicasIfLower}',
    'once the queue length failed to be read more than failureThreshold times in a row; null: hold the replicas.',
  ],
  behavior: ['HPA behavior {scaleUp, scaleDown: {selectPolicy, policies: [{type: Pods|Percent, value, periodSeconds}]}}; {}: Kubernetes defaults.'],
  paused: ['Annotation autoscaling.keda.sh/paused: KEDA and the HPA stop changing the replica count.'],
  pausedReplicas: ['Annotation autoscaling.keda.sh/paused-replicas: held at this count; null: not paused.'],
  pausedScaleIn: ['Annotation autoscaling.keda.sh/paused-scale-in: never fewer replicas.'],
  pausedScaleOut: ['Annotation autoscaling.keda.sh/paused-scale-out: never more replicas.'],
  pushActivation: [
    "An external-push trigger on the publish function's push scaler (publish.pushScaler): wakes from zero the moment",
    'the publish function sends to this queue, without waiting for a poll (activation only; the queue trigger sizes).',
  ],
  rabbitmq: [
    'RabbitMQ scaler: mode QueueLength or MessageRate (targetQueueLength is then messages/s per replica), excludeUnacknowledged,',
    'and activationOverAmqp (a second trigger reading ready messages over AMQP, so scale-from-zero does not wait for statistics).',
  ],
  sqs: ['SQS scaler: count in-flight (scaleOnInFlight) and delayed (scaleOnDelayed) messages.'],
} as const satisfies Record<keyof ReturnType<typeof functionValues>['scaling'], readonly string[]>;

/** One documented value: its comment lines, then `key: value` (objects in flow style, so the comment stays beside them). */
function documented(indent: string, key: string, docs: readonly string[], value: unknown): string[] {
  const [first, ...rest] = docs;
  const rendered = value !== null && typeof value === 'object' ? flow(value) : typeof value === 'string' ? value : flow(value);
  return [`${indent}# -- ${first}`, ...rest.map((line) => `${indent}# ${line}`), `${indent}${key}: ${rendered}`];
}

/** The `functions:` block of helm/values.yaml, documented value by value. */
export function renderFunctionsBlock(functions: readonly FunctionDeclaration[]): string {
  const lines = [
    generatedBlockStart,
    '# One entry per consumer function (functions/<name>/src/function.ts), defaulted from its declaration.',
    '# Edit the declaration and run `npm run generate`, not this block; override per installation instead,',
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
      ...Object.entries(declaredValueDocs).flatMap(([key, docs]) => documented('    ', key, docs, v[key as keyof typeof declaredValueDocs])),
      '    # KEDA ScaledObject settings (same names and meaning as in KEDA).',
      '    scaling:',
      ...Object.entries(scalingValueDocs).flatMap(([key, docs]) => documented('      ', key, docs, v.scaling[key as keyof typeof scalingValueDocs])),
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
