import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { helmBinaries, helmTemplate, render, valueSetsDir, type Manifest } from './support/helm';
import { triggerProblems } from './support/keda-rules';
import { schemaErrors } from './support/models';
import { createFieldChecker } from './support/strict-fields';

/**
 * The publish function's push scaler in the chart: a function with scaling.pushActivation gets an
 * external-push trigger whose scalerAddress is the publish Service's gRPC port, and the publish pods serve
 * that port (PUSH_SCALER_PORT), the Service exposes it and the NetworkPolicy admits it; without such a
 * function none of it is rendered.
 */
const [binary] = helmBinaries();
const rabbitmq = join(valueSetsDir, 'rabbitmq-values.yaml');
const byKind = (manifests: Manifest[], kind: string, name: string) => manifests.find((m) => m.kind === kind && m.metadata.name === name)!;
const publishContainer = (manifests: Manifest[]) => byKind(manifests, 'Deployment', 'qfn-publish').spec.template.spec.containers[0];
const kedaFrom = [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'keda' } }, podSelector: { matchLabels: { app: 'keda-operator' } } }];

describe.each(helmBinaries().map((b) => [b.version, b] as const))('push scaler on Helm %s', (_, helm) => {
  it('renders the external-push trigger, the gRPC port on the publish pods and Service, and the NetworkPolicy rule', () => {
    const manifests = render(helm, {
      valueFiles: [rabbitmq],
      set: { 'functions.store-message.scaling.pushActivation': true, 'publish.pushScaler.from': kedaFrom as never, 'publish.pushScaler.port': 9191 },
    });
    const scaledObject = byKind(manifests, 'ScaledObject', 'qfn-store-message');
    expect(scaledObject.spec.triggers.map((t: any) => t.name)).toEqual(['queue', 'activation', 'push']);
    expect(scaledObject.spec.triggers.at(-1)).toEqual({
      type: 'external-push',
      name: 'push',
      metadata: { scalerAddress: 'qfn-publish.events.svc.cluster.local:9191', function: 'store-message' },
    });
    const auths = new Map(manifests.filter((m) => m.kind === 'TriggerAuthentication').map((m) => [m.metadata.name, m.spec]));
    expect(triggerProblems(scaledObject, auths)).toEqual([]);
    expect(schemaErrors(scaledObject)).toEqual([]);
    expect(createFieldChecker()(scaledObject)).toEqual([]);
    // Another function without it keeps its broker triggers only.
    expect(byKind(manifests, 'ScaledObject', 'qfn-run-job').spec.triggers.map((t: any) => t.name)).toEqual(['queue', 'activation']);

    const container = publishContainer(manifests);
    expect(container.env.filter((e: any) => e.name.startsWith('PUSH_SCALER_'))).toEqual([
      { name: 'PUSH_SCALER_PORT', value: '9191' },
      { name: 'PUSH_SCALER_IDLE_SECONDS', value: '10' },
    ]);
    expect(container.ports).toContainEqual({ name: 'push-scaler', containerPort: 9191, protocol: 'TCP' });
    const service = byKind(manifests, 'Service', 'qfn-publish');
    expect(service.spec.ports).toContainEqual({ name: 'push-scaler', port: 9191, targetPort: 'push-scaler', protocol: 'TCP', appProtocol: 'grpc' });
    const policy = byKind(manifests, 'NetworkPolicy', 'qfn-publish');
    expect(policy.spec.ingress).toContainEqual({ ports: [{ port: 'push-scaler', protocol: 'TCP' }], from: kedaFrom });
    for (const m of [service, policy, byKind(manifests, 'Deployment', 'qfn-publish')]) expect(schemaErrors(m), `${m.kind}`).toEqual([]);
  });

  it('renders none of it while no enabled function asks for it', () => {
    const manifests = render(helm, {
      valueFiles: [rabbitmq],
      set: { 'functions.store-message.scaling.pushActivation': true, 'functions.store-message.enabled': false },
    });
    expect(
      manifests
        .filter((m) => m.kind === 'ScaledObject')
        .flatMap((m) => m.spec.triggers)
        .filter((t: any) => t.type === 'external-push'),
    ).toEqual([]);
    expect(publishContainer(manifests).env.map((e: any) => e.name)).not.toContain('PUSH_SCALER_PORT');
    expect(byKind(manifests, 'Service', 'qfn-publish').spec.ports.map((p: any) => p.name)).toEqual(['http']);
    expect(JSON.stringify(byKind(manifests, 'NetworkPolicy', 'qfn-publish').spec.ingress)).not.toContain('push-scaler');
  });

  it('refuses a bad push scaler port', () => {
    const result = helmTemplate(helm, { valueFiles: [rabbitmq], set: { 'publish.pushScaler.port': 70000 } });
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain('pushScaler');
  });
});

it('has a Helm binary to render with', () => expect(binary).toBeDefined());
