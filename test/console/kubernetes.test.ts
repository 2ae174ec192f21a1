import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inClusterApi, KubernetesApiError, type KubernetesApi } from '../../console/kubernetes/client';
import { fetchClusterObjects } from '../../console/kubernetes/fetch';
import { parseQuantity, readClusterScaling } from '../../console/kubernetes/reader';

/**
 * Answers as an API server would, from responses of the shapes Kubernetes 1.34 and KEDA 2.19 return
 * (field names, event reasons and message formats taken from their source: horizontal.go,
 * scale_scaledobjects.go), for the paths the console asks for; anything else is a 404 as from the server.
 */
const recorded = JSON.parse(readFileSync(new URL('./fixtures/kubernetes-api.json', import.meta.url), 'utf8')) as Record<string, unknown>;
const recordedApi: KubernetesApi = {
  get: async <T>(path: string) => {
    if (!(path in recorded)) throw new KubernetesApiError(404, path, 'the server could not find the requested resource');
    return structuredClone(recorded[path]) as T;
  },
};

describe('the console reading scaling from the Kubernetes API', () => {
  it('finds the release’s functions with their replicas and ScaledObject settings', async () => {
    const reading = readClusterScaling(await fetchClusterObjects(recordedApi, 'qfn', 'qfn'));
    const store = reading.functions.find((fn) => fn.info.name === 'store-message')!;
    expect(store).toMatchObject({ deployment: 'qfn-store-message', desired: 8, ready: 4, active: true, metricPerReplica: 1152.5 });
    expect(store.info).toEqual({
      name: 'store-message',
      minReplicaCount: 0,
      maxReplicaCount: 10,
      targetQueueLength: 500,
      activationQueueLength: 0,
      pollingInterval: 5,
      cooldownPeriod: 60,
    });
    expect(reading.functions.find((fn) => fn.info.name === 'run-job')).toMatchObject({ desired: 0, ready: 0, active: false });
    expect(reading.functions.map((fn) => fn.info.name)).toEqual(['publish', 'run-job', 'store-message']);
  });

  it('turns KEDA’s and the HPA’s events into ordered scale markers with their reasons, the count before filled in', async () => {
    const { markers } = readClusterScaling(await fetchClusterObjects(recordedApi, 'qfn', 'qfn'));
    const store = markers.filter((m) => m.function === 'store-message');
    expect(store.map((m) => [m.kind, m.by, m.from, m.to])).toEqual([
      ['scale', 'keda', 0, 1],
      ['scale', 'hpa', 1, 4],
      ['scale', 'hpa', 4, 8],
      ['hold', 'none', null, null], // at the same second as the rescale to 8: limited by the scale-up rate
      ['scale', 'hpa', 8, 1],
      ['hold', 'none', null, null],
      ['scale', 'keda', 1, 0],
    ]);
    expect(store[0]!.reason).toBe('store-message 0→1: Scaled apps/v1.Deployment qfn/qfn-store-message from 0 to 1, triggered by rabbitMQScaler;rabbitMQScaler');
    expect(store[1]!.reason).toBe('store-message 1→4: external metric s0-rabbitmq-qfn-store-message above target');
    expect(store[3]!.reason).toBe('store-message: ScaleUpLimit: the desired replica count is increasing faster than the maximum scale rate');
    expect(store[4]!.reason).toBe('store-message 8→1: All metrics below target');
    expect(store[5]!.reason).toMatch(/^store-message: KEDAScalerFailed: error inspecting rabbitMQ/);
    expect(store.map((m) => m.at)).toEqual([...store.map((m) => m.at)].sort((a, b) => a - b));
    // Objects of other apps in the namespace are left out; a DesiredWithinRange condition is no hold.
    expect(markers.some((m) => m.reason.includes('other-app'))).toBe(false);
    expect(markers.some((m) => m.function === 'publish')).toBe(false);
  });

  it('counts a cold start per container started in a function’s pods', async () => {
    const { coldStarts } = readClusterScaling(await fetchClusterObjects(recordedApi, 'qfn', 'qfn'));
    expect(coldStarts.filter((c) => c.function === 'store-message').map((c) => c.replica)).toEqual([
      'qfn-store-message-6c9f7d8b5-x2k4p',
      'qfn-store-message-6c9f7d8b5-q8z7m',
    ]);
  });

  it('reads Kubernetes quantities', () => {
    expect([parseQuantity('37'), parseQuantity('1500m'), parseQuantity('2k'), parseQuantity(undefined), parseQuantity('x')]).toEqual([
      37,
      1.5,
      2000,
      null,
      null,
    ]);
  });
});

/** A fresh key (key.pem) and self-signed certificate for 127.0.0.1 (ca.crt, the service account CA's file name) in `dir`. */
function selfSignedCertificate(dir: string, extensions: string[] = []): void {
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
      ...extensions,
      '-keyout',
      join(dir, 'key.pem'),
      '-out',
      join(dir, 'ca.crt'),
    ],
    { stdio: 'ignore' },
  );
}

describe('the in-cluster API client', () => {
  let dir: string;
  let server: Server;
  const seen: { path: string; authorization: string | undefined }[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'qfn-sa-'));
    selfSignedCertificate(dir, ['-addext', 'subjectAltName=IP:127.0.0.1']);
    writeFileSync(join(dir, 'namespace'), 'qfn\n');
    writeFileSync(join(dir, 'token'), 'token-one\n');
    server = createServer({ key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'ca.crt')) }, (req, res) => {
      seen.push({ path: req.url ?? '', authorization: req.headers.authorization });
      if (req.url?.startsWith('/apis/keda.sh')) {
        res.writeHead(403, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            kind: 'Status',
            status: 'Failure',
            message: 'scaledobjects.keda.sh is forbidden: User "system:serviceaccount:qfn:qfn-console" cannot list resource "scaledobjects"',
            code: 403,
          }),
        );
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(recorded[req.url ?? ''] ?? { items: [] }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  it('verifies the server against the service account CA, sends the token read afresh, and names the status on refusals', async () => {
    const { api, namespace } = inClusterApi({ credentialsDir: dir, host: '127.0.0.1', port: String((server.address() as AddressInfo).port) });
    expect(namespace).toBe('qfn');
    const list = await api.get<{ items: unknown[] }>('/apis/apps/v1/namespaces/qfn/deployments?labelSelector=app.kubernetes.io%2Finstance%3Dqfn');
    expect(list.items).toHaveLength(3);
    writeFileSync(join(dir, 'token'), 'token-two\n'); // the kubelet rotates projected tokens on disk
    await api.get('/api/v1/namespaces/qfn/events');
    expect(seen.map((s) => s.authorization)).toEqual(['Bearer token-one', 'Bearer token-two']);
    const refused = await api.get('/apis/keda.sh/v1alpha1/namespaces/qfn/scaledobjects').catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(KubernetesApiError);
    expect((refused as KubernetesApiError).status).toBe(403);
    expect((refused as Error).message).toContain('cannot list resource "scaledobjects"');
  });

  it('refuses a server whose certificate the CA did not sign', async () => {
    const other = mkdtempSync(join(tmpdir(), 'qfn-sa-other-'));
    try {
      selfSignedCertificate(other);
      writeFileSync(join(other, 'namespace'), 'qfn');
      writeFileSync(join(other, 'token'), 't');
      const { api } = inClusterApi({ credentialsDir: other, host: '127.0.0.1', port: String((server.address() as AddressInfo).port) });
      await expect(api.get('/api/v1/namespaces/qfn/events')).rejects.toThrow(/self[- ]signed|certificate/i);
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });
});
