import { ScaledObject, TriggerAuthentication } from '@kubernetes-models/keda/keda.sh/v1alpha1';
import { Deployment } from 'kubernetes-models/apps/v1';
import { Job } from 'kubernetes-models/batch/v1';
import { Ingress, NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { Role, RoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1';
import { ConfigMap, Pod, Secret, Service, ServiceAccount } from 'kubernetes-models/v1';
import type { Manifest } from './helm';

type Validating = { validate(): void };

/** Kubernetes 1.x and KEDA 2.19 schemas (kubernetes-models, @kubernetes-models/keda) by apiVersion/kind. */
const models: Record<string, (data: any) => Validating> = {
  'v1/Pod': (data) => new Pod(data),
  'v1/Service': (data) => new Service(data),
  'v1/ServiceAccount': (data) => new ServiceAccount(data),
  'v1/Secret': (data) => new Secret(data),
  'v1/ConfigMap': (data) => new ConfigMap(data),
  'apps/v1/Deployment': (data) => new Deployment(data),
  'batch/v1/Job': (data) => new Job(data),
  'networking.k8s.io/v1/NetworkPolicy': (data) => new NetworkPolicy(data),
  'networking.k8s.io/v1/Ingress': (data) => new Ingress(data),
  'policy/v1/PodDisruptionBudget': (data) => new PodDisruptionBudget(data),
  'rbac.authorization.k8s.io/v1/Role': (data) => new Role(data),
  'rbac.authorization.k8s.io/v1/RoleBinding': (data) => new RoleBinding(data),
  'keda.sh/v1alpha1/ScaledObject': (data) => new ScaledObject(data),
  'keda.sh/v1alpha1/TriggerAuthentication': (data) => new TriggerAuthentication(data),
};

/** Schema errors of one manifest (none when valid); a kind without a schema is an error too. */
export function schemaErrors(manifest: Manifest): string[] {
  const model = models[`${manifest.apiVersion}/${manifest.kind}`];
  if (!model) return [`no schema for ${manifest.apiVersion}/${manifest.kind}`];
  try {
    model(manifest).validate();
    return [];
  } catch (error) {
    return [(error as Error).message];
  }
}
