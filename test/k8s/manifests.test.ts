import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { messageEvent } from '@qfn/events';
import { defineFunction } from '@qfn/shared';
import { loadFunctions } from '@qfn/tooling/functions';
import { driftedFiles, generatedFiles, kedaDir } from '../../scripts/helm/generated-files';
import { brokerKinds } from '@qfn/tooling/keda-manifests';
import { helmBinaries, parseManifests, render, valueSetsDir, type Manifest } from './support/helm';
import { triggerProblems } from './support/keda-rules';
import { schemaErrors } from './support/models';
import { createFieldChecker } from './support/strict-fields';

const packages = await loadFunctions();
const kubectlMissing = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' }).error !== undefined;
if (kubectlMissing) console.warn('test/k8s/manifests.test.ts: skipping "builds with kubectl kustomize": kubectl is not on PATH');

describe('npm run generate', () => {
  it('committed keda/, helm/values.yaml and helm/files/queue-specs.json are what the declarations generate', () => {
    expect(driftedFiles(generatedFiles(packages)), 'run `npm run generate` and commit').toEqual([]);
  });

  it('refuses a declaration KEDA cannot express, naming the field', () => {
    // KEDA's pollingInterval is whole seconds: the declaration says so, and so does the chart's schema generated from it.
    const fractional = () =>
      defineFunction({ name: 'too-eager', subscribes: ['x.y'], schema: messageEvent, handler: async () => {}, scaling: { pollingInterval: 0.5 } });
    expect(fractional).toThrowError(/^function too-eager: scaling\.pollingInterval /);
  });
});

describe.each(brokerKinds)('keda/%s', (broker) => {
  let documents: Manifest[];
  beforeAll(() => {
    documents = packages.flatMap((pkg) => parseManifests(readFileSync(join(kedaDir, broker, `${pkg.declaration.name}.yaml`), 'utf8')));
  });

  it('holds a ScaledObject and its TriggerAuthentications per function, valid against KEDA 2.19', () => {
    // RabbitMQ: the management API's and, for the AMQP activation trigger, AMQP's.
    const authentications = packages.map((pkg) => (broker === 'rabbitmq' && pkg.declaration.scaling.rabbitmq.activationOverAmqp ? 2 : 1));
    expect(documents.map((d) => d.kind)).toEqual(authentications.flatMap((n) => [...Array(n).fill('TriggerAuthentication'), 'ScaledObject']));
    expect(documents.flatMap(schemaErrors)).toEqual([]);
    const checkFields = createFieldChecker();
    expect(documents.flatMap((d) => checkFields(d))).toEqual([]);
  });

  it('uses trigger metadata and authentication parameters KEDA reads, credentials only from a Secret', () => {
    const auths = new Map(documents.filter((d) => d.kind === 'TriggerAuthentication').map((d) => [d.metadata.name, d.spec]));
    for (const scaledObject of documents.filter((d) => d.kind === 'ScaledObject')) {
      expect(triggerProblems(scaledObject, auths)).toEqual([]);
      expect(scaledObject.spec.scaleTargetRef.name).toBe(scaledObject.metadata.name);
    }
    for (const auth of auths.values()) expect(auth.secretTargetRef.length).toBeGreaterThan(0);
  });

  it('is exactly what the chart renders for the same function, broker and prefix', () => {
    const [binary] = helmBinaries();
    const valueFile = join(valueSetsDir, broker === 'rabbitmq' ? 'rabbitmq-values.yaml' : 'sqs-irsa-values.yaml');
    const rendered = render(binary!, { valueFiles: [valueFile] }).filter((m) => m.kind === 'ScaledObject');
    for (const pkg of packages) {
      const fn = pkg.declaration.name;
      const chart = rendered.find((so) => so.metadata.labels?.['qfn.dev/function'] === fn)!.spec;
      const standalone = documents.find((d) => d.kind === 'ScaledObject' && d.metadata.name === fn)!.spec;
      const comparable = (spec: any) => ({
        ...spec,
        scaleTargetRef: undefined,
        // names differ (release prefix); the chart gives SQS's region as metadata, keda/ reads it from the pod
        triggers: spec.triggers.map(({ authenticationRef: _, metadata: { awsRegion: __, ...metadata }, ...trigger }: any) => ({ ...trigger, metadata })),
      });
      expect(comparable(chart), fn).toEqual(comparable(standalone));
    }
  });

  // kubectl is optional here (the schema checks above still run): without it this one is skipped, and says so.
  it.skipIf(kubectlMissing)('builds with kubectl kustomize', () => {
    const result = spawnSync('kubectl', ['kustomize', join(kedaDir, broker)], { encoding: 'utf8' });
    expect(result.error).toBeUndefined();
    expect(result.stderr).toBe('');
    expect(parseManifests(result.stdout).filter((d) => d.kind === 'ScaledObject')).toHaveLength(packages.length);
  });
});
