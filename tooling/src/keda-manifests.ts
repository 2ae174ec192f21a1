import type { FunctionDeclaration } from '@qfn/shared';
import { functionQueueName, type BrokerKind } from '@qfn/shared/platform';

export type { BrokerKind };
export const brokerKinds: readonly BrokerKind[] = ['rabbitmq', 'sqs'];

export interface KedaManifestOptions {
  /** QUEUE_PREFIX the functions run with. */
  queuePrefix: string;
  /** Secret holding RABBITMQ_MANAGEMENT_URL (rabbitmq) or AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (sqs). */
  secretName: string;
  /** host:port of the publish function's push scaler (PUSH_SCALER_PORT), as KEDA's operator reaches it. */
  pushScalerAddress: string;
}

/** The publish function's gRPC port for KEDA's external-push scaler, in the chart and keda/. */
export const pushScalerPort = 9090;

export const defaultKedaManifestOptions: KedaManifestOptions = {
  queuePrefix: 'qfn',
  secretName: 'qfn-credentials',
  pushScalerAddress: `publish.default.svc.cluster.local:${pushScalerPort}`,
};

/** KEDA trigger metadata values are strings. */
const metadataNumber = (value: number) => String(value);

/**
 * Trigger names in every function's ScaledObject: `queue` sizes (and activates), `activation` (AMQP) and
 * `push` (the publish function's external-push scaler) only wake from zero faster.
 */
export const triggerNames = { queue: 'queue', activation: 'activation', push: 'push' } as const;

/** KEDA `external-push` trigger metadata: where the scaler is, and which function's activity to stream. */
export function pushTrigger(fn: FunctionDeclaration, scalerAddress: string) {
  return { type: 'external-push', name: triggerNames.push, metadata: { scalerAddress, function: fn.name } };
}

/**
 * The KEDA triggers for a function's queue. RabbitMQ is read over the management API (`protocol: http`)
 * so unacknowledged messages count and a busy replica is not scaled away; with `activationOverAmqp` a
 * second trigger reads the ready count over AMQP (a passive queue declare answers at once, where the
 * management API's statistics lag by up to `collect_statistics_interval`), so the first message wakes
 * the function on the next poll. SQS counts in-flight messages (`scaleOnInFlight`) for the same reason.
 */
export function queueTriggers(
  fn: FunctionDeclaration,
  broker: BrokerKind,
  queuePrefix: string,
  authenticationName: string,
  pushScalerAddress = defaultKedaManifestOptions.pushScalerAddress,
) {
  const triggers: { type: string; name: string; metadata: Record<string, string>; authenticationRef?: { name: string } }[] = brokerTriggers(
    fn,
    broker,
    queuePrefix,
    authenticationName,
  );
  if (fn.scaling.pushActivation) triggers.push(pushTrigger(fn, pushScalerAddress));
  return triggers;
}

function brokerTriggers(fn: FunctionDeclaration, broker: BrokerKind, queuePrefix: string, authenticationName: string) {
  const queueName = functionQueueName(broker, queuePrefix, fn.name);
  const { scaling } = fn;
  if (broker === 'sqs') {
    const metadata: Record<string, string> = {
      queueURL: queueName,
      queueLength: metadataNumber(sqsInteger(fn, 'targetQueueLength')),
      activationQueueLength: metadataNumber(sqsInteger(fn, 'activationQueueLength')),
      scaleOnInFlight: String(scaling.sqs.scaleOnInFlight),
      scaleOnDelayed: String(scaling.sqs.scaleOnDelayed),
    };
    return [{ type: 'aws-sqs-queue', name: triggerNames.queue, metadata, authenticationRef: { name: authenticationName } }];
  }
  const sizing: Record<string, string> = {
    protocol: 'http',
    mode: scaling.rabbitmq.mode,
    value: metadataNumber(scaling.targetQueueLength),
    activationValue: metadataNumber(scaling.activationQueueLength),
    queueName,
    vhostName: '/',
  };
  if (scaling.rabbitmq.excludeUnacknowledged) sizing['excludeUnacknowledged'] = 'true';
  const triggers: { type: string; name: string; metadata: Record<string, string>; authenticationRef: { name: string } }[] = [
    { type: 'rabbitmq', name: triggerNames.queue, metadata: sizing, authenticationRef: { name: authenticationName } },
  ];
  if (scaling.rabbitmq.activationOverAmqp) {
    const activation: Record<string, string> = {
      protocol: 'amqp',
      mode: 'QueueLength',
      value: metadataNumber(scaling.targetQueueLength),
      activationValue: metadataNumber(scaling.activationQueueLength),
      queueName,
      vhostName: '/',
    };
    triggers.push({
      type: 'rabbitmq',
      name: triggerNames.activation,
      metadata: activation,
      authenticationRef: { name: amqpAuthenticationName(authenticationName) },
    });
  }
  return triggers;
}

