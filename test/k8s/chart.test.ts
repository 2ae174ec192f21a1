import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '@qfn/shared/platform';
import { topologyNames } from '@qfn/shared/platform';
import { telemetryConfig } from '@qfn/shared/platform';
import { sqsQueueNames } from '@qfn/shared/platform';
import { loadFunctions } from '@qfn/tooling/functions';
import { inlineCredentials } from './support/credentials';
import { chartDir, helm, helmBinaries, helmLint, render, valueSetsDir, type Manifest } from './support/helm';
import { schemaErrors } from './support/models';
import { podSecurityViolations, podSpecOf } from './support/pod-security';
import { createFieldChecker, type FieldChecker } from './support/strict-fields';
import { triggerProblems } from './support/keda-rules';
import { effectiveValues } from './support/values';

const binaries = helmBinaries();
const declared = (await loadFunctions()).map((pkg) => pkg.declaration.name);

const valueSets = [
  { name: 'rabbitmq', file: 'rabbitmq-values.yaml' },
  { name: 'sqs', file: 'sqs-values.yaml' },
  { name: 'sqs with IAM roles', file: 'sqs-irsa-values.yaml' },
  { name: 'one function disabled', file: 'function-disabled-values.yaml' },
  { name: 'production-like', file: 'production-values.yaml' },
];

let checkFields: FieldChecker;
beforeAll(() => {
  checkFields = createFieldChecker();
});

const ofKind = (manifests: Manifest[], kind: string) => manifests.filter((m) => m.kind === kind);
const envOf = (container: any, name: string) => (container.env ?? []).find((e: any) => e.name === name);

it('finds Helm 3 and Helm 4', () => {
  expect(binaries.map((b) => b.major).sort()).toEqual(expect.arrayContaining([3, 4]));
});

