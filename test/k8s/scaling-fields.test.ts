import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { messageEvent } from '@qfn/events';
import { defineFunction, kedaDefaults, type FunctionDeclaration, type ScalingOptions, type ScalingPolicy } from '@qfn/shared/platform';
import { functionValues } from '../../scripts/helm/function-values';
import { brokerKinds, kedaManifests, type BrokerKind } from '@qfn/tooling/keda-manifests';
import { readScaledObject } from '../../local/autoscaler/scaled-object';
import { localScaledObject } from '../../local/runner';
import { helmBinaries, helmTemplate, render, valueSetsDir, type Manifest } from './support/helm';
import { triggerProblems } from './support/keda-rules';
import { schemaErrors } from './support/models';
import { createFieldChecker } from './support/strict-fields';

/**
 * Every ScaledObject field a declaration can say, one declaration each: declaration → keda/ (the KEDA
 * name it becomes, valid against KEDA 2.19's CRD) → chart values → rendered ScaledObject (the same
 * object) → the local runner (which reads the ScaledObject back into the same policy).
 */
interface FieldCase {
  field: string;
  scaling: ScalingOptions;
  /** Where KEDA reads it in the ScaledObject, per broker. */
  keda: (so: Manifest, broker: BrokerKind) => unknown;
  expected: (broker: BrokerKind) => unknown;
}

const behavior = {
  scaleUp: {
    stabilizationWindowSeconds: 10,
    selectPolicy: 'Min' as const,
    policies: [
      { type: 'Pods' as const, value: 2, periodSeconds: 30 },
      { type: 'Percent' as const, value: 50, periodSeconds: 60 },
    ],
  },
  scaleDown: { selectPolicy: 'Disabled' as const, policies: [{ type: 'Pods' as const, value: 1, periodSeconds: 60 }] },
};
const queueTrigger = (so: Manifest) => so.spec.triggers.find((t: any) => t.name === 'queue');
const annotation = (key: string) => (so: Manifest) => so.metadata.annotations?.[`autoscaling.keda.sh/${key}`];

const cases: FieldCase[] = [
  {
    field: 'fallback',
    scaling: { fallback: { failureThreshold: 3, replicas: 6 } },
    keda: (so) => so.spec.fallback,
    expected: () => ({ failureThreshold: 3, replicas: 6, behavior: 'static' }),
  },
  ...(['currentReplicas', 'currentReplicasIfHigher', 'currentReplicasIfLower'] as const).map((name) => ({
    field: `fallback.behavior ${name}`,
    scaling: { fallback: { failureThreshold: 0, replicas: 2, behavior: name } },
    keda: (so: Manifest) => so.spec.fallback.behavior,
    expected: () => name,
  })),
  { field: 'idleReplicaCount', scaling: { minReplicaCount: 2, idleReplicaCount: 0 }, keda: (so) => so.spec.idleReplicaCount, expected: () => 0 },
  { field: 'initialCooldownPeriod', scaling: { initialCooldownPeriod: 90 }, keda: (so) => so.spec.initialCooldownPeriod, expected: () => 90 },
  { field: 'paused', scaling: { paused: true }, keda: annotation('paused'), expected: () => 'true' },
  { field: 'pausedReplicas', scaling: { pausedReplicas: 4 }, keda: annotation('paused-replicas'), expected: () => '4' },
  { field: 'pausedScaleIn', scaling: { pausedScaleIn: true }, keda: annotation('paused-scale-in'), expected: () => 'true' },
  { field: 'pausedScaleOut', scaling: { pausedScaleOut: true }, keda: annotation('paused-scale-out'), expected: () => 'true' },
  {
    field: 'behavior (scaleUp, scaleDown: policies, selectPolicy, windows)',
    scaling: { behavior, scaleDownStabilizationWindowSeconds: 120 },
    keda: (so) => so.spec.advanced.horizontalPodAutoscalerConfig.behavior,
    expected: () => ({ scaleUp: behavior.scaleUp, scaleDown: { stabilizationWindowSeconds: 120, ...behavior.scaleDown } }),
  },
  {
    field: 'sqs.scaleOnInFlight',
    scaling: { sqs: { scaleOnInFlight: false } },
    keda: (so, broker) => (broker === 'sqs' ? queueTrigger(so).metadata.scaleOnInFlight : 'n/a'),
    expected: (broker) => (broker === 'sqs' ? 'false' : 'n/a'),
  },
  {
    field: 'sqs.scaleOnDelayed',
    scaling: { sqs: { scaleOnDelayed: true } },
    keda: (so, broker) => (broker === 'sqs' ? queueTrigger(so).metadata.scaleOnDelayed : 'n/a'),
    expected: (broker) => (broker === 'sqs' ? 'true' : 'n/a'),
  },
  {
    field: 'rabbitmq.mode MessageRate',
    scaling: { rabbitmq: { mode: 'MessageRate' }, targetQueueLength: 50 },
    keda: (so, broker) => (broker === 'rabbitmq' ? { mode: queueTrigger(so).metadata.mode, value: queueTrigger(so).metadata.value } : 'n/a'),
    expected: (broker) => (broker === 'rabbitmq' ? { mode: 'MessageRate', value: '50' } : 'n/a'),
  },
  {
    field: 'rabbitmq.excludeUnacknowledged',
    scaling: { rabbitmq: { excludeUnacknowledged: true } },
    keda: (so, broker) => (broker === 'rabbitmq' ? queueTrigger(so).metadata.excludeUnacknowledged : 'n/a'),
    expected: (broker) => (broker === 'rabbitmq' ? 'true' : 'n/a'),
  },
  {
    field: 'rabbitmq.activationOverAmqp',
    scaling: { rabbitmq: { activationOverAmqp: true }, activationQueueLength: 2 },
    keda: (so, broker) =>
      broker === 'rabbitmq' ? so.spec.triggers.map((t: any) => `${t.name}:${t.metadata.protocol}:${t.metadata.activationValue}`) : so.spec.triggers.length,
    expected: (broker) => (broker === 'rabbitmq' ? ['queue:http:2', 'activation:amqp:2'] : 1),
  },
  {
    field: 'pushActivation',
    scaling: { pushActivation: true },
    keda: (so) =>
      so.spec.triggers.map((t: any) =>
        t.type === 'external-push'
          ? {
              name: t.name,
              address: /^[a-z0-9-]*publish\.[a-z0-9-]+\.svc\.cluster\.local:9090$/.test(t.metadata.scalerAddress),
              itsFunction: t.metadata.function === (so.metadata.labels?.['qfn.dev/function'] ?? so.metadata.name),
            }
          : t.name,
      ),
    expected: (broker) => [...(broker === 'rabbitmq' ? ['queue', 'activation'] : ['queue']), { name: 'push', address: true, itsFunction: true }],
  },
  {
    field: 'rabbitmq.activationOverAmqp off',
    scaling: { rabbitmq: { activationOverAmqp: false } },
    keda: (so) => so.spec.triggers.map((t: any) => t.name),
    expected: () => ['queue'],
  },
];

