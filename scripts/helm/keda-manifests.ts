import type { FunctionDeclaration } from '@qfn/shared';
import { topologyNames } from '@qfn/shared/queue/rabbitmq/topology';
import { sqsQueueNames } from '@qfn/shared/queue/sqs/names';

export type BrokerKind = 'rabbitmq' | 'sqs';
export const brokerKinds: readonly BrokerKind[] = ['rabbitmq', 'sqs'];

export interface KedaManifestOptions {
  /** QUEUE_PREFIX the functions run with. */
  queuePrefix: string;
  /** Secret holding RABBITMQ_MANAGEMENT_URL (rabbitmq) or AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (sqs). */
  secretName: string;
}

export const defaultKedaManifestOptions: KedaManifestOptions = { queuePrefix: 'qfn', secretName: 'qfn-credentials' };

/** The integer seconds KEDA's ScaledObject fields need; a declaration that cannot be expressed fails loudly. */
export function wholeSeconds(fn: FunctionDeclaration, field: 'pollingInterval' | 'cooldownPeriod'): number {
  const value = fn.scaling[field];
  if (!Number.isInteger(value)) {
    throw new Error(`function ${fn.name}: scaling.${field} is ${value}; KEDA takes whole seconds`);
  }
  return value;
}

/** KEDA trigger metadata values are strings. */
const metadataNumber = (value: number) => String(value);

/** The queue a function consumes, named as the broker adapter names it. */
export function queueNameFor(broker: BrokerKind, queuePrefix: string, fn: string): string {
  return broker === 'rabbitmq' ? topologyNames(queuePrefix).queue(fn) : sqsQueueNames(queuePrefix).queue(fn);
}

/**
 * The KEDA trigger for a function's queue. RabbitMQ is read over the management API (`protocol: http`,
 * `mode: QueueLength`) so unacknowledged messages count and a busy replica is not scaled away; SQS counts
 * in-flight messages for the same reason.
 */
export function queueTrigger(fn: FunctionDeclaration, broker: BrokerKind, queuePrefix: string, authenticationName: string) {
  const queueName = queueNameFor(broker, queuePrefix, fn.name);
  const metadata: Record<string, string> =
    broker === 'rabbitmq'
      ? {
          protocol: 'http',
          mode: 'QueueLength',
          value: metadataNumber(fn.scaling.targetQueueLength),
          activationValue: metadataNumber(fn.scaling.activationQueueLength),
          queueName,
          vhostName: '/',
        }
      : {
          queueURL: queueName,
          queueLength: metadataNumber(sqsInteger(fn, 'targetQueueLength')),
          activationQueueLength: metadataNumber(sqsInteger(fn, 'activationQueueLength')),
          scaleOnInFlight: 'true',
        };
  return { type: broker === 'rabbitmq' ? 'rabbitmq' : 'aws-sqs-queue', name: 'queue', metadata, authenticationRef: { name: authenticationName } };
}

function sqsInteger(fn: FunctionDeclaration, field: 'targetQueueLength' | 'activationQueueLength'): number {
  const value = fn.scaling[field];
  if (!Number.isInteger(value)) throw new Error(`function ${fn.name}: scaling.${field} is ${value}; KEDA's SQS scaler takes integers`);
  return value;
}

/** The ScaledObject spec fields every function shares, from its declaration. */
export function scalingSpec(fn: FunctionDeclaration) {
  return {
    pollingInterval: wholeSeconds(fn, 'pollingInterval'),
    cooldownPeriod: wholeSeconds(fn, 'cooldownPeriod'),
    minReplicaCount: fn.scaling.minReplicaCount,
    maxReplicaCount: fn.scaling.maxReplicaCount,
    advanced: {
      horizontalPodAutoscalerConfig: {
        behavior: { scaleDown: { stabilizationWindowSeconds: fn.scaling.scaleDownStabilizationWindowSeconds } },
      },
    },
  };
}

/** Where the scaler's credentials come from: always a Secret (or the pod's identity), never the manifest. */
export function triggerAuthenticationSpec(broker: BrokerKind, secretName: string) {
  if (broker === 'rabbitmq') {
    return { secretTargetRef: [{ parameter: 'host', name: secretName, key: 'RABBITMQ_MANAGEMENT_URL' }] };
  }
  return {
    secretTargetRef: [
      { parameter: 'awsAccessKeyID', name: secretName, key: 'AWS_ACCESS_KEY_ID' },
      { parameter: 'awsSecretAccessKey', name: secretName, key: 'AWS_SECRET_ACCESS_KEY' },
    ],
    // The region is read from the function's own container, so these files fit any region.
    env: [{ parameter: 'awsRegion', name: 'AWS_REGION' }],
  };
}

/**
 * The standalone KEDA objects of one function for `kubectl apply`: a TriggerAuthentication and a
 * ScaledObject targeting the Deployment named like the function.
 *
 * @example
 * const [auth, scaledObject] = kedaManifests(storeMessage, 'rabbitmq');
 */
export function kedaManifests(fn: FunctionDeclaration, broker: BrokerKind, options: KedaManifestOptions = defaultKedaManifestOptions) {
  const labels = { 'app.kubernetes.io/name': fn.name, 'app.kubernetes.io/part-of': 'qfn', 'app.kubernetes.io/component': 'function' };
  const authenticationName = `${fn.name}-${broker}`;
  return [
    {
      apiVersion: 'keda.sh/v1alpha1',
      kind: 'TriggerAuthentication',
      metadata: { name: authenticationName, labels },
      spec: triggerAuthenticationSpec(broker, options.secretName),
    },
    {
      apiVersion: 'keda.sh/v1alpha1',
      kind: 'ScaledObject',
      metadata: { name: fn.name, labels },
      spec: {
        scaleTargetRef: { name: fn.name },
        ...scalingSpec(fn),
        triggers: [queueTrigger(fn, broker, options.queuePrefix, authenticationName)],
      },
    },
  ];
}
