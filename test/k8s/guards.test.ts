import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { inlineCredentials } from './support/credentials';
import { helmBinaries, helmTemplate, render, valueSetsDir } from './support/helm';
import { podSecurityViolations } from './support/pod-security';
import { createFieldChecker } from './support/strict-fields';
import { effectiveValues } from './support/values';

const binaries = helmBinaries();
const rabbitmq = [join(valueSetsDir, 'rabbitmq-values.yaml')];

describe.each(binaries)('guard rails on Helm $version', (binary) => {
  it('refuses a cluster without KEDA, saying how to install it or render anyway', () => {
    const result = helmTemplate(binary, { valueFiles: rabbitmq, withKeda: false });
    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(/KEDA is not installed in this cluster: the API keda\.sh\/v1alpha1/);
    expect(result.stderr).toMatch(/helm install keda kedacore\/keda/);
    expect(render(binary, { valueFiles: rabbitmq, withKeda: false, set: { 'keda.requireApi': false } }).length).toBeGreaterThan(0);
  });

  it('refuses more possible Postgres connections than the server allows, itemised', () => {
    const values = effectiveValues(...rabbitmq);
    const shares = [
      ['publish', values.publish.autoscaling.maxReplicaCount, values.publish.poolSize],
      ...Object.entries(values.functions as Record<string, any>).map(([name, fn]) => [name, fn.scaling.maxReplicaCount, fn.poolSize]),
    ] as [string, number, number][];
    const total = shares.reduce((sum, [, replicas, pool]) => sum + replicas * pool, 0);
    const enough = total + values.database.reservedConnections;
    const result = helmTemplate(binary, { valueFiles: rabbitmq, set: { 'database.maxConnections': enough - 1 } });
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain(
      `Postgres connection budget exceeded: at maxReplicaCount the pods could open ${total} connections, but database.maxConnections ${enough - 1} - database.reservedConnections ${values.database.reservedConnections} leaves ${total - 1}.`,
    );
    expect(result.stderr).toContain(shares.map(([name, replicas, pool]) => `${name} ${replicas} x ${pool} = ${replicas * pool}`).join('; '));
    expect(helmTemplate(binary, { valueFiles: rabbitmq, set: { 'database.maxConnections': enough } }).status).toBe(0);
  });

  it('counts a per-function override and leaves a disabled function out of the budget', () => {
    const raised = helmTemplate(binary, { valueFiles: rabbitmq, set: { 'functions.run-job.scaling.maxReplicaCount': 1000 } });
    expect(raised.stderr).toMatch(/run-job 1000 x \d+ = \d+/);
    const disabled = { 'functions.run-job.scaling.maxReplicaCount': 1000, 'functions.run-job.enabled': false };
    expect(helmTemplate(binary, { valueFiles: rabbitmq, set: disabled }).status).toBe(0);
  });

  it('requires existingSecret, and a region with SQS', () => {
    const noSecret = helmTemplate(binary, {});
    expect(noSecret.status).not.toBe(0);
    expect(noSecret.stderr).toMatch(/existingSecret is required/);
    const noRegion = helmTemplate(binary, { valueFiles: rabbitmq, set: { 'broker.type': 'sqs' } });
    expect(noRegion.stderr).toMatch(/broker\.sqs\.region is required with broker\.type=sqs/);
  });

  it('rejects wrong values at install through values.schema.json', () => {
    const wrong: Record<string, string | number | boolean>[] = [
      { 'broker.type': 'kafka' },
      { 'publish.autoscaling.minReplicaCount': 0 },
      { 'functions.store-message.scaling.pollingInterval': 0 },
      { 'functions.store-mesage.image.tag': 'v2' },
      { 'podSecurityContext.runAsNonRoot': false },
      { 'securityContext.allowPrivilegeEscalation': true },
      { 'observability.logLevel': 'loud' },
      { 'observability.otlp.protocol': 'http/xml' },
      { 'observability.tracesSampler.name': 'sometimes' },
      { 'observability.tracesSampler.arg': '1.5' },
      { 'observability.resourceAttributes.team': 'a\\,b' },
    ];
    for (const set of wrong) {
      const result = helmTemplate(binary, { valueFiles: rabbitmq, set });
      expect(result.status, JSON.stringify(set)).not.toBe(0);
      expect(result.stderr, JSON.stringify(set)).toMatch(/values don't meet the specifications of the schema/);
    }
  });

  it('refuses fractional queue lengths with SQS, whose scaler takes integers', () => {
    const result = helmTemplate(binary, {
      valueFiles: [join(valueSetsDir, 'sqs-values.yaml')],
      set: { 'functions.run-job.scaling.targetQueueLength': 2.5 },
    });
    expect(result.stderr).toMatch(/functions\.run-job\.scaling: targetQueueLength and activationQueueLength must be whole numbers/);
  });
});

describe('the manifest checks themselves', () => {
  const [binary] = binaries;

  it('find a credential put into plain env values', () => {
    const manifests = render(binary!, {
      valueFiles: rabbitmq,
      set: { 'publish.env.DATABASE_URL': 'postgres://app:hunter22@db:5432/app', 'functions.run-job.env.NOTE': 'amqp://u:pw@mq' },
    });
    const found = inlineCredentials(manifests);
    expect(found).toContain('Deployment/qfn-publish container publish: DATABASE_URL is set inline; read it from existingSecret');
    expect(found.some((f) => f.startsWith('Deployment/qfn-run-job') && f.endsWith('looks like a URL with a password'))).toBe(true);
  });

  it('find a writable root filesystem and a misspelt field', () => {
    const manifests = render(binary!, {
      valueFiles: rabbitmq,
      set: { 'securityContext.readOnlyRootFilesystem': false, 'securityContext.readOnlyRootFileSystem': true },
    });
    expect(manifests.flatMap((m) => podSecurityViolations(m))).toContain('Deployment/qfn-publish container publish: root filesystem must be read-only');
    const publish = manifests.find((m) => m.kind === 'Deployment' && m.metadata.name === 'qfn-publish')!;
    expect(createFieldChecker()(publish)).toEqual(['.spec.template.spec.containers[0].securityContext.readOnlyRootFileSystem']);
  });
});
