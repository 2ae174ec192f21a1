import type { KubernetesApi } from './client';
import type { ClusterObjects } from './reader';
import type { Deployment, HorizontalPodAutoscaler, KubernetesEvent, List, ScaledObject } from './types';

/**
 * The four lists the console reads, in one go, each limited to the namespace (the Role allows no
 * more) and the objects to the release's label. Events cannot be filtered by label: the namespace's
 * ScaledObject and HPA events and its pods' container starts are read, and the reader keeps those of
 * the release's objects.
 */
export async function fetchClusterObjects(api: KubernetesApi, namespace: string, release: string): Promise<ClusterObjects> {
  const ns = encodeURIComponent(namespace);
  const selector = `labelSelector=${encodeURIComponent(`app.kubernetes.io/instance=${release}`)}`;
  const events = (fieldSelector: string) =>
    api.get<List<KubernetesEvent>>(`/api/v1/namespaces/${ns}/events?fieldSelector=${encodeURIComponent(fieldSelector)}`);
  const [deployments, hpas, scaledObjects, scaledObjectEvents, hpaEvents, podStarts] = await Promise.all([
    api.get<List<Deployment>>(`/apis/apps/v1/namespaces/${ns}/deployments?${selector}`),
    // Every HPA of the namespace: KEDA names and labels the ones it makes itself; they are matched by their target.
    api.get<List<HorizontalPodAutoscaler>>(`/apis/autoscaling/v2/namespaces/${ns}/horizontalpodautoscalers`),
    api.get<List<ScaledObject>>(`/apis/keda.sh/v1alpha1/namespaces/${ns}/scaledobjects?${selector}`),
    events('involvedObject.kind=ScaledObject'),
    events('involvedObject.kind=HorizontalPodAutoscaler'),
    events('involvedObject.kind=Pod,reason=Started'),
  ]);
  const all = { items: [...scaledObjectEvents.items, ...hpaEvents.items, ...podStarts.items] };
  return { deployments, hpas, scaledObjects, events: all };
}
