import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Role, RoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1';
import { helmBinaries, helmTemplate, render, valueSetsDir, type Manifest } from '../k8s/support/helm';
import { schemaErrors } from '../k8s/support/models';
import { createFieldChecker } from '../k8s/support/strict-fields';

const binaries = helmBinaries();
const valueFile = join(valueSetsDir, 'sqs-irsa-values.yaml');
const ofKind = (manifests: Manifest[], kind: string) => manifests.filter((m) => m.kind === kind);
const podSpec = (m: Manifest) => m.spec.template.spec;

describe.each(binaries)('the chart’s console access (Helm $version)', (binary) => {
  it('is off by default: no console Role, no API token in the publish pods', () => {
    const manifests = render(binary, { valueFiles: [valueFile] });
    expect(manifests.filter((m) => m.metadata.name.endsWith('-console'))).toEqual([]);
    const publish = ofKind(manifests, 'Deployment').find((d) => d.metadata.labels?.['app.kubernetes.io/component'] === 'publish')!;
    expect(podSpec(publish).automountServiceAccountToken).toBe(false);
    expect(JSON.stringify(podSpec(publish).volumes ?? [])).not.toContain('serviceAccountToken');
  });

  it('with console.enabled: a read-only Role on the release namespace for Deployments, HPAs, ScaledObjects and Events, bound to the publish pods only', () => {
    const manifests = render(binary, { valueFiles: [valueFile], set: { 'console.enabled': true }, namespace: 'shop', release: 'orders' });
    const checkFields = createFieldChecker();
    // The shared checker knows no RBAC kinds: those are validated against their own schemas here.
    const rbac = (m: Manifest) => m.apiVersion === 'rbac.authorization.k8s.io/v1';
    expect(manifests.filter((m) => !rbac(m)).flatMap((m) => [...schemaErrors(m), ...checkFields(m)].map((e) => `${m.kind}/${m.metadata.name}: ${e}`))).toEqual(
      [],
    );
    for (const m of manifests.filter(rbac)) expect(() => (m.kind === 'Role' ? new Role(m as never) : new RoleBinding(m as never)).validate()).not.toThrow();
    expect(ofKind(manifests, 'ClusterRole').concat(ofKind(manifests, 'ClusterRoleBinding'))).toEqual([]);

    const [role] = ofKind(manifests, 'Role');
    const rules = (role as unknown as { rules: { apiGroups: string[]; resources: string[]; verbs: string[] }[] }).rules;
    expect(rules.flatMap((r) => r.verbs).every((verb) => ['get', 'list', 'watch'].includes(verb))).toBe(true);
    expect(rules.flatMap((r) => r.apiGroups.flatMap((group) => r.resources.map((resource) => `${group || 'core'}/${resource}`))).sort()).toEqual([
      'apps/deployments',
      'autoscaling/horizontalpodautoscalers',
      'core/events',
      'keda.sh/scaledobjects',
    ]);
    const [binding] = ofKind(manifests, 'RoleBinding') as unknown as {
      roleRef: { kind: string; name: string };
      subjects: { kind: string; name: string; namespace: string }[];
    }[];
    expect(binding!.roleRef).toMatchObject({ kind: 'Role', name: role!.metadata.name });
    expect(binding!.subjects).toEqual([{ kind: 'ServiceAccount', name: 'orders-qfn-console', namespace: 'shop' }]);

    const deployments = ofKind(manifests, 'Deployment');
    const publish = deployments.find((d) => d.metadata.labels?.['app.kubernetes.io/component'] === 'publish')!;
    expect(podSpec(publish)).toMatchObject({ serviceAccountName: 'orders-qfn-console', automountServiceAccountToken: true });
    const env = Object.fromEntries(
      podSpec(publish)
        .containers[0].env.filter((e: { value?: string }) => e.value !== undefined)
        .map((e: { name: string; value: string }) => [e.name, e.value]),
    );
    expect(env).toMatchObject({ CONSOLE_KUBERNETES: 'true', CONSOLE_RELEASE: 'orders' });
    for (const fn of deployments.filter((d) => d !== publish)) {
      expect(podSpec(fn).automountServiceAccountToken, fn.metadata.name).toBe(false);
      expect(podSpec(fn).serviceAccountName).not.toBe('orders-qfn-console');
    }

    // The publish pods keep their cloud identity (IRSA for SQS) on the console's ServiceAccount.
    const accounts = ofKind(manifests, 'ServiceAccount');
    const consoleAccount = accounts.find((a) => a.metadata.name === 'orders-qfn-console')!;
    const shared = accounts.find((a) => a !== consoleAccount)!;
    expect(consoleAccount.metadata.annotations).toEqual(shared.metadata.annotations);
    expect((consoleAccount as unknown as { automountServiceAccountToken: boolean }).automountServiceAccountToken).toBe(false);

    const policy = ofKind(manifests, 'NetworkPolicy').find((p) => p.metadata.name === 'orders-qfn-console')!;
    expect(policy.spec.podSelector.matchLabels['app.kubernetes.io/component']).toBe('publish');
    expect(policy.spec.egress[0].ports.map((p: { port: number }) => p.port)).toEqual([443, 6443]);
  });

  it('refuses unknown console values at install time', () => {
    const result = helmTemplate(binary, { valueFiles: [valueFile], set: { 'console.enable': true } });
    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(/console|additional properties/i);
  });
});