/** The TriggerAuthentication of the AMQP activation trigger, beside the management API's. */
export const amqpAuthenticationName = (authenticationName: string) => `${authenticationName}-amqp`;

function sqsInteger(fn: FunctionDeclaration, field: 'targetQueueLength' | 'activationQueueLength'): number {
  const value = fn.scaling[field];
  if (!Number.isInteger(value)) throw new Error(`function ${fn.name}: scaling.${field} is ${value}; KEDA's SQS scaler takes integers`);
  return value;
}

/** KEDA's pause annotations (`autoscaling.keda.sh/…`) the declaration asks for; none when it does not pause. */
export function pauseAnnotations(fn: FunctionDeclaration): Record<string, string> {
  const { scaling } = fn;
  const annotations: Record<string, string> = {};
  if (scaling.paused) annotations['autoscaling.keda.sh/paused'] = 'true';
  if (scaling.pausedReplicas !== undefined) annotations['autoscaling.keda.sh/paused-replicas'] = String(scaling.pausedReplicas);
  if (scaling.pausedScaleIn) annotations['autoscaling.keda.sh/paused-scale-in'] = 'true';
  if (scaling.pausedScaleOut) annotations['autoscaling.keda.sh/paused-scale-out'] = 'true';
  return annotations;
}

/** The HPA `behavior` KEDA puts on the HPA it creates: the declared rules, and the scale-down window always. */
export function hpaBehaviorOf(fn: FunctionDeclaration) {
  const { behavior, scaleDownStabilizationWindowSeconds } = fn.scaling;
  return {
    ...(behavior.scaleUp ? { scaleUp: behavior.scaleUp } : {}),
    scaleDown: { stabilizationWindowSeconds: scaleDownStabilizationWindowSeconds, ...behavior.scaleDown },
  };
}

/** The ScaledObject spec fields every function shares, from its declaration. */
export function scalingSpec(fn: FunctionDeclaration) {
  const { scaling } = fn;
  return {
    pollingInterval: scaling.pollingInterval,
    cooldownPeriod: scaling.cooldownPeriod,
    initialCooldownPeriod: scaling.initialCooldownPeriod,
    ...(scaling.idleReplicaCount !== undefined ? { idleReplicaCount: scaling.idleReplicaCount } : {}),
    minReplicaCount: scaling.minReplicaCount,
    maxReplicaCount: scaling.maxReplicaCount,
    ...(scaling.fallback ? { fallback: { ...scaling.fallback } } : {}),
    advanced: { horizontalPodAutoscalerConfig: { behavior: hpaBehaviorOf(fn) } },
  };
}

/** The AMQP activation trigger's host: the functions' own AMQP_URL. */
export function amqpTriggerAuthenticationSpec(secretName: string) {
  return { secretTargetRef: [{ parameter: 'host', name: secretName, key: 'AMQP_URL' }] };
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
 * The standalone KEDA objects of one function for `kubectl apply`: its TriggerAuthentications (on RabbitMQ
 * one for the management API and, with the AMQP activation trigger, one for AMQP) and a ScaledObject
 * targeting the Deployment named like the function.
 *
 * @example
 * const [auth, scaledObject] = kedaManifests(storeMessage, 'sqs');
 */
export function kedaManifests(fn: FunctionDeclaration, broker: BrokerKind, options: KedaManifestOptions = defaultKedaManifestOptions) {
  const labels = { 'app.kubernetes.io/name': fn.name, 'app.kubernetes.io/part-of': 'qfn', 'app.kubernetes.io/component': 'function' };
  const authenticationName = `${fn.name}-${broker}`;
  const triggers = queueTriggers(fn, broker, options.queuePrefix, authenticationName, options.pushScalerAddress);
  const authentication = (name: string, spec: object) => ({ apiVersion: 'keda.sh/v1alpha1', kind: 'TriggerAuthentication', metadata: { name, labels }, spec });
  const authentications = [authentication(authenticationName, triggerAuthenticationSpec(broker, options.secretName))];
  if (triggers.some((t) => t.name === triggerNames.activation)) {
    authentications.push(authentication(amqpAuthenticationName(authenticationName), amqpTriggerAuthenticationSpec(options.secretName)));
  }
  const annotations = pauseAnnotations(fn);
  return [
    ...authentications,
    {
      apiVersion: 'keda.sh/v1alpha1',
      kind: 'ScaledObject',
      metadata: { name: fn.name, labels, ...(Object.keys(annotations).length > 0 ? { annotations } : {}) },
      spec: { scaleTargetRef: { name: fn.name }, ...scalingSpec(fn), triggers },
    },
  ];
}
