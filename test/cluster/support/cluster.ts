import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:https';
import { fileURLToPath } from 'node:url';

export const repoDir = fileURLToPath(new URL('../../../', import.meta.url));
export const helmBinary = `${repoDir}.tools/helm4/helm`;

/** What `bash cluster/up.sh --print-env` says about the running local cluster. */
export interface LocalCluster {
  kubeconfig: string;
  kubectl: string;
  api: string;
  /** Values of the release's Secret and of the chart's broker settings, as the pods and KEDA reach them. */
  databaseUrl: string;
  amqpUrl: string;
  rabbitmqManagementUrl: string;
  sqsEndpoint: string;
  sqsQueueUrlBase: string;
  awsAccessKeyId: string;
  awsSecretAccessKey: string;
  awsRegion: string;
  agent: Agent;
}

export interface RunResult {
  stdout: string;
  stderr: string;
}

/** Runs a command (no shell), failing with its output when it exits non-zero or outlives `timeoutMs`. */
export function run(command: string, args: string[], options: { env?: Record<string, string>; input?: string; timeoutMs?: number } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      command,
      args,
      { cwd: repoDir, env: { ...process.env, ...options.env }, timeout: options.timeoutMs ?? 120_000, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`${command} ${args.join(' ')} failed: ${error.message}\n${stdout}\n${stderr}`));
        else resolve({ stdout, stderr });
      },
    );
    if (options.input !== undefined) child.stdin?.end(options.input);
  });
}

export async function localCluster(): Promise<LocalCluster> {
  const { stdout } = await run('bash', ['cluster/up.sh', '--print-env']);
  const env = Object.fromEntries(
    stdout
      .split('\n')
      .filter((line) => line.includes('='))
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
  );
  const need = (key: string): string => {
    const value = env[key];
    if (!value) throw new Error(`cluster/up.sh --print-env gave no ${key}`);
    return value;
  };
  return {
    kubeconfig: need('KUBECONFIG'),
    kubectl: need('KUBECTL'),
    api: need('KUBE_API'),
    databaseUrl: need('DATABASE_URL'),
    amqpUrl: need('AMQP_URL'),
    rabbitmqManagementUrl: need('RABBITMQ_MANAGEMENT_URL'),
    sqsEndpoint: need('SQS_ENDPOINT'),
    sqsQueueUrlBase: need('SQS_QUEUE_URL_BASE'),
    awsAccessKeyId: need('AWS_ACCESS_KEY_ID'),
    awsSecretAccessKey: need('AWS_SECRET_ACCESS_KEY'),
    awsRegion: need('AWS_REGION'),
    agent: new Agent({
      keepAlive: true,
      maxSockets: 4,
      ca: readFileSync(need('KUBE_CA')),
      cert: readFileSync(need('KUBE_CLIENT_CERT')),
      key: readFileSync(need('KUBE_CLIENT_KEY')),
    }),
  };
}

export function kubectl(cluster: LocalCluster, args: string[], options: { input?: string; timeoutMs?: number } = {}): Promise<RunResult> {
  return run(cluster.kubectl, ['--kubeconfig', cluster.kubeconfig, ...args], options);
}

export function helm(cluster: LocalCluster, args: string[], timeoutMs = 600_000): Promise<RunResult> {
  return run(helmBinary, args, { env: { KUBECONFIG: cluster.kubeconfig }, timeoutMs });
}

/** GET on the API server (cheaper than a kubectl process when polled every 100–200 ms); undefined on 404. */
export function getResource<T = KubeObject>(cluster: LocalCluster, path: string): Promise<T | undefined> {
  return new Promise((resolve, reject) => {
    const req = request(`${cluster.api}${path}`, { agent: cluster.agent, timeout: 10_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        if (res.statusCode === 404) resolve(undefined);
        else if (res.statusCode !== 200) reject(new Error(`GET ${path}: ${res.statusCode} ${body.slice(0, 300)}`));
        else resolve(JSON.parse(body) as T);
      });
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${path}: timed out`)));
    req.on('error', reject);
    req.end();
  });
}

export interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
}

export interface KubeObject {
  metadata: {
    name: string;
    uid: string;
    namespace?: string;
    generation?: number;
    labels?: Record<string, string>;
    creationTimestamp?: string;
    deletionTimestamp?: string;
  };
  spec?: Record<string, unknown>;
  status?: { conditions?: Condition[]; replicas?: number; readyReplicas?: number; currentReplicas?: number; desiredReplicas?: number; phase?: string } & Record<
    string,
    unknown
  >;
}

export interface KubeList<T = KubeObject> {
  items: T[];
}