const declarationOf = (index: number, scaling: ScalingOptions): FunctionDeclaration =>
  defineFunction({
    name: `field-${index}`,
    subscribes: ['x.y'],
    schema: messageEvent,
    handler: async () => {},
    poolSize: 1,
    scaling: { pollingInterval: 5, cooldownPeriod: 60, maxReplicaCount: 10, ...scaling },
  });
const declarations = cases.map((c, index) => declarationOf(index, c.scaling));

/** The policy without the other broker's options (a ScaledObject for one broker cannot say them). */
function forBroker(policy: ScalingPolicy, broker: BrokerKind): ScalingPolicy {
  return broker === 'rabbitmq' ? { ...policy, sqs: kedaDefaults.sqs } : { ...policy, rabbitmq: kedaDefaults.rabbitmq };
}

const [binary] = helmBinaries();
const valueFiles: Record<BrokerKind, string> = { rabbitmq: 'rabbitmq-values.yaml', sqs: 'sqs-irsa-values.yaml' }; // queue names, as keda/ has them;

describe.each(brokerKinds)('every scaling field on %s', (broker) => {
  let chart: Map<string, Manifest>;
  beforeAll(() => {
    const set = Object.fromEntries(declarations.map((fn) => [`functions.${fn.name}`, functionValues(fn)]));
    // The connection budget check counts every function at maxReplicaCount × poolSize.
    const rendered = render(binary!, { valueFiles: [join(valueSetsDir, valueFiles[broker])], set: { ...set, 'database.maxConnections': 1000 } });
    chart = new Map(
      rendered.filter((m) => m.kind === 'ScaledObject' && m.metadata.labels?.['qfn.dev/function']).map((m) => [m.metadata.labels!['qfn.dev/function']!, m]),
    );
  });

  it.each(cases.map((c, index) => ({ ...c, index })))('$field: declaration → keda/ → chart → local runner', ({ index, keda, expected }) => {
    const fn = declarations[index]!;
    const standalone = kedaManifests(fn, broker);
    const scaledObject = standalone.find((m) => m.kind === 'ScaledObject') as Manifest;
    expect(keda(scaledObject, broker), 'keda/').toEqual(expected(broker));
    expect(standalone.flatMap(schemaErrors), 'KEDA 2.19 schema').toEqual([]);
    expect(
      standalone.flatMap((m) => createFieldChecker()(m)),
      'unknown fields',
    ).toEqual([]);
    const auths = new Map(standalone.filter((m) => m.kind === 'TriggerAuthentication').map((m) => [m.metadata.name, m.spec]));
    expect(triggerProblems(scaledObject, auths)).toEqual([]);

    const rendered = chart.get(fn.name)!;
    expect(keda(rendered, broker), 'chart').toEqual(expected(broker));
    const comparable = (so: Manifest) => ({
      annotations: so.metadata.annotations ?? {},
      ...so.spec,
      scaleTargetRef: undefined,
      // The push scaler's address is the release's publish Service in the chart, a fixed one in keda/.
      triggers: so.spec.triggers.map(({ authenticationRef: _, metadata: { awsRegion: __, scalerAddress: ___, ...metadata }, ...trigger }: any) => ({
        ...trigger,
        metadata,
      })),
    });
    expect(comparable(rendered), 'the chart renders what keda/ holds').toEqual(comparable(scaledObject));

    expect(readScaledObject(rendered as never).policy, 'the local runner reads the rendered ScaledObject back').toEqual(forBroker(fn.scaling, broker));
    expect(localScaledObject(fn, fn.scaling, broker, 'qfn').policy, 'the local runner').toEqual(forBroker(fn.scaling, broker));
  });
});

describe('the chart refuses scaling values KEDA would refuse', () => {
  it.each([
    ['fallback.behavior', { failureThreshold: 1, replicas: 1, behavior: 'sometimes' }, 'fallback'],
    ['behavior', { scaleUp: { selectPolicy: 'Sometimes' } }, 'behavior'],
    ['behavior', { scaleDown: { policies: [] } }, 'behavior'],
    ['rabbitmq', { mode: 'DeliverGetRate' }, 'rabbitmq'],
    ['idleReplicaCount', -1, 'idleReplicaCount'],
  ])('%s %j', (_, value, key) => {
    const result = helmTemplate(binary!, { set: { [`functions.store-message.scaling.${key}`]: value as never } });
    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(new RegExp(`scaling.*${key}|${key}`));
  });
});
