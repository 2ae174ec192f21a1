/**
 * The console's Kubernetes reader against a real API server and a real KEDA (the local cluster of
 * cluster/up.sh), as the publish pod's ServiceAccount with the chart's own read-only Role: a Deployment
 * scaled 0 → N → 0 by a ScaledObject whose metrics-api trigger reads a queue length this test serves.
 *
 *   npx vitest run --config test/console/vitest.cluster.config.ts    (with the cluster up)
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inClusterApi } from '../../console/kubernetes/client';
import { fetchClusterObjects } from '../../console/kubernetes/fetch';
import { readClusterScaling, type ClusterReading } from '../../console/kubernetes/reader';
import { helmBinaries, render } from '../k8s/support/helm';
import { waitFor } from '../support/wait';
import { repoRoot } from './support';

const clusterEnv = Object.fromEntries(
  execFileSync('bash', [join(repoRoot, 'cluster', 'up.sh'), '--print-env'], { encoding: 'utf8' })
    .trim()
    .split('\n')
    .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
) as Record<string, string>;
const pauseImage = /PAUSE_IMAGE=(\S+)/.exec(execFileSync('bash', [join(repoRoot, 'cluster', 'build.sh'), '--env'], { encoding: 'utf8' }))![1]!;
const kubectl = (args: string[], input?: string) =>
  execFileSync(clusterEnv['KUBECTL']!, args, { encoding: 'utf8', env: { ...process.env, KUBECONFIG: clusterEnv['KUBECONFIG']! }, ...(input ? { input } : {}) });
const apiUrl = new URL(clusterEnv['KUBE_API']!);

describe('the console reading a real cluster', () => {
  const namespace = `console-${randomBytes(3).toString('hex')}`;
  const release = 'qfn';
  let depth = 0;
  const metrics = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ depth }));
  });
  let credentialsDir: string;

  beforeAll(async () => {
    await new Promise<void>((resolve) => metrics.listen(0, '127.0.0.1', resolve));
    const port = (metrics.address() as AddressInfo).port;
    kubectl(['create', 'namespace', namespace]);
    // The chart's own console ServiceAccount, Role and RoleBinding, rendered for this namespace.
    const rbac = render(helmBinaries()[0]!, {
      valueFiles: [join(repoRoot, 'helm', 'ci', 'rabbitmq-values.yaml')],
      set: { 'console.enabled': true },
      namespace,
      release,
    }).filter((m) => ['Role', 'RoleBinding', 'ServiceAccount'].includes(m.kind) && m.metadata.name.endsWith('-console'));
    expect(rbac.map((m) => m.kind).sort()).toEqual(['Role', 'RoleBinding', 'ServiceAccount']);
    kubectl(['-n', namespace, 'apply', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'List', items: rbac }));
    const labels = {
      'app.kubernetes.io/instance': release,
      'app.kubernetes.io/name': 'qfn',
      'app.kubernetes.io/component': 'store-message',
      'qfn.dev/function': 'store-message',
    };
    const objects = [
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'qfn-store-message', labels },
        spec: {
          replicas: 0,
          selector: { matchLabels: { 'app.kubernetes.io/component': 'store-message' } },
          template: {
            metadata: { labels },
            spec: {
              automountServiceAccountToken: false,
              terminationGracePeriodSeconds: 0,
              containers: [{ name: 'store-message', image: pauseImage, imagePullPolicy: 'Never' }],
            },
          },
        },
      },
      {
        apiVersion: 'keda.sh/v1alpha1',
        kind: 'ScaledObject',
        metadata: { name: 'qfn-store-message', labels },
        spec: {
          scaleTargetRef: { name: 'qfn-store-message' },
          pollingInterval: 1,
          cooldownPeriod: 5,
          minReplicaCount: 0,
          maxReplicaCount: 4,
          advanced: { horizontalPodAutoscalerConfig: { behavior: { scaleDown: { stabilizationWindowSeconds: 0 } } } },
          triggers: [
            { type: 'metrics-api', metadata: { url: `http://127.0.0.1:${port}/depth`, valueLocation: 'depth', targetValue: '2', activationTargetValue: '0' } },
          ],
        },
      },
    ];
    kubectl(['-n', namespace, 'apply', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }));
    // What the kubelet mounts into the publish pod: the ServiceAccount's token, the cluster CA, the namespace.
    credentialsDir = mkdtempSync(join(tmpdir(), 'qfn-console-sa-'));
    writeFileSync(join(credentialsDir, 'token'), kubectl(['-n', namespace, 'create', 'token', 'qfn-console', '--duration', '1h']).trim());
    writeFileSync(join(credentialsDir, 'ca.crt'), readFileSync(clusterEnv['KUBE_CA']!));
    writeFileSync(join(credentialsDir, 'namespace'), namespace);
  }, 120_000);

  afterAll(async () => {
    await new Promise((resolve) => metrics.close(resolve));
    if (credentialsDir) rmSync(credentialsDir, { recursive: true, force: true });
    kubectl(['delete', 'namespace', namespace, '--wait=false']);
  });

  it('the Role reads what the console needs and nothing else', () => {
    // `kubectl auth can-i` answers "no" with exit code 1.
    const answer = (args: string[]) => {
      try {
        return kubectl(['auth', 'can-i', ...args, `--as=system:serviceaccount:${namespace}:qfn-console`]).trim();
      } catch (error) {
        return String((error as { stdout?: string }).stdout ?? '').trim();
      }
    };
    const can = (verb: string, resource: string) => answer([verb, resource, '-n', namespace]) === 'yes';
    expect([
      can('list', 'deployments.apps'),
      can('list', 'horizontalpodautoscalers.autoscaling'),
      can('list', 'scaledobjects.keda.sh'),
      can('list', 'events'),
    ]).toEqual([true, true, true, true]);
    expect([can('patch', 'deployments.apps'), can('create', 'scaledobjects.keda.sh'), can('get', 'secrets'), can('list', 'pods')]).toEqual([
      false,
      false,
      false,
      false,
    ]);
    expect(answer(['list', 'deployments.apps', '-n', 'kube-system'])).toBe('no');
  });

  it('sees KEDA and the HPA scale the function 0 → N → 0, with their reasons, as the ServiceAccount', async () => {
    const { api, namespace: ns } = inClusterApi({ credentialsDir, host: apiUrl.hostname, port: apiUrl.port });
    const read = async () => readClusterScaling(await fetchClusterObjects(api, ns, release));
    const store = (reading: ClusterReading) => reading.functions.find((fn) => fn.info.name === 'store-message');

    const initial = await read();
    expect(store(initial)).toMatchObject({ desired: 0, ready: 0, deployment: 'qfn-store-message' });
    expect(store(initial)!.info).toMatchObject({ minReplicaCount: 0, maxReplicaCount: 4, targetQueueLength: 2, pollingInterval: 1, cooldownPeriod: 5 });

    depth = 7; // → ceil(7 / 2) = 4 replicas
    const up = await waitFor(
      'the HPA to scale above 1',
      async () => {
        const reading = await read();
        return (store(reading)?.desired ?? 0) > 1 ? reading : undefined;
      },
      120_000,
      1_000,
    );
    depth = 0;
    const down = await waitFor(
      'KEDA to scale back to 0',
      async () => {
        const reading = await read();
        return store(reading)?.desired === 0 && reading.markers.some((m) => m.by === 'keda' && m.to === 0) ? reading : undefined;
      },
      120_000,
      1_000,
    );

    const markers = down.markers.filter((m) => m.function === 'store-message' && m.kind === 'scale');
    console.log(`real cluster markers:\n${markers.map((m) => `  ${new Date(m.at).toISOString()} ${m.by} ${m.reason}`).join('\n')}`);
    expect(markers[0]).toMatchObject({ by: 'keda', from: 0, to: 1 });
    expect(markers[0]!.reason).toMatch(/Scaled apps\/v1\.Deployment .*\/qfn-store-message from 0 to 1, triggered by/);
    expect(markers.some((m) => m.by === 'hpa' && (m.to ?? 0) > 1 && /above target/.test(m.reason))).toBe(true);
    expect(markers[markers.length - 1]).toMatchObject({ by: 'keda', to: 0 });
    expect(store(up)!.metricPerReplica).not.toBeNull();
    expect(down.coldStarts.filter((c) => c.function === 'store-message').length).toBeGreaterThan(0);
  }, 300_000);
});
