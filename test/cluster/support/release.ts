import { randomBytes } from 'node:crypto';
import { uniqueName } from '../../support/names';
import { getResource, helm, kubectl, type KubeList, type KubeObject, type LocalCluster } from './cluster';

export type Broker = 'rabbitmq' | 'sqs';

export interface Release {
  namespace: string;
  name: 'qfn';
  broker: Broker;
  publishToken: string;
  /** ADMIN_API_TOKEN of the release's Secret (the admin API and the console). */
  adminToken: string;
  /** helm install's wall time, hooks and --wait included. */
  installSeconds: number;
  installOutput: string;
}

/** Image tag cluster/images.sh gives the images it imports. */
export const imageTag = 'cluster';

/** The README's helm install line (after its Secret), with the local cluster's registry and the test values. */
export function installArgs(release: Pick<Release, 'namespace' | 'broker'>, cluster: LocalCluster, maxConnections: number): string[] {
  const args = [
    'install',
    'qfn',
    './helm',
    '-n',
    release.namespace,
    '--set',
    'existingSecret=qfn-credentials',
    '--set',
    'global.imageRegistry=qfn.local',
    '--set',
    `global.imageTag=${imageTag}`,
    '--set',
    `database.maxConnections=${maxConnections}`,
    // A queue prefix and a schema of this run's own: runs never share queues or tables.
    '--set',
    `broker.queuePrefix=${release.namespace}`,
    '--set',
    `database.schema=${release.namespace}`,
    '-f',
    'test/cluster/values.yaml',
  ];
  if (release.broker === 'rabbitmq') args.push('--set', 'broker.rabbitmq.vhost=qfn-cluster');
  else {
    args.push(
      '--set',
      'broker.type=sqs',
      '--set',
      `broker.sqs.region=${cluster.awsRegion}`,
      '--set',
      `broker.sqs.endpoint=${cluster.sqsEndpoint}`,
      '--set',
      `broker.sqs.queueUrlBase=${cluster.sqsQueueUrlBase}`,
    );
  }
  args.push('--wait', '--timeout', '10m');
  return args;
}

/** A namespace name of this run's own (also its queue prefix and database schema). */
export const releaseNamespace = (broker: Broker) => uniqueName(`c${broker}`);

/** A namespace under Pod Security "restricted", the README's Secret, then helm install (`extraArgs` before --wait, e.g. --set). */
export async function installRelease(
  cluster: LocalCluster,
  namespace: string,
  broker: Broker,
  maxConnections: number,
  extraArgs: string[] = [],
): Promise<Release> {
  await kubectl(cluster, ['create', 'namespace', namespace]);
  await kubectl(cluster, [
    'label',
    'namespace',
    namespace,
    'pod-security.kubernetes.io/enforce=restricted',
    'pod-security.kubernetes.io/enforce-version=latest',
    'pod-security.kubernetes.io/warn=restricted',
  ]);
  const publishToken = randomBytes(24).toString('hex');
  const adminToken = randomBytes(24).toString('hex');
  const secret = [
    '-n',
    namespace,
    'create',
    'secret',
    'generic',
    'qfn-credentials',
    `--from-literal=DATABASE_URL=${cluster.databaseUrl}`,
    `--from-literal=PUBLISH_API_TOKENS=${publishToken}`,
    `--from-literal=ADMIN_API_TOKEN=${adminToken}`,
  ];
  if (broker === 'rabbitmq')
    secret.push(`--from-literal=AMQP_URL=${cluster.amqpUrl}`, `--from-literal=RABBITMQ_MANAGEMENT_URL=${cluster.rabbitmqManagementUrl}`);
  else secret.push(`--from-literal=AWS_ACCESS_KEY_ID=${cluster.awsAccessKeyId}`, `--from-literal=AWS_SECRET_ACCESS_KEY=${cluster.awsSecretAccessKey}`);
  await kubectl(cluster, secret);
  const started = Date.now();
  const args = installArgs({ namespace, broker }, cluster, maxConnections);
  args.splice(args.indexOf('--wait'), 0, ...extraArgs);
  const { stdout } = await helm(cluster, args);
  return { namespace, name: 'qfn', broker, publishToken, adminToken, installSeconds: (Date.now() - started) / 1000, installOutput: stdout };
}

