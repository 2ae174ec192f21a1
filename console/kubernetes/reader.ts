import type { ColdStart, FunctionInfo, ScaleMarker } from '../server/model';
import type { Condition, Deployment, HorizontalPodAutoscaler, KubernetesEvent, List, ScaledObject } from './types';

/** What one look at the namespace returned: the four lists the console's Role may read. */
export interface ClusterObjects {
  deployments: List<Deployment>;
  hpas: List<HorizontalPodAutoscaler>;
  scaledObjects: List<ScaledObject>;
  events: List<KubernetesEvent>;
}

export interface ClusterFunction {
  info: FunctionInfo;
  deployment: string;
  desired: number;
  ready: number;
  /** KEDA's `Active` condition: is the trigger above its activation value. */
  active: boolean | null;
  /** The HPA's metric as it last read it (queue length per replica for an AverageValue target). */
  metricPerReplica: number | null;
}

export interface ClusterReading {
  functions: ClusterFunction[];
  markers: ScaleMarker[];
  coldStarts: ColdStart[];
}

/** The chart labels each function's objects with its name. */
const functionLabel = 'qfn.dev/function';
const componentLabel = 'app.kubernetes.io/component';
const time = (value: string | null | undefined) => (value ? Date.parse(value) : Number.NaN);
const eventTime = (event: KubernetesEvent) =>
  [event.lastTimestamp, event.eventTime, event.firstTimestamp, event.metadata.creationTimestamp].map(time).find((t) => !Number.isNaN(t)) ?? Number.NaN;

/** Kubernetes quantities as the HPA reports them: "37", "1500m", "2k". */
export function parseQuantity(quantity: string | undefined): number | null {
  if (!quantity) return null;
  const match = /^(-?[\d.]+)(m|k|M|G)?$/.exec(quantity);
  if (!match) return null;
  const scale = { m: 1e-3, k: 1e3, M: 1e6, G: 1e9 }[match[2] ?? ''] ?? 1;
  return Number(match[1]) * scale;
}

const numberOr = (value: string | number | undefined, fallback: number) => {
  const n = Number(value);
  return value !== undefined && Number.isFinite(n) ? n : fallback;
};

/** The function's scaling as its ScaledObject declares it (KEDA's defaults where absent). */
function infoOf(name: string, scaledObject: ScaledObject | undefined): FunctionInfo {
  const spec = scaledObject?.spec;
  const meta = spec?.triggers?.find((t) => t.type !== 'cpu' && t.type !== 'memory')?.metadata ?? {};
  return {
    name,
    minReplicaCount: spec?.minReplicaCount ?? 0,
    maxReplicaCount: spec?.maxReplicaCount ?? 100,
    // rabbitmq: value / activationValue; aws-sqs-queue: queueLength / activationQueueLength; metrics-api and others: targetValue / activationTargetValue.
    targetQueueLength: numberOr(meta['value'] ?? meta['queueLength'] ?? meta['targetValue'], 5),
    activationQueueLength: numberOr(meta['activationValue'] ?? meta['activationQueueLength'] ?? meta['activationTargetValue'], 0),
    pollingInterval: spec?.pollingInterval ?? 30,
    cooldownPeriod: spec?.cooldownPeriod ?? 300,
  };
}

const condition = (conditions: Condition[] | undefined, type: string) => conditions?.find((c) => c.type === type);

/** "New size: 4; reason: external metric s0-rabbitmq-qfn-store-message(…) above target" → [4, "external metric … above target"]. */
function parseRescale(message: string): { to: number | null; why: string } {
  const match = /New size: (\d+); reason: (.*)$/s.exec(message);
  if (!match) return { to: null, why: message };
  return { to: Number(match[1]), why: match[2]!.replace(/\(&LabelSelector\{[^)]*\}\)/g, '').trim() };
}

/** "Scaled apps/v1.Deployment qfn/qfn-store-message from 0 to 1, triggered by rabbitMQScaler" (and "Deactivated … from 1 to 0"). */
function parseKedaScale(message: string): { from: number | null; to: number | null } {
  const match = /from (\d+) to (\d+)/.exec(message);
  return match ? { from: Number(match[1]), to: Number(match[2]) } : { from: null, to: null };
}

/**
 * Turns the release's Deployments, HPAs, ScaledObjects and Events into what the console shows: per
 * function its desired and ready replicas, a marker per scale decision (KEDA's activations and
 * deactivations, the HPA's rescales, with the reason the controller gave) and per hold with a reason
 * (the HPA's ScalingLimited condition, scaler and metric failures), and a cold start per container
 * started. Functions are the Deployments a ScaledObject targets, named by the chart's `qfn.dev/function`
 * (or `app.kubernetes.io/component`) label. Pure: recorded API answers in, the console's shapes out.
 *
 * @example
 * const reading = readClusterScaling(await fetchClusterObjects(api, namespace, release));
 */
