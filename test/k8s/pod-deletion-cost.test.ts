import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { helmBinaries, render, valueSetsDir, type Manifest } from './support/helm';
import { schemaErrors } from './support/models';
import { podSecurityViolations } from './support/pod-security';

/**
 * Scale-in removes idle replicas first on a cluster: each function pod patches its own
 * controller.kubernetes.io/pod-deletion-cost (shared/src/runtime/in-flight-report.ts), with a token
 * mounted in function pods only and a Role that allows patching pods, nothing more; opt-out in values.
 */
const [binary] = helmBinaries();
const valueFiles = [join(valueSetsDir, 'rabbitmq-values.yaml')];
const functionDeployments = (manifests: Manifest[]) => manifests.filter((m) => m.kind === 'Deployment' && m.metadata.labels?.['qfn.dev/function']);
/** The chart's pod-deletion-cost RBAC (other features may bring Roles of their own). */
const deletionCostRbac = (manifests: Manifest[]) =>
  manifests.filter((m) => (m.kind === 'Role' || m.kind === 'RoleBinding') && m.metadata.labels?.['app.kubernetes.io/component'] === 'pod-deletion-cost');
const envOf = (deployment: Manifest, name: string) => deployment.spec.template.spec.containers[0].env.find((e: any) => e.name === name);

describe('pod-deletion-cost in the chart', () => {
  it('is on by default: a Role that may only patch pods, bound to the pods’ ServiceAccount, a token in function pods only', () => {
    const manifests = render(binary!, { valueFiles });
    const role = deletionCostRbac(manifests).find((m) => m.kind === 'Role')!;
    expect(role.rules).toEqual([{ apiGroups: [''], resources: ['pods'], verbs: ['patch'] }]);
    const binding = deletionCostRbac(manifests).find((m) => m.kind === 'RoleBinding')!;
    const serviceAccount = manifests.find((m) => m.kind === 'ServiceAccount')!;
    expect(binding.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: role.metadata.name });
    expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: serviceAccount.metadata.name, namespace: 'events' }]);
    expect([role, binding].flatMap(schemaErrors)).toEqual([]);

    for (const deployment of functionDeployments(manifests)) {
      const pod = deployment.spec.template.spec;
      expect(envOf(deployment, 'POD_DELETION_COST').value).toBe('true');
      expect(envOf(deployment, 'POD_DELETION_COST_INTERVAL_SECONDS').value).toBe('5');
      expect(envOf(deployment, 'POD_NAME').valueFrom.fieldRef.fieldPath).toBe('metadata.name');
      expect(pod.automountServiceAccountToken).toBe(false);
      const volume = pod.volumes.find((v: any) => v.name === 'kube-api-access');
      expect(volume.projected.sources.map((s: any) => Object.keys(s)[0])).toEqual(['serviceAccountToken', 'configMap']);
      expect(pod.containers[0].volumeMounts).toContainEqual({
        name: 'kube-api-access',
        mountPath: '/var/run/secrets/kubernetes.io/serviceaccount',
        readOnly: true,
      });
      expect(podSecurityViolations(deployment)).toEqual([]);
    }
    const publish = manifests.find((m) => m.kind === 'Deployment' && m.metadata.labels?.['app.kubernetes.io/component'] === 'publish')!;
    expect(publish.spec.template.spec.volumes.map((v: any) => v.name)).not.toContain('kube-api-access');
    const workers = manifests.find((m) => m.kind === 'NetworkPolicy' && m.metadata.name.endsWith('-workers'))!;
    expect(workers.spec.egress).toContainEqual({
      ports: [
        { port: 443, protocol: 'TCP' },
        { port: 6443, protocol: 'TCP' },
      ],
    });
  });

  it('is off with functionDefaults.podDeletionCost.enabled=false: no Role, no token, no API egress', () => {
    const manifests = render(binary!, { valueFiles, set: { 'functionDefaults.podDeletionCost.enabled': false } });
    expect(deletionCostRbac(manifests)).toEqual([]);
    for (const deployment of functionDeployments(manifests)) {
      expect(envOf(deployment, 'POD_DELETION_COST')).toBeUndefined();
      expect(deployment.spec.template.spec.volumes.map((v: any) => v.name)).not.toContain('kube-api-access');
    }
    const workers = manifests.find((m) => m.kind === 'NetworkPolicy' && m.metadata.name.endsWith('-workers'))!;
    expect(JSON.stringify(workers.spec.egress)).not.toContain('6443');
  });
});