describe.each(binaries)('chart on Helm $version', (binary) => {
  it.each(valueSets)('lints cleanly with the $name values', ({ file }) => {
    const result = helmLint(binary, { valueFiles: [join(valueSetsDir, file)], set: { 'keda.requireApi': false } });
    expect(result.stderr + result.stdout).toMatch(/1 chart\(s\) linted, 0 chart\(s\) failed/);
    expect(result.status).toBe(0);
  });

  describe.each(valueSets)('rendered with the $name values', ({ file }) => {
    const valueFile = join(valueSetsDir, file);
    const values = effectiveValues(valueFile);
    const enabled = Object.entries(values.functions as Record<string, any>)
      .filter(([, fn]) => fn.enabled)
      .map(([name]) => name);
    let manifests: Manifest[];
    beforeAll(() => {
      manifests = render(binary, { valueFiles: [valueFile] });
    });

    it('passes the Kubernetes and KEDA 2.19 schemas, document by document', () => {
      expect(manifests.length).toBeGreaterThan(5);
      expect(manifests.flatMap((m) => schemaErrors(m).map((e) => `${m.kind}/${m.metadata.name}: ${e}`))).toEqual([]);
    });

    it('has no field its kind does not know', () => {
      expect(manifests.flatMap((m) => checkFields(m).map((f) => `${m.kind}/${m.metadata.name}${f}`))).toEqual([]);
    });

    it('runs every pod under Pod Security Standards "restricted", read-only root, /tmp on an emptyDir, no API token', () => {
      const pods = manifests.filter((m) => podSpecOf(m));
      expect(pods.length).toBe(enabled.length + 1 + 2 + 1); // functions, publish, migrate + provision hooks, helm test
      expect(pods.flatMap((m) => podSecurityViolations(m))).toEqual([]);
      const serviceAccount = ofKind(manifests, 'ServiceAccount')[0];
      expect(serviceAccount?.automountServiceAccountToken).toBe(false);
    });

    it('gives each enabled function one Deployment and one ScaledObject targeting it, with its declared scaling', () => {
      const deployments = ofKind(manifests, 'Deployment').filter((d) => d.metadata.labels?.['qfn.dev/function']);
      expect(deployments.map((d) => d.metadata.labels!['qfn.dev/function']).sort()).toEqual([...enabled].sort());
      const scaledObjects = ofKind(manifests, 'ScaledObject');
      expect(scaledObjects).toHaveLength(enabled.length + 1);
      for (const name of enabled) {
        const fn = values.functions[name];
        const deployment = deployments.find((d) => d.metadata.labels!['qfn.dev/function'] === name)!;
        const targeting = scaledObjects.filter((so) => so.spec.scaleTargetRef.name === deployment.metadata.name);
        expect(targeting, name).toHaveLength(1);
        const spec = targeting[0]!.spec;
        expect(spec.scaleTargetRef.kind ?? 'Deployment').toBe('Deployment');
        expect(deployment.spec.replicas, 'replicas belong to KEDA').toBeUndefined();
        expect({
          minReplicaCount: spec.minReplicaCount,
          maxReplicaCount: spec.maxReplicaCount,
          pollingInterval: spec.pollingInterval,
          cooldownPeriod: spec.cooldownPeriod,
          stabilization: spec.advanced.horizontalPodAutoscalerConfig.behavior.scaleDown.stabilizationWindowSeconds,
        }).toEqual({
          minReplicaCount: fn.scaling.minReplicaCount,
          maxReplicaCount: fn.scaling.maxReplicaCount,
          pollingInterval: fn.scaling.pollingInterval,
          cooldownPeriod: fn.scaling.cooldownPeriod,
          stabilization: fn.scaling.scaleDownStabilizationWindowSeconds,
        });
        const pod = deployment.spec.template.spec;
        expect(pod.terminationGracePeriodSeconds).toBe(fn.shutdownGracePeriodSeconds + values.functionDefaults.drainMarginSeconds);
        const container = pod.containers[0];
        expect(envOf(container, 'DATABASE_POOL_SIZE').value).toBe(String(fn.poolSize));
        expect(envOf(container, 'FUNCTION_CONCURRENCY').value).toBe(String(fn.concurrency));
        expect(envOf(container, 'BROKER').value).toBe(values.broker.type);
        expect(container.image).toMatch(new RegExp(`qfn-${name}:${fn.image.tag || values.global.imageTag || '0.1.0'}$`));
        expect(container.readinessProbe.httpGet.path).toBe('/readyz');
        expect(container.livenessProbe.httpGet.path).toBe('/healthz');
      }
    });

    it('scales functions on their queues with triggers and metadata KEDA knows, credentials only by reference', () => {
      const auths = new Map(ofKind(manifests, 'TriggerAuthentication').map((a) => [a.metadata.name, a.spec]));
      const prefix = values.broker.queuePrefix;
      for (const so of ofKind(manifests, 'ScaledObject')) {
        expect(triggerProblems(so, auths)).toEqual([]);
        for (const trigger of so.spec.triggers) {
          if (trigger.type === 'cpu') continue;
          const auth = auths.get(trigger.authenticationRef.name);
          for (const ref of auth.secretTargetRef ?? []) expect(ref.name).toBe(values.existingSecret);
          const fn = so.metadata.labels!['qfn.dev/function']!;
          const scaling = values.functions[fn].scaling;
          if (trigger.type === 'rabbitmq') {
            expect(values.broker.type).toBe('rabbitmq');
            expect(trigger.name).toBe(trigger.metadata.protocol === 'amqp' ? 'activation' : 'queue');
            expect(trigger.metadata).toMatchObject({
              protocol: trigger.name === 'activation' ? 'amqp' : 'http',
              mode: trigger.name === 'activation' ? 'QueueLength' : scaling.rabbitmq.mode,
              value: String(scaling.targetQueueLength),
              activationValue: String(scaling.activationQueueLength),
              queueName: topologyNames(prefix).queue(fn),
            });
            expect(auth.secretTargetRef.map((r: any) => r.parameter)).toEqual(['host']);
          } else {
            expect(trigger.type).toBe('aws-sqs-queue');
            expect(trigger.metadata).toMatchObject({
              queueLength: String(scaling.targetQueueLength),
              activationQueueLength: String(scaling.activationQueueLength),
              scaleOnInFlight: String(scaling.sqs.scaleOnInFlight),
              scaleOnDelayed: String(scaling.sqs.scaleOnDelayed),
              awsRegion: values.broker.sqs.region,
            });
            expect(trigger.metadata.queueURL.split('/').pop()).toBe(sqsQueueNames(prefix).queue(fn));
            if (values.broker.sqs.kedaAuth === 'podIdentity') expect(auth.podIdentity.provider).toBe('aws');
            else expect(auth.secretTargetRef.map((r: any) => r.parameter).sort()).toEqual(['awsAccessKeyID', 'awsSecretAccessKey']);
          }
        }
      }
    });

    it('serves publish behind a Service, scaled on CPU by KEDA and never to zero', () => {
      const so = ofKind(manifests, 'ScaledObject').find((s) => s.metadata.labels!['app.kubernetes.io/component'] === 'publish')!;
      expect(so.spec.minReplicaCount).toBeGreaterThanOrEqual(1);
      expect(so.spec.triggers.map((t: any) => t.type)).toEqual(['cpu']);
      const deployment = ofKind(manifests, 'Deployment').find((d) => d.metadata.name === so.spec.scaleTargetRef.name)!;
      const container = deployment.spec.template.spec.containers[0];
      expect(container.resources.requests.cpu).toBeDefined();
      expect(envOf(container, 'PUBLISH_API_TOKENS').valueFrom.secretKeyRef, 'auth is required by default').not.toHaveProperty('optional');
      const service = ofKind(manifests, 'Service')[0]!;
      expect(service.spec.selector).toEqual(deployment.spec.selector.matchLabels);
      expect(ofKind(manifests, 'Ingress')).toHaveLength(values.publish.ingress.enabled ? 1 : 0);
    });

    it("migrates, then provisions the enabled functions' queues, as ordered hooks; helm test round-trips a message", () => {
      const jobs = ofKind(manifests, 'Job');
      const hook = (component: string) => jobs.find((j) => j.metadata.labels!['app.kubernetes.io/component'] === component)!;
      const [migrate, provision] = [hook('migrate'), hook('provision')];
      for (const job of [migrate, provision]) {
        expect(job.metadata.annotations).toMatchObject({
          'helm.sh/hook': 'pre-install,pre-upgrade',
          'helm.sh/hook-delete-policy': 'before-hook-creation,hook-succeeded',
        });
        expect(job.spec.backoffLimit).toBeGreaterThanOrEqual(0);
        expect(job.spec.activeDeadlineSeconds).toBeGreaterThan(0);
        expect(envOf(job.spec.template.spec.containers[0], 'DATABASE_URL').valueFrom.secretKeyRef.name).toBe(values.existingSecret);
      }
      expect(Number(migrate.metadata.annotations!['helm.sh/hook-weight'])).toBeLessThan(Number(provision.metadata.annotations!['helm.sh/hook-weight']));
      expect(envOf(migrate.spec.template.spec.containers[0], 'MIGRATE_WAIT_SECONDS').value).toBe(String(values.migrations.waitSeconds));
      const specs = JSON.parse(envOf(provision.spec.template.spec.containers[0], 'QUEUE_SPECS').value);
      expect(specs.map((s: any) => s.name).sort()).toEqual([...enabled].sort());
      const test = ofKind(manifests, 'Pod')[0]!;
      expect(test.metadata.annotations!['helm.sh/hook']).toBe('test');
      expect(envOf(test.spec.containers[0], 'EXPECT_STORED').value).toBe(String(enabled.includes('store-message')));
    });

    it('names every workload in its telemetry: service, release, namespace, pod, node and Deployment or Job, from the downward API', () => {
      const workloads = manifests.filter((m) => m.kind === 'Deployment' || m.kind === 'Job');
      expect(workloads).toHaveLength(enabled.length + 1 + 2);
      const downward = { POD_NAME: 'metadata.name', POD_NAMESPACE: 'metadata.namespace', NODE_NAME: 'spec.nodeName' } as const;
      const kubelet = { POD_NAME: 'qfn-run-job-5d8f-x2x9q', POD_NAMESPACE: 'events', NODE_NAME: 'node-1' } as const;
      for (const workload of workloads) {
        const container = podSpecOf(workload)!.containers[0];
        const names: string[] = container.env.map((e: any) => e.name);
        for (const [variable, field] of Object.entries(downward)) {
          expect(envOf(container, variable).valueFrom.fieldRef.fieldPath).toBe(field);
          expect(names.indexOf(variable), `${variable} is defined before OTEL_RESOURCE_ATTRIBUTES refers to it`).toBeLessThan(
            names.indexOf('OTEL_RESOURCE_ATTRIBUTES'),
          );
        }
        // What the kubelet hands the process: $(NAME) expanded from the variables above.
        const expanded = String(envOf(container, 'OTEL_RESOURCE_ATTRIBUTES').value).replace(
          /\$\(([A-Z_]+)\)/g,
          (_, name: keyof typeof kubelet) => kubelet[name],
        );
        const attributes = Object.fromEntries(expanded.split(',').map((pair) => pair.split('=')));
        expect(attributes, `${workload.kind}/${workload.metadata.name}`).toEqual({
          'service.name': envOf(container, 'OTEL_SERVICE_NAME').value,
          'service.namespace': 'qfn',
          'k8s.namespace.name': 'events',
          'k8s.pod.name': kubelet.POD_NAME,
          'k8s.node.name': 'node-1',
          [`k8s.${workload.kind.toLowerCase()}.name`]: workload.metadata.name,
          ...values.observability.resourceAttributes,
        });
        const plain = Object.fromEntries(container.env.filter((e: any) => 'value' in e).map((e: any) => [e.name, String(e.value)]));
        const otel = parseConfig(telemetryConfig, { ...plain, OTEL_RESOURCE_ATTRIBUTES: expanded });
        const { otlp, tracesSampler } = values.observability;
        expect({
          endpoint: otel.OTEL_EXPORTER_OTLP_ENDPOINT,
          protocol: otel.OTEL_EXPORTER_OTLP_PROTOCOL,
          interval: otel.OTEL_EXPORTER_OTLP_ENDPOINT ? otel.OTEL_METRIC_EXPORT_INTERVAL : undefined,
          sampler: otel.OTEL_TRACES_SAMPLER,
          samplerArg: otel.OTEL_TRACES_SAMPLER_ARG,
        }).toEqual({
          endpoint: otlp.endpoint || undefined,
          protocol: otlp.endpoint ? otlp.protocol : undefined,
          interval: otlp.endpoint ? otlp.metricExportIntervalMillis : undefined,
          sampler: tracesSampler.name,
          samplerArg: tracesSampler.arg === undefined ? undefined : String(tracesSampler.arg),
        });
      }
    });

    it('holds no credentials: every secret comes from existingSecret', () => {
      expect(inlineCredentials(manifests)).toEqual([]);
    });

    it('admits traffic only to the publish port (and metrics when scraped)', () => {
      const policies = ofKind(manifests, 'NetworkPolicy');
      expect(policies).toHaveLength(2);
      const publish = policies.find((p) => p.spec.podSelector.matchLabels?.['app.kubernetes.io/component'] === 'publish')!;
      const workers = policies.find((p) => p !== publish)!;
      const ports = (policy: Manifest) => policy.spec.ingress.flatMap((rule: any) => rule.ports.map((p: any) => p.port));
      const metrics = values.observability.prometheus.enabled ? ['metrics'] : [];
      expect(ports(publish)).toEqual(['http', ...metrics]);
      expect(ports(workers)).toEqual(metrics);
      for (const policy of policies) {
        expect(policy.spec.policyTypes).toEqual(['Ingress', 'Egress']);
        const egressPorts = policy.spec.egress.flatMap((rule: any) => rule.ports.map((p: any) => p.port));
        expect(egressPorts).toEqual(expect.arrayContaining([53, values.database.port]));
      }
    });
  });

  it('packages into a chart that renders the same, without the test value sets or the dev chart', () => {
    const out = mkdtempSync(join(tmpdir(), 'qfn-chart-'));
    try {
      const packaged = helm(binary, ['package', chartDir, '--destination', out]);
      expect(packaged.status, packaged.stderr).toBe(0);
      const archive = join(out, 'qfn-0.1.0.tgz');
      const files = spawnSync('tar', ['-tzf', archive], { encoding: 'utf8' }).stdout.split('\n');
      expect(files).toEqual(expect.arrayContaining(['qfn/values.schema.json', 'qfn/files/queue-specs.json', 'qfn/files/smoke-test.mjs']));
      expect(files.filter((file) => file.startsWith('qfn/ci/') || file.startsWith('qfn/dev-infra/'))).toEqual([]);
      const valueFiles = [join(valueSetsDir, 'production-values.yaml')];
      expect(render(binary, { chart: archive, valueFiles })).toEqual(render(binary, { valueFiles }));
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  // Helm 3's client-only dry run still asks a cluster for its version; Helm 4's does not.
  it.runIf(binary.major >= 4)('tells the user how to reach publish, send a message and watch the functions scale', () => {
    const args = [
      'install',
      'qfn',
      chartDir,
      '--dry-run=client',
      '--namespace',
      'events',
      '--values',
      join(valueSetsDir, 'rabbitmq-values.yaml'),
      '--set',
      'keda.requireApi=false',
    ];
    const result = spawnSync(binary.path, args, { encoding: 'utf8', env: { ...process.env, KUBECONFIG: '/nonexistent' } });
    expect(result.status, result.stderr).toBe(0);
    const notes = result.stdout.slice(result.stdout.indexOf('NOTES:'));
    expect(notes).toContain('kubectl --namespace events port-forward service/qfn-publish 3000:80');
    expect(notes).toContain('curl -sS -X POST "$QFN_URL/message/publish" -H "authorization: Bearer $QFN_TOKEN"');
    expect(notes).toContain('kubectl --namespace events get scaledobject,hpa,deploy -l app.kubernetes.io/instance=qfn -w');
    expect(notes).toContain('helm test qfn --namespace events');
    for (const name of declared) expect(notes).toContain(`  - ${name}: `);
  });

  it('rolls only the deployed function when npm run deploy changes its tag', () => {
    const base = join(valueSetsDir, 'rabbitmq-values.yaml');
    const before = render(binary, { valueFiles: [base] });
    const after = render(binary, { valueFiles: [base], set: { 'functions.store-message.image.tag': '1.10' } });
    const changed = after.filter((doc, index) => JSON.stringify(doc) !== JSON.stringify(before[index]));
    expect(changed.map((m) => `${m.kind}/${m.metadata.name}`)).toEqual(['Deployment/qfn-store-message']);
    expect(changed[0]!.spec.template.spec.containers[0].image).toBe('qfn-store-message:1.10');
  });
});