/** `helm upgrade` keeping the release's values (--reuse-values) with `sets` (`key=value`) on top, waiting for the rollout. */
export async function upgradeRelease(cluster: LocalCluster, namespace: string, ...sets: string[]): Promise<void> {
  await helm(cluster, ['upgrade', 'qfn', 'helm', '-n', namespace, '--reuse-values', ...sets.flatMap((s) => ['--set', s]), '--wait', '--timeout', '5m']);
}

export async function deleteNamespace(cluster: LocalCluster, namespace: string): Promise<void> {
  await kubectl(cluster, ['delete', 'namespace', namespace, '--wait=false', '--ignore-not-found']);
}

export const deploymentName = (component: string) => `qfn-${component}`;

export function deployment(cluster: LocalCluster, namespace: string, component: string): Promise<KubeObject | undefined> {
  return getResource(cluster, `/apis/apps/v1/namespaces/${namespace}/deployments/${deploymentName(component)}`);
}

export async function pods(cluster: LocalCluster, namespace: string, component?: string): Promise<KubeObject[]> {
  const selector = component ? `?labelSelector=${encodeURIComponent(`app.kubernetes.io/component=${component}`)}` : '';
  const list = await getResource<KubeList>(cluster, `/api/v1/namespaces/${namespace}/pods${selector}`);
  return list?.items ?? [];
}

export function isReady(pod: KubeObject): boolean {
  return !pod.metadata.deletionTimestamp && (pod.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
}

export function scaledObject(cluster: LocalCluster, namespace: string, component: string): Promise<KubeObject | undefined> {
  return getResource(cluster, `/apis/keda.sh/v1alpha1/namespaces/${namespace}/scaledobjects/${deploymentName(component)}`);
}

export function hpa(cluster: LocalCluster, namespace: string, component: string): Promise<KubeObject | undefined> {
  return getResource(cluster, `/apis/autoscaling/v2/namespaces/${namespace}/horizontalpodautoscalers/keda-hpa-${deploymentName(component)}`);
}

/** The Service URL of the publish function (its ClusterIP: this host reaches it through kube-proxy's rules). */
export async function publishUrl(cluster: LocalCluster, namespace: string): Promise<string> {
  const service = await getResource<KubeObject & { spec: { clusterIP: string; ports: { port: number }[] } }>(
    cluster,
    `/api/v1/namespaces/${namespace}/services/${deploymentName('publish')}`,
  );
  if (!service) throw new Error('no publish Service');
  return `http://${service.spec.clusterIP}:${service.spec.ports[0]?.port ?? 80}`;
}

export interface EventLine {
  at: string;
  kind: string;
  name: string;
  reason: string;
  message: string;
}

/** Events of the namespace, oldest first, as one line each (what the report prints). */
export async function events(cluster: LocalCluster, namespace: string): Promise<EventLine[]> {
  type Event = {
    involvedObject: { kind: string; name: string };
    reason: string;
    message: string;
    firstTimestamp?: string;
    eventTime?: string;
    lastTimestamp?: string;
    metadata: { creationTimestamp: string };
  };
  const list = await getResource<KubeList<Event & KubeObject>>(cluster, `/api/v1/namespaces/${namespace}/events`);
  return (list?.items ?? [])
    .map((e) => ({
      at: e.eventTime ?? e.firstTimestamp ?? e.metadata.creationTimestamp,
      kind: e.involvedObject.kind,
      name: e.involvedObject.name,
      reason: e.reason,
      message: e.message,
    }))
    .sort((a, b) => a.at.localeCompare(b.at));
}

export function conditionsLine(object: KubeObject | undefined): string {
  return (object?.status?.conditions ?? []).map((c) => `${c.type}=${c.status}${c.reason ? `(${c.reason})` : ''}`).join(' ');
}