export function readClusterScaling(objects: ClusterObjects): ClusterReading {
  const scaledByTarget = new Map(objects.scaledObjects.items.map((so) => [so.spec?.scaleTargetRef?.name ?? so.metadata.name, so]));
  const hpaByTarget = new Map(objects.hpas.items.map((hpa) => [hpa.spec?.scaleTargetRef?.name ?? '', hpa]));
  const functions: ClusterFunction[] = [];
  const byObject = new Map<string, string>(); // "Kind/name" → function
  const deploymentOf = new Map<string, string>(); // function → Deployment name (pod names start with it)

  for (const deployment of objects.deployments.items) {
    const scaledObject = scaledByTarget.get(deployment.metadata.name);
    const name = scaledObject?.metadata.labels?.[functionLabel] ?? deployment.metadata.labels?.[functionLabel] ?? deployment.metadata.labels?.[componentLabel];
    if (!name || !scaledObject) continue;
    const hpa = hpaByTarget.get(deployment.metadata.name);
    const metric = hpa?.status?.currentMetrics?.find((m) => m.type === 'External')?.external?.current;
    const active = condition(scaledObject.status?.conditions, 'Active');
    functions.push({
      info: infoOf(name, scaledObject),
      deployment: deployment.metadata.name,
      desired: deployment.spec?.replicas ?? 0,
      ready: deployment.status?.readyReplicas ?? 0,
      active: active ? active.status === 'True' : null,
      metricPerReplica: parseQuantity(metric?.averageValue ?? metric?.value),
    });
    byObject.set(`Deployment/${deployment.metadata.name}`, name);
    byObject.set(`ScaledObject/${scaledObject.metadata.name}`, name);
    if (hpa) byObject.set(`HorizontalPodAutoscaler/${hpa.metadata.name}`, name);
    deploymentOf.set(name, deployment.metadata.name);
  }

  const markers: ScaleMarker[] = [];
  const coldStarts: ColdStart[] = [];
  const events = [...objects.events.items].sort((a, b) => eventTime(a) - eventTime(b));
  for (const event of events) {
    const kind = event.involvedObject.kind ?? '';
    const objectName = event.involvedObject.name ?? '';
    const at = eventTime(event);
    if (Number.isNaN(at)) continue;
    const message = event.message ?? '';
    if (kind === 'Pod') {
      const fn = [...deploymentOf].find(([, deployment]) => objectName.startsWith(`${deployment}-`))?.[0];
      if (fn && event.reason === 'Started') coldStarts.push({ function: fn, at, replica: objectName, coldStartMs: null });
      continue;
    }
    const fn = byObject.get(`${kind}/${objectName}`);
    if (!fn) continue;
    if (kind === 'HorizontalPodAutoscaler' && event.reason === 'SuccessfulRescale') {
      const { to, why } = parseRescale(message);
      markers.push({ function: fn, at, from: null, to, by: 'hpa', kind: 'scale', reason: `${fn} →${to ?? '?'}: ${why}` });
    } else if (kind === 'ScaledObject' && (event.reason === 'KEDAScaleTargetActivated' || event.reason === 'KEDAScaleTargetDeactivated')) {
      const { from, to } = parseKedaScale(message);
      markers.push({ function: fn, at, from, to, by: 'keda', kind: 'scale', reason: `${fn} ${from ?? '?'}→${to ?? '?'}: ${message}` });
    } else if (event.type === 'Warning') {
      markers.push({ function: fn, at, from: null, to: null, by: 'none', kind: 'hold', reason: `${fn}: ${event.reason ?? 'Warning'}: ${message}` });
    }
  }

  // The HPA says why it holds back in its ScalingLimited condition: one marker per transition.
  for (const hpa of objects.hpas.items) {
    const fn = byObject.get(`HorizontalPodAutoscaler/${hpa.metadata.name}`);
    const limited = condition(hpa.status?.conditions, 'ScalingLimited');
    if (!fn || !limited || limited.status !== 'True' || !limited.lastTransitionTime) continue;
    markers.push({
      function: fn,
      at: time(limited.lastTransitionTime),
      from: null,
      to: null,
      by: 'none',
      kind: 'hold',
      reason: `${fn}: ${limited.reason ?? 'ScalingLimited'}: ${limited.message ?? ''}`.trim(),
    });
  }

  // The HPA's events name only the new size: the count before is the previous change's.
  const last = new Map<string, number>();
  for (const marker of markers.sort((a, b) => a.at - b.at)) {
    if (marker.kind !== 'scale') continue;
    if (marker.from === null && last.has(marker.function)) {
      marker.from = last.get(marker.function)!;
      marker.reason = marker.reason.replace(` →${marker.to}`, ` ${marker.from}→${marker.to}`);
    }
    if (marker.to !== null) last.set(marker.function, marker.to);
  }
  return { functions: functions.sort((a, b) => a.info.name.localeCompare(b.info.name)), markers, coldStarts };
}
